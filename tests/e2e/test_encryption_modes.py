"""Seed 000's four server-side encryption modes over HTTPS: SSE-S3, SSE-KMS, DSSE-KMS (two
layers, two data keys) and SSE-C (the customer's key, never stored)."""

import base64
import hashlib
import json
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY

ACCT = "111122223333"


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def md5_b64(raw):
    return base64.b64encode(hashlib.md5(raw).digest()).decode()


def files_under(path):
    for root, _, names in os.walk(path):
        for n in names:
            yield os.path.join(root, n)


def test_seed000_four_modes_over_https_with_cli(server, tmp_path):
    bucket = f"modes-{uuid.uuid4().hex[:10]}"
    server.aws("s3", "mb", f"s3://{bucket}", https=True)
    body = tmp_path / "object.jpg"
    body.write_bytes(os.urandom(70_000))
    customer_key = "0123456789abcdef0123456789abcdef"  # the CLI takes the raw 32-byte key
    modes = {
        "AES256": ["--server-side-encryption", "AES256"],
        "aws:kms": ["--server-side-encryption", "aws:kms"],
        "aws:kms:dsse": ["--server-side-encryption", "aws:kms:dsse"],
        "SSE-C": ["--sse-customer-algorithm", "AES256", "--sse-customer-key", customer_key],
    }
    managed = json.loads(server.aws("kms", "describe-key", "--key-id", "alias/aws/s3", https=True).stdout)
    for mode, flags in modes.items():
        key = f"{mode.replace(':', '-')}/object.jpg"
        put = json.loads(server.aws("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", str(body),
                                    *flags, https=True).stdout)
        read = flags if mode == "SSE-C" else []
        head = json.loads(server.aws("s3api", "head-object", "--bucket", bucket, "--key", key, *read,
                                     https=True).stdout)
        if mode == "SSE-C":
            expected_md5 = md5_b64(customer_key.encode())
            for r in (put, head):
                assert r["SSECustomerAlgorithm"] == "AES256" and r["SSECustomerKeyMD5"] == expected_md5
                assert "ServerSideEncryption" not in r
        else:
            for r in (put, head):
                assert r["ServerSideEncryption"] == mode
                if mode != "AES256":
                    # No key id: the account's AWS-managed aws/s3 key.
                    assert r["SSEKMSKeyId"] == managed["KeyMetadata"]["Arn"]
        out = tmp_path / f"back-{uuid.uuid4().hex}"
        server.aws("s3api", "get-object", "--bucket", bucket, "--key", key, *read, str(out), https=True)
        assert out.read_bytes() == body.read_bytes(), mode
    # SSE-C needs HTTPS: the same request over plain HTTP is refused and stores nothing.
    r = server.aws("s3api", "put-object", "--bucket", bucket, "--key", "plain-http", "--body", str(body),
                   *modes["SSE-C"], check=False)
    assert r.returncode != 0 and b"InvalidRequest" in r.stderr and b"secure connection" in r.stderr
    r = server.aws("s3api", "head-object", "--bucket", bucket, "--key", "plain-http", check=False, https=True)
    assert r.returncode != 0


def test_sse_c_key_checks_and_errors(server):
    s3 = server.client_for(ACCESS_KEY, SECRET_KEY, https=True)
    bucket = f"ssec-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    key, other = os.urandom(32), os.urandom(32)
    body = os.urandom(200_000)
    with_key = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    wrong_key = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": other}
    put = s3.put_object(Bucket=bucket, Key="c", Body=body, **with_key)
    assert put["SSECustomerKeyMD5"] == md5_b64(key) and "ServerSideEncryption" not in put

    g = s3.get_object(Bucket=bucket, Key="c", Range="bytes=65530-131080", **with_key)
    assert g["Body"].read() == body[65530:131081] and g["SSECustomerAlgorithm"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="c", **with_key)["ContentLength"] == len(body)
    # No key, a wrong key: refused as S3 does, HEAD included.
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as e:
            call(Bucket=bucket, Key="c")
        assert err(e)[1] == 400
        with pytest.raises(ClientError) as e:
            call(Bucket=bucket, Key="c", **wrong_key)
        assert err(e)[1] == 403
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c")
    assert err(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", **wrong_key)
    assert err(e) == ("AccessDenied", 403)
    # A key on an object that is not SSE-C.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="plain", **with_key)
    assert err(e) == ("InvalidRequest", 400)
    # Header errors: bad MD5, short key, wrong algorithm, SSE-C with another SSE header.
    # boto3 computes the MD5 itself; a hook replaces it on the wire before signing.
    bad_md5 = server.client_for(ACCESS_KEY, SECRET_KEY, https=True)

    def wrong_md5(request, **_):
        del request.headers["x-amz-server-side-encryption-customer-key-MD5"]
        request.headers["x-amz-server-side-encryption-customer-key-MD5"] = md5_b64(other)
    bad_md5.meta.events.register("before-sign.s3.PutObject", wrong_md5)
    with pytest.raises(ClientError) as e:
        bad_md5.put_object(Bucket=bucket, Key="x", Body=b"x", **with_key)
    assert err(e) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="x", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(16))
    assert err(e) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="x", Body=b"x", SSECustomerAlgorithm="AES128", SSECustomerKey=key)
    assert err(e) == ("InvalidEncryptionAlgorithmError", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="x", Body=b"x", ServerSideEncryption="AES256", **with_key)
    assert err(e) == ("InvalidArgument", 400)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="x")

    # Copies: the source's key in the copy-source headers; re-keying an object in place.
    src_key = {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "c"})
    assert err(e)[1] == 400
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "c"}, **src_key)
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == body  # now SSE-S3
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "c"}, **src_key,
                   SSECustomerAlgorithm="AES256", SSECustomerKey=other)
    assert s3.get_object(Bucket=bucket, Key="c", **wrong_key)["Body"].read() == body
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", **with_key)
    assert err(e) == ("AccessDenied", 403)

    # Multipart: every part brings the upload's key.
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", **with_key)
    assert up["SSECustomerKeyMD5"] == md5_b64(key)
    p1 = os.urandom(5 * 1024 * 1024)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=p1)
    assert err(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=p1, **wrong_key)
    assert err(e) == ("InvalidRequest", 400)
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=p1, **with_key)
    e2 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "plain"}, **with_key)
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"], MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="mp", **with_key)["Body"].read() == p1 + b"x"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="mp", **wrong_key)
    assert err(e) == ("AccessDenied", 403)

    # The key is never stored or logged: neither it nor its base64 appears in any file of the
    # data dir or in the server's log.
    for secret in (key, other):
        needles = (secret, base64.b64encode(secret))
        for f in [*files_under(server.data_dir), server.log]:
            with open(f, "rb") as fh:
                data = fh.read()
            assert not any(n in data for n in needles), f


def test_dsse_kms_two_layers_two_data_keys(fresh_server):
    s3 = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, https=True)
    kms = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="kms", https=True)
    key = kms.create_key()["KeyMetadata"]
    s3.create_bucket(Bucket="dsse")
    body = os.urandom(300_000)
    before = fresh_server.coffer("audit", "--event", "GenerateDataKey").count("\n")
    r = s3.put_object(Bucket="dsse", Key="k", Body=body, ServerSideEncryption="aws:kms:dsse",
                      SSEKMSKeyId=key["KeyId"], BucketKeyEnabled=True)
    assert r["ServerSideEncryption"] == "aws:kms:dsse" and r["SSEKMSKeyId"] == key["Arn"]
    # Bucket keys do not apply to DSSE-KMS; the request's KMS use is in the audit trail.
    assert not r.get("BucketKeyEnabled")
    trail = fresh_server.coffer("audit", "--event", "GenerateDataKey").splitlines()[before:]
    assert [json.loads(t)["userIdentity"]["invokedBy"] for t in trail] == ["s3.amazonaws.com"]
    # Two layers: every 64 KiB package carries two 16-byte tags.
    packages = -(-len(body) // 65536)
    sizes = {os.path.getsize(f) for f in files_under(fresh_server.data_dir / "objects" / "blobs")}
    assert len(body) + packages * 32 in sizes, sizes
    g = s3.get_object(Bucket="dsse", Key="k", Range="bytes=131000-200000")
    assert g["Body"].read() == body[131000:200001] and g["ServerSideEncryption"] == "aws:kms:dsse"
    # The key's state governs both layers.
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="dsse", Key="k")
    assert err(e)[0] == "KMS.DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    # Default bucket encryption aws:kms:dsse.
    s3.put_bucket_encryption(Bucket="dsse", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": key["Arn"]}}]})
    rule = s3.get_bucket_encryption(Bucket="dsse")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms:dsse"
    s3.put_object(Bucket="dsse", Key="default", Body=b"d")
    h = s3.head_object(Bucket="dsse", Key="default")
    assert h["ServerSideEncryption"] == "aws:kms:dsse" and h["SSEKMSKeyId"] == key["Arn"]
    # Copy from DSSE to SSE-S3 and multipart under DSSE.
    s3.copy_object(Bucket="dsse", Key="plain", CopySource={"Bucket": "dsse", "Key": "k"}, ServerSideEncryption="AES256")
    assert s3.get_object(Bucket="dsse", Key="plain")["Body"].read() == body
    up = s3.create_multipart_upload(Bucket="dsse", Key="mp")
    assert up["ServerSideEncryption"] == "aws:kms:dsse"
    part = s3.upload_part(Bucket="dsse", Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"only part")
    s3.complete_multipart_upload(Bucket="dsse", Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert s3.get_object(Bucket="dsse", Key="mp")["Body"].read() == b"only part"


def test_sse_c_in_a_presigned_post_form(server):
    """SSE-C form fields make a POST upload SSE-C; like the headers, they need HTTPS."""
    import requests
    s3 = server.client_for(ACCESS_KEY, SECRET_KEY, https=True)
    bucket = f"ssec-post-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    key = os.urandom(32)
    fields = {"x-amz-server-side-encryption-customer-algorithm": "AES256",
              "x-amz-server-side-encryption-customer-key": base64.b64encode(key).decode(),
              "x-amz-server-side-encryption-customer-key-MD5": md5_b64(key)}
    for https in (False, True):
        signer = server.client_for(ACCESS_KEY, SECRET_KEY, https=https)
        post = signer.generate_presigned_post(bucket, "posted", Fields=fields,
                                              Conditions=[{k: v} for k, v in fields.items()], ExpiresIn=300)
        verify = str(server.data_dir / "tls" / "cert.pem") if https else True
        r = requests.post(post["url"], data=post["fields"], files={"file": ("f", b"form body")}, timeout=30,
                          verify=verify)
        if not https:
            assert r.status_code == 400 and b"secure connection" in r.content, r.text
            with pytest.raises(ClientError):
                s3.head_object(Bucket=bucket, Key="posted")
        else:
            assert r.status_code in (200, 204), r.text
    g = s3.get_object(Bucket=bucket, Key="posted", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert g["Body"].read() == b"form body" and g["SSECustomerKeyMD5"] == md5_b64(key)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="posted")
    assert err(e) == ("InvalidRequest", 400)
