"""The key service through the real aws CLI and boto3 (issue 4, started): keys, aliases,
encryption context, key states, tampering, key policies."""

import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY

ACCT = "111122223333"


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["Error"].get("Message", "")


@pytest.fixture
def kms(server):
    return server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")


def test_seed004_key_and_alias_with_cli(server, tmp_path):
    alias = f"alias/awscookbook306-{uuid.uuid4().hex[:6]}"
    key_id = server.aws("kms", "create-key", "--tags", "TagKey=Name,TagValue=AWSCookbook306Key",
                        "--description", "AWSCookbook S3 CMK", "--query", "KeyMetadata.KeyId",
                        "--output", "text").stdout.decode().strip()
    assert len(key_id) == 36
    server.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", key_id)
    pt = tmp_path / "pt"
    pt.write_bytes(b"hello kms")
    out = json.loads(server.aws("kms", "encrypt", "--key-id", alias, "--plaintext", f"fileb://{pt}",
                                "--encryption-context", "purpose=test").stdout)
    assert out["KeyId"].endswith(key_id)
    blob = tmp_path / "ct"
    blob.write_bytes(base64.b64decode(out["CiphertextBlob"]))
    dec = json.loads(server.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}",
                                "--encryption-context", "purpose=test").stdout)
    assert base64.b64decode(dec["Plaintext"]) == b"hello kms"
    r = server.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "purpose=other", check=False)
    assert r.returncode != 0 and b"InvalidCiphertextException" in r.stderr
    aliases = json.loads(server.aws("kms", "list-aliases").stdout)["Aliases"]
    assert any(a["AliasName"] == alias and a["TargetKeyId"] == key_id for a in aliases)


def test_data_keys_states_and_tampering(kms):
    key = kms.create_key(Description="dk")["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["KeySpec"] == "SYMMETRIC_DEFAULT"
    ctx = {"aws:s3:arn": "arn:aws:s3:::bucket/key"}
    dk = kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256", EncryptionContext=ctx)
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"] == dk["Plaintext"]
    nopt = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=64, EncryptionContext=ctx)
    assert "Plaintext" not in nopt
    assert len(kms.decrypt(CiphertextBlob=nopt["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"]) == 64
    # Tampered blob or context: InvalidCiphertextException, never wrong plaintext.
    blob = bytearray(dk["CiphertextBlob"])
    blob[-5] ^= 1
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=bytes(blob), EncryptionContext=ctx)
    assert err(e)[0] == "InvalidCiphertextException"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"aws:s3:arn": "arn:aws:s3:::bucket/other"})
    assert err(e)[0] == "InvalidCiphertextException"
    other = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx, KeyId=other["KeyId"])
    assert err(e)[0] == "IncorrectKeyException"
    re = kms.re_encrypt(CiphertextBlob=dk["CiphertextBlob"], SourceEncryptionContext=ctx, DestinationKeyId=other["KeyId"])
    assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    # A disabled key refuses GenerateDataKey and Decrypt; re-enabled, both work.
    kms.disable_key(KeyId=key["KeyId"])
    for call in (lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
                 lambda: kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e)[0] == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"] == dk["Plaintext"]
    # Scheduled deletion: 7 to 30 days; pending keys refuse use; cancel leaves it Disabled.
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=6)
    assert err(e)[0] == "ValidationException"
    d = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert d["KeyState"] == "PendingDeletion"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert err(e)[0] == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    assert len(kms.generate_random(NumberOfBytes=17)["Plaintext"]) == 17
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=other["KeyId"], Plaintext=b"x" * 4097)
    assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=str(uuid.uuid4()))
    assert err(e)[0] == "NotFoundException"


def test_key_policy_governs_users(server, kms):
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    name = f"kmsuser-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    user_kms = server.client_for(k["AccessKeyId"], k["SecretAccessKey"], service="kms")
    key = kms.create_key()["KeyMetadata"]
    # The default key policy delegates to IAM: without an identity policy the user is refused.
    with pytest.raises(ClientError) as e:
        user_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert err(e)[0] == "AccessDeniedException"
    iam.put_user_policy(UserName=name, PolicyName="kms", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": key["Arn"],
         "Condition": {"StringEquals": {"kms:EncryptionContext:team": "sec"}}}]}))
    user_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"team": "sec"})
    with pytest.raises(ClientError) as e:
        user_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"team": "ops"})
    assert err(e)[0] == "AccessDeniedException"
    # A key policy that names the user grants it directly; a deny in it wins over IAM.
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "NoEncryptForUser", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/{name}"}, "Action": "kms:Encrypt", "Resource": "*"}]}
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    assert json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]) == policy
    with pytest.raises(ClientError) as e:
        user_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"team": "sec"})
    assert err(e)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy='{"Statement": 1}')
    assert err(e)[0] == "MalformedPolicyDocumentException"


def test_aws_encryption_sdk_cli_roundtrip(server, kms, tmp_path):
    """aws-encryption-sdk-cli (PyPI) encrypts and decrypts a file through Coffer's KMS."""
    import os
    import subprocess
    from conftest import ROOT
    arn = kms.create_key(Description="esdk")["KeyMetadata"]["Arn"]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION="us-east-1",
               AWS_ENDPOINT_URL_KMS=server.endpoint, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    cli = str(ROOT / ".venv" / "bin" / "aws-encryption-cli")
    src, enc, out = tmp_path / "in.txt", tmp_path / "in.enc", tmp_path / "out.txt"
    src.write_bytes(b"top secret file\n" * 1000)
    common = ["--wrapping-keys", f"key={arn}", "--commitment-policy", "require-encrypt-require-decrypt", "-S"]
    r = subprocess.run([cli, "--encrypt", "--input", str(src), "--output", str(enc), "--encryption-context", "purpose=test", *common],
                       env=env, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert b"top secret" not in enc.read_bytes()
    r = subprocess.run([cli, "--decrypt", "--input", str(enc), "--output", str(out), "--encryption-context", "purpose=test", *common],
                       env=env, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == src.read_bytes()
    # A tampered message does not decrypt.
    data = bytearray(enc.read_bytes())
    data[len(data) // 2] ^= 1
    enc.write_bytes(bytes(data))
    r = subprocess.run([cli, "--decrypt", "--input", str(enc), "--output", str(tmp_path / "bad.txt"), *common],
                       env=env, capture_output=True, timeout=120)
    assert r.returncode != 0


def test_rotation_and_tags(kms):
    key = kms.create_key(Tags=[{"TagKey": "env", "TagValue": "dev"}])["KeyMetadata"]
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "env", "TagValue": "dev"}]
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "team", "TagValue": "sec"}])
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["env"])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "sec"}]
    old = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before rotation")["CiphertextBlob"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    # (Periods outside 90..2560 are refused by botocore itself; the server's own check is unit-tested.)
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    st = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert st["KeyRotationEnabled"] is True and st["RotationPeriodInDays"] == 180
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    new = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"after rotation")["CiphertextBlob"]
    assert old[37:41] != new[37:41]  # a different key version made it
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before rotation"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after rotation"
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
