"""SSE-KMS (issue 4, first part): seed 004's recipe, GET/range/multipart/copy under KMS keys,
key state surfacing through S3, and the requester's own KMS permissions."""

import base64
import json
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY

ACCT = "111122223333"


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def test_seed004_recipe_with_cli(server, tmp_path):
    bucket = f"awscookbook306-{uuid.uuid4().hex[:8]}"
    alias = f"alias/awscookbook306-{uuid.uuid4().hex[:6]}"
    server.aws("s3", "mb", f"s3://{bucket}")
    key_id = server.aws("kms", "create-key", "--tags", "TagKey=Name,TagValue=AWSCookbook306Key", "--description",
                        "AWSCookbook S3 CMK", "--query", "KeyMetadata.KeyId", "--output", "text").stdout.decode().strip()
    server.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", key_id)
    server.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration", json.dumps(
        {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id},
                    "BucketKeyEnabled": True}]}))
    template = {"Version": "2012-10-17", "Id": "PutObjectPolicy", "Statement": [{
        "Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::BUCKET_NAME/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]}
    policy = tmp_path / "bucket-policy.json"
    policy.write_text(json.dumps(template).replace("BUCKET_NAME", bucket))
    server.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", f"file://{policy}")
    f = tmp_path / "book.txt"
    f.write_bytes(b"cookbook 3.6")
    r = server.aws("s3", "cp", str(f), f"s3://{bucket}/book.txt", check=False)
    assert r.returncode != 0 and b"AccessDenied" in r.stderr
    server.aws("s3", "cp", str(f), f"s3://{bucket}/book.txt", "--sse", "aws:kms")
    head = json.loads(server.aws("s3api", "head-object", "--bucket", bucket, "--key", "book.txt").stdout)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == f"arn:aws:kms:us-east-1:{ACCT}:key/{key_id}"
    assert head["BucketKeyEnabled"] is True
    out = tmp_path / "back.txt"
    server.aws("s3", "cp", f"s3://{bucket}/book.txt", str(out))
    assert out.read_bytes() == b"cookbook 3.6"


def test_sse_kms_objects_and_key_states(server, s3, bucket):
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    key = kms.create_key()["KeyMetadata"]
    body = os.urandom(300_000)
    r = s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert r["ServerSideEncryption"] == "aws:kms" and r["SSEKMSKeyId"] == key["Arn"]
    g = s3.get_object(Bucket=bucket, Key="k", Range="bytes=65530-131080")
    assert g["Body"].read() == body[65530:131081] and g["SSEKMSKeyId"] == key["Arn"]
    # Without a key id: the account's AWS-managed aws/s3 key, created on first use.
    d = s3.put_object(Bucket=bucket, Key="default", Body=b"x", ServerSideEncryption="aws:kms")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert d["SSEKMSKeyId"].endswith(aliases["alias/aws/s3"])
    # Multipart and copy keep or change the encryption.
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert up["ServerSideEncryption"] == "aws:kms"
    p1 = os.urandom(5 * 1024 * 1024)
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=p1)
    assert part["ServerSideEncryption"] == "aws:kms" and part["SSEKMSKeyId"] == key["Arn"]
    e1 = part["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
    assert s3.head_object(Bucket=bucket, Key="mp")["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == p1
    s3.copy_object(Bucket=bucket, Key="k", CopySource=f"{bucket}/k", ServerSideEncryption="AES256")
    h = s3.head_object(Bucket=bucket, Key="k")
    assert h["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in h
    s3.copy_object(Bucket=bucket, Key="k", CopySource=f"{bucket}/k", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == body
    # A disabled key makes the GET fail with the KMS error; re-enabled, it works.
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")
    assert err(e)[:2] == ("KMS.DisabledException", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert err(e)[0] == "KMS.DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == body
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k3", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=str(uuid.uuid4()))
    assert err(e)[0] == "KMS.NotFoundException"


def test_requester_needs_kms_permissions(server, s3, bucket):
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    key = kms.create_key()["KeyMetadata"]
    s3.put_object(Bucket=bucket, Key="secret", Body=b"kms", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    name = f"s3only-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    user = server.client_for(k["AccessKeyId"], k["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        user.get_object(Bucket=bucket, Key="secret")
    assert err(e)[:2] == ("AccessDenied", 403) and "kms:Decrypt" in err(e)[2]
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="new", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert "kms:GenerateDataKey" in err(e)[2]
    # Each part of an SSE-KMS upload needs kms:GenerateDataKey too (S3 makes a key per part).
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp-user", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        user.upload_part(Bucket=bucket, Key="mp-user", UploadId=up["UploadId"], PartNumber=1, Body=b"p")
    assert err(e)[:2] == ("AccessDenied", 403) and "kms:GenerateDataKey" in err(e)[2]
    with pytest.raises(ClientError) as e:
        user.upload_part_copy(Bucket=bucket, Key="mp-user", UploadId=up["UploadId"], PartNumber=1,
                              CopySource=f"{bucket}/secret")
    assert err(e)[:2] == ("AccessDenied", 403)
    # Allowed only through S3 (kms:ViaService), as S3 users usually are.
    iam.put_user_policy(UserName=name, PolicyName="kms-via-s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key["Arn"],
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]}))
    assert user.get_object(Bucket=bucket, Key="secret")["Body"].read() == b"kms"
    assert user.upload_part(Bucket=bucket, Key="mp-user", UploadId=up["UploadId"], PartNumber=1, Body=b"p")["ETag"]
    assert user.upload_part_copy(Bucket=bucket, Key="mp-user", UploadId=up["UploadId"], PartNumber=2,
                                 CopySource=f"{bucket}/secret")["SSEKMSKeyId"] == key["Arn"]
    user_kms = server.client_for(k["AccessKeyId"], k["SecretAccessKey"], service="kms")
    with pytest.raises(ClientError) as e:
        user_kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert err(e)[0] == "AccessDeniedException"


def test_audit_trail_records_kms_use_without_secrets(server, s3, bucket):
    """Every KMS call, direct or by S3 for a requester, lands in the trail `coffer audit` reads;
    plaintext and ciphertext never do."""
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    key = kms.create_key(Description="audited")["KeyMetadata"]
    secret = b"audit-plaintext-" + uuid.uuid4().hex.encode()
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=secret, EncryptionContext={"app": "audit"})["CiphertextBlob"]
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=ct, EncryptionContext={"app": "wrong"})
    s3.put_object(Bucket=bucket, Key="audited", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])

    def records(*args):
        out = server.coffer("audit", "--key", key["KeyId"], *args)
        return [json.loads(line) for line in out.splitlines()]

    enc = records("--event", "Encrypt")
    assert len(enc) == 1
    assert enc[0]["userIdentity"]["arn"] == f"arn:aws:iam::{ACCT}:root"
    assert enc[0]["userIdentity"]["accessKeyId"] == ACCESS_KEY
    assert enc[0]["requestParameters"] == {"keyId": key["KeyId"], "encryptionContext": {"app": "audit"}}
    assert enc[0]["resources"] == [{"ARN": key["Arn"], "type": "AWS::KMS::Key"}]
    via_s3 = records("--event", "GenerateDataKey")
    assert len(via_s3) == 1 and via_s3[0]["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    assert via_s3[0]["requestParameters"]["encryptionContext"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}/audited"}
    # The failed decrypt names no key (the blob did not open) but is in the trail as an error.
    failed = [json.loads(line) for line in server.coffer("audit", "--event", "Decrypt", "--errors").splitlines()]
    assert any(r["errorCode"] == "InvalidCiphertextException" and r["requestParameters"].get("encryptionContext") == {"app": "wrong"}
               for r in failed)
    trail = (server.data_dir / "audit" / "kms.jsonl").read_bytes()
    assert secret not in trail and base64.b64encode(secret) not in trail and base64.b64encode(ct) not in trail


def test_bucket_keys_call_kms_once_per_lifetime(fresh_server):
    """With BucketKeyEnabled, N PUTs make one GenerateDataKey (context: the bucket ARN), as the
    audit trail shows; objects stay readable after a restart (no cache) and follow the key's
    state even while the bucket key is cached."""
    s3 = fresh_server.client_for(ACCESS_KEY, SECRET_KEY)
    kms = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    key = kms.create_key()["KeyMetadata"]
    s3.create_bucket(Bucket="bkeys")
    s3.put_bucket_encryption(Bucket="bkeys", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["KeyId"]},
        "BucketKeyEnabled": True}]})
    bodies = {f"o{i}": os.urandom(100 + i) for i in range(20)}
    for k, body in bodies.items():
        r = s3.put_object(Bucket="bkeys", Key=k, Body=body)
        assert r["BucketKeyEnabled"] is True and r["SSEKMSKeyId"] == key["Arn"]
    for k, body in bodies.items():
        assert s3.get_object(Bucket="bkeys", Key=k)["Body"].read() == body

    def trail(event):
        out = fresh_server.coffer("audit", "--event", event, "--key", key["KeyId"])
        return [json.loads(line) for line in out.splitlines()]

    # Parts and copies are sealed under the same bucket key.
    up = s3.create_multipart_upload(Bucket="bkeys", Key="mp")
    parts = [os.urandom(5 * 1024 * 1024), b"tail"]
    etags = [s3.upload_part(Bucket="bkeys", Key="mp", UploadId=up["UploadId"], PartNumber=i + 1, Body=p)["ETag"]
             for i, p in enumerate(parts)]
    s3.complete_multipart_upload(Bucket="bkeys", Key="mp", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
    s3.copy_object(Bucket="bkeys", Key="copy", CopySource="bkeys/o3")
    bodies["mp"] = b"".join(parts)
    bodies["copy"] = bodies["o3"]
    for k in ("mp", "copy"):
        got = s3.get_object(Bucket="bkeys", Key=k)
        assert got["Body"].read() == bodies[k] and got["BucketKeyEnabled"] is True
    gdk = trail("GenerateDataKey")
    assert len(gdk) == 1
    assert gdk[0]["requestParameters"]["encryptionContext"] == {"aws:s3:arn": "arn:aws:s3:::bkeys"}
    assert len(trail("Decrypt")) == 1
    # Without bucket keys: one data key per object.
    s3.create_bucket(Bucket="no-bkeys")
    for i in range(3):
        s3.put_object(Bucket="no-bkeys", Key=f"o{i}", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert len(trail("GenerateDataKey")) == 1 + 3
    # A cached bucket key still follows the KMS key's state.
    kms.disable_key(KeyId=key["KeyId"])
    for op in (lambda: s3.get_object(Bucket="bkeys", Key="o1"), lambda: s3.put_object(Bucket="bkeys", Key="new", Body=b"n")):
        with pytest.raises(ClientError) as e:
            op()
        assert err(e)[0] == "KMS.DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    # After a restart nothing is cached: the bucket key is decrypted through KMS again.
    fresh_server.stop()
    fresh_server.start()
    s3 = fresh_server.client_for(ACCESS_KEY, SECRET_KEY)
    # Disabling the key is a key-service write: the GET after it judged (and recorded) the
    # requester's kms:Decrypt again, then failed on the key's state.
    assert len(trail("Decrypt")) == 2
    for k, body in bodies.items():
        assert s3.get_object(Bucket="bkeys", Key=k, Range="bytes=1-10")["Body"].read() == body[1:11]
    assert len(trail("Decrypt")) == 3


def test_additional_encryption_context(server, s3, bucket):
    """`x-amz-server-side-encryption-context`: joins `aws:s3:arn` in the data key's context,
    is kept with the object for reads, governs `kms:EncryptionContext:*` conditions, and is
    not copied by CopyObject (as S3)."""
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    key = kms.create_key()["KeyMetadata"]
    ctx = base64.b64encode(json.dumps({"project": "apollo"}).encode()).decode()
    r = s3.put_object(Bucket=bucket, Key="c", Body=b"with context", ServerSideEncryption="aws:kms",
                      SSEKMSKeyId=key["Arn"], SSEKMSEncryptionContext=ctx)
    assert json.loads(base64.b64decode(r["SSEKMSEncryptionContext"])) == {"project": "apollo"}
    assert s3.get_object(Bucket=bucket, Key="c")["Body"].read() == b"with context"
    trail = [json.loads(line) for line in server.coffer("audit", "--event", "GenerateDataKey", "--key", key["Arn"]).splitlines()]
    assert trail[-1]["requestParameters"]["encryptionContext"] == {
        "aws:s3:arn": f"arn:aws:s3:::{bucket}/c", "project": "apollo"}
    # A user whose KMS permission is tied to the context.
    name = f"ctxuser-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key["Arn"],
         "Condition": {"StringEquals": {"kms:EncryptionContext:project": "apollo"}}}]}))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    user = server.client_for(k["AccessKeyId"], k["SecretAccessKey"])
    user.put_object(Bucket=bucket, Key="u", Body=b"u", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"],
                    SSEKMSEncryptionContext=ctx)
    assert user.get_object(Bucket=bucket, Key="u")["Body"].read() == b"u"
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="u2", Body=b"u", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert err(e)[:2] == ("AccessDenied", 403)
    # CopyObject does not carry the additional context over.
    r = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "c"},
                       ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert "SSEKMSEncryptionContext" not in r
    with pytest.raises(ClientError) as e:
        user.get_object(Bucket=bucket, Key="copy")
    assert err(e)[:2] == ("AccessDenied", 403)
    # Reserved keys and malformed headers.
    for bad in (base64.b64encode(json.dumps({"aws:s3:arn": "x"}).encode()).decode(), "not base64!"):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="bad", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSEncryptionContext=bad)
        assert err(e)[:2] == ("InvalidArgument", 400)


def test_bucket_key_reuse_still_follows_policy_changes_at_once(fresh_server):
    """Under a bucket key a requester's allowed KMS use is not judged again on every request
    (S3 makes no KMS call then), but any change to what it was judged on — its IAM policies,
    the key policy, a grant — takes effect on the very next request."""
    s3 = fresh_server.client_for(ACCESS_KEY, SECRET_KEY)
    kms = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    iam = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    key = kms.create_key()["KeyMetadata"]
    s3.create_bucket(Bucket="bk-revoke")
    s3.put_object(Bucket="bk-revoke", Key="k", Body=b"secret", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key["Arn"], BucketKeyEnabled=True)
    iam.create_user(UserName="reader")
    allow_all = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key["Arn"]}]}
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps(allow_all))
    ak = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = fresh_server.client_for(ak["AccessKeyId"], ak["SecretAccessKey"])
    for _ in range(5):
        assert reader.get_object(Bucket="bk-revoke", Key="k")["Body"].read() == b"secret"
    decrypts = [json.loads(line) for line in fresh_server.coffer(
        "audit", "--event", "Decrypt", "--principal", f"arn:aws:iam::{ACCT}:user/reader").splitlines()]
    assert len(decrypts) == 1
    # IAM change: refused on the next request.
    no_kms = {"Version": "2012-10-17", "Statement": [allow_all["Statement"][0]]}
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps(no_kms))
    with pytest.raises(ClientError) as e:
        reader.get_object(Bucket="bk-revoke", Key="k")
    assert err(e)[:2] == ("AccessDenied", 403)
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps(allow_all))
    assert reader.get_object(Bucket="bk-revoke", Key="k")["Body"].read() == b"secret"
    # Key policy change (an explicit deny): refused on the next request.
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/reader"}, "Action": "kms:Decrypt",
         "Resource": "*"}]}))
    with pytest.raises(ClientError) as e:
        reader.get_object(Bucket="bk-revoke", Key="k")
    assert err(e)[:2] == ("AccessDenied", 403)
