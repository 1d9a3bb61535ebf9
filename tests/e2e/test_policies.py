"""Bucket policies as the seeds write them, judged on real requests from real clients."""

import datetime
import json

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import rawsig
from conftest import ACCESS_KEY, SECRET_KEY, REGION

ROOT_ARN = "arn:aws:iam::111122223333:root"


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def put_policy(s3, bucket, statements):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def test_seed000_sse_header_policy_with_cli(server, bucket, tmp_path):
    """Seed 000: PutObject must ask for AES256; aws:kms is refused with the explicit-deny
    message, and (the quiz) so is an upload without the header."""
    policy = {"Version": "2012-10-17", "Id": "PutObjPolicy", "Statement": [{
        "Sid": "DenyIncorrectEncryptionHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}]}
    # The quiz's setup: default encryption SSE-S3 on the bucket.
    server.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
               '{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}')
    enc = json.loads(server.aws("s3api", "get-bucket-encryption", "--bucket", bucket).stdout)
    assert enc["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    f = tmp_path / "policy.json"
    f.write_text(json.dumps(policy))
    server.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", f"file://{f}")
    body = tmp_path / "b"
    body.write_bytes(b"secret")
    r = server.aws("s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body),
                   "--server-side-encryption", "aws:kms", check=False)
    assert r.returncode != 0
    msg = r.stderr.decode()
    assert "AccessDenied" in msg
    assert (f'User: {ROOT_ARN} is not authorized to perform: s3:PutObject on resource: '
            f'"arn:aws:s3:::{bucket}/k" with an explicit deny in a resource-based policy') in msg
    r = server.aws("s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body), check=False)
    assert r.returncode != 0 and "explicit deny in a resource-based policy" in r.stderr.decode()
    out = server.aws("s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body),
                     "--server-side-encryption", "AES256").stdout.decode()
    assert '"ServerSideEncryption": "AES256"' in out
    got = json.loads(server.aws("s3api", "get-bucket-policy", "--bucket", bucket).stdout)
    assert json.loads(got["Policy"]) == policy


SEED002 = lambda b: [  # noqa: E731  (the seed's bucket-policy versions, Principal "*")
    {"Sid": "DenyPresignedOver15Minutes", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": f"arn:aws:s3:::{b}/*",
     "Condition": {"NumericGreaterThan": {"s3:signatureAge": "900000"},
                   "StringNotEquals": {"aws:PrincipalTag/long-presigned-allowed": "true"}}},
]


def test_seed002_presigned_age(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    put_policy(s3, bucket, SEED002(bucket))
    signer = rawsig.Signer(server.endpoint, ACCESS_KEY, SECRET_KEY)
    now = datetime.datetime.now(datetime.timezone.utc)
    old = rawsig.presign_v4(signer, "GET", f"/{bucket}/k", expires=3600, when=now - datetime.timedelta(minutes=16))
    r = requests.get(old, timeout=10)
    assert r.status_code == 403 and "explicit deny in a resource-based policy" in r.text
    fresh = rawsig.presign_v4(signer, "GET", f"/{bucket}/k", expires=3600, when=now - datetime.timedelta(minutes=14))
    r = requests.get(fresh, timeout=10)
    assert r.status_code == 200 and r.content == b"data"


def test_seed002_deny_signature_version_2(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    put_policy(s3, bucket, [{"Sid": "DenySignatureVersion2", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                             "Resource": f"arn:aws:s3:::{bucket}/*",
                             "Condition": {"StringEquals": {"s3:signatureversion": "AWS"}}}])
    # awscli v1's presign is SigV2 query auth.
    v2_url = server.aws("s3", "presign", f"s3://{bucket}/k").stdout.decode().strip()
    assert "Signature=" in v2_url and "X-Amz-Signature" not in v2_url
    r = requests.get(v2_url, timeout=10)
    assert r.status_code == 403 and "AccessDenied" in r.text
    # SigV2 header auth (boto3 signature_version "s3").
    v2 = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                      region_name=REGION, config=Config(signature_version="s3", s3={"addressing_style": "path"}))
    with pytest.raises(ClientError) as e:
        v2.get_object(Bucket=bucket, Key="k")
    assert err(e)[:2] == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


def test_seed002_deny_non_header_auth(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    put_policy(s3, bucket, [{"Sid": "DenyNonHeaderAuth", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                             "Resource": f"arn:aws:s3:::{bucket}/*",
                             "Condition": {"StringNotEquals": {"s3:authType": "REST-HEADER",
                                                               "aws:PrincipalTag/non-header-auth-allowed": "true"}}}])
    v4 = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                      region_name=REGION, config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    r = requests.get(url, timeout=10)
    assert r.status_code == 403 and "explicit deny in a resource-based policy" in r.text
    post = v4.generate_presigned_post(bucket, "posted", ExpiresIn=300)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("f", b"x")}, timeout=10)
    assert r.status_code == 403 and "AccessDenied" in r.text
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="posted")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


def test_public_access_block_and_anonymous_reads(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="pub/x", Body=b"public")
    public = [{"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
               "Resource": f"arn:aws:s3:::{bucket}/pub/*"}]
    cfg = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(cfg.values())  # on by default, as AWS does for new buckets
    with pytest.raises(ClientError) as e:
        put_policy(s3, bucket, public)
    assert err(e)[:2] == ("AccessDenied", 403)
    assert requests.get(f"{server.endpoint}/{bucket}/pub/x", timeout=10).status_code == 403
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_public_access_block(Bucket=bucket)
    assert err(e)[:2] == ("NoSuchPublicAccessBlockConfiguration", 404)
    put_policy(s3, bucket, public)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    r = requests.get(f"{server.endpoint}/{bucket}/pub/x", timeout=10)
    assert r.status_code == 200 and r.content == b"public"
    r = requests.put(f"{server.endpoint}/{bucket}/pub/y", data=b"no", timeout=10)
    assert r.status_code == 403 and "<Message>Access Denied</Message>" in r.text
    # RestrictPublicBuckets makes the public grant inert without removing it.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert requests.get(f"{server.endpoint}/{bucket}/pub/x", timeout=10).status_code == 403


def test_policy_errors_and_root_can_always_manage_policy(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=bucket)
    assert err(e)[:2] == ("NoSuchBucketPolicy", 404)
    for bad in ['{"Statement": []', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::x/*"}]}',
                json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::someone-else/*"}]})]:
        with pytest.raises(ClientError) as e:
            s3.put_bucket_policy(Bucket=bucket, Policy=bad)
        assert err(e)[:2] == ("MalformedPolicy", 400)
    put_policy(s3, bucket, [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                             "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}])
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=bucket)
    assert err(e)[:2] == ("AccessDenied", 403)
    s3.get_bucket_policy(Bucket=bucket)
    s3.delete_bucket_policy(Bucket=bucket)
    s3.list_objects_v2(Bucket=bucket)


def test_conditions_from_the_connection_and_per_key_deletes(s3, bucket):
    for k in ["keep/a", "tmp/b", "src/c"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"1")
    put_policy(s3, bucket, [
        {"Sid": "KeepIsForever", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": f"arn:aws:s3:::{bucket}/keep/*"},
        {"Sid": "SrcReadOnlyFromOffice", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/src/*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    ])
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "keep/a"}, {"Key": "tmp/b"}]})
    assert [d["Key"] for d in r["Deleted"]] == ["tmp/b"]
    assert r["Errors"][0]["Key"] == "keep/a" and r["Errors"][0]["Code"] == "AccessDenied"
    # 127.0.0.1 is not in 10.0.0.0/8: reading src/ is denied, and so is copying from it.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="src/c")
    assert err(e)[:2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst/c", CopySource=f"{bucket}/src/c")
    assert err(e)[:2] == ("AccessDenied", 403)
    s3.copy_object(Bucket=bucket, Key="dst/a", CopySource=f"{bucket}/keep/a")


def test_sigv2_can_be_turned_off(tmp_root):
    import boto3
    from botocore.config import Config
    from conftest import ACCESS_KEY, SECRET_KEY, Server
    srv = Server(tmp_root / "no-sigv2")
    srv.start_args = ["--disable-sigv2"]
    srv.start()
    try:
        srv.client().create_bucket(Bucket="v2off")
        srv.client().put_object(Bucket="v2off", Key="k", Body=b"x")
        v2 = boto3.client("s3", endpoint_url=srv.endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          region_name="us-east-1", config=Config(signature_version="s3", s3={"addressing_style": "path"}))
        with pytest.raises(ClientError) as e:
            v2.get_object(Bucket="v2off", Key="k")
        assert err(e)[:2] == ("InvalidRequest", 400)
        assert "AWS4-HMAC-SHA256" in err(e)[2]
        assert srv.client().get_object(Bucket="v2off", Key="k")["Body"].read() == b"x"
    finally:
        srv.stop()


def test_existing_object_tag_condition(s3, bucket):
    s3.put_object(Bucket=bucket, Key="secret", Body=b"s", Tagging="classification=secret")
    s3.put_object(Bucket=bucket, Key="public", Body=b"p", Tagging="classification=public")
    put_policy(s3, bucket, [{"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                             "Resource": f"arn:aws:s3:::{bucket}/*",
                             "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "secret"}}}])
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="secret")
    assert err(e)[:2] == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="public")["Body"].read() == b"p"
    # Retagging the object changes the decision.
    s3.put_object_tagging(Bucket=bucket, Key="secret", Tagging={"TagSet": [{"Key": "classification", "Value": "public"}]})
    assert s3.get_object(Bucket=bucket, Key="secret")["Body"].read() == b"s"


def test_account_level_block_public_access(fresh_server):
    from botocore.config import Config
    from conftest import ACCESS_KEY, SECRET_KEY
    s3 = fresh_server.client()
    control = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="s3control")

    # botocore's S3 Control endpoint rules put the account id in the host name
    # (111122223333.127.0.0.1), which an IP endpoint cannot resolve; send it to the IP itself.
    def drop_account_host(request, **kwargs):
        request.url = request.url.replace("://111122223333.", "://").replace("://444455556666.", "://")
    control.meta.events.register("before-sign.s3-control.*", drop_account_host)
    with pytest.raises(ClientError) as e:
        control.get_public_access_block(AccountId="111122223333")
    assert err(e)[:2] == ("NoSuchPublicAccessBlockConfiguration", 404)
    s3.create_bucket(Bucket="acct-bpa")
    s3.delete_public_access_block(Bucket="acct-bpa")
    control.put_public_access_block(AccountId="111122223333", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    got = control.get_public_access_block(AccountId="111122223333")["PublicAccessBlockConfiguration"]
    assert all(got.values())
    public = [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acct-bpa/*"}]
    # The bucket's own setting is off, but the account's blocks public policies.
    with pytest.raises(ClientError) as e:
        put_policy(s3, "acct-bpa", public)
    assert err(e)[:2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        control.get_public_access_block(AccountId="444455556666")
    assert err(e)[:2] == ("AccessDenied", 403)
    control.delete_public_access_block(AccountId="111122223333")
    put_policy(s3, "acct-bpa", public)


def test_default_encryption_api(s3, bucket):
    enc = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"  # as S3 since 2023
    with pytest.raises(ClientError) as e:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES128"}}]})
    assert err(e)[:2] == ("InvalidArgument", 400)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]})
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]["BucketKeyEnabled"] is True
    s3.delete_bucket_encryption(Bucket=bucket)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]["BucketKeyEnabled"] is False
