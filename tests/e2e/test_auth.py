"""Every payload mode current clients use, presigned URLs and POST, and each auth error."""

import datetime
import hashlib
import subprocess
import time

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import rawsig
from conftest import ACCESS_KEY, SECRET_KEY, REGION


def code(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def signer(server):
    return rawsig.Signer(server.endpoint, ACCESS_KEY, SECRET_KEY)


def body(n=200_000):
    return bytes((i * 7) % 256 for i in range(n))


def test_signed_and_unsigned_payload(signer, s3, bucket):
    b = body()
    assert signer.request("PUT", f"/{bucket}/signed", body=b).status_code == 200
    assert signer.request("PUT", f"/{bucket}/unsigned", body=b, payload_hash="UNSIGNED-PAYLOAD").status_code == 200
    for k in ["signed", "unsigned"]:
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == b


@pytest.mark.parametrize("signed,trailer", [(True, False), (True, True), (False, True)])
def test_aws_chunked_modes(signer, s3, bucket, signed, trailer):
    b = body(300_000)
    t = ("x-amz-checksum-crc32", rawsig.crc32_b64(b)) if trailer else None
    r = signer.chunked_put(f"/{bucket}/chunked", b, signed=signed, trailer=t)
    assert r.status_code == 200, r.text
    g = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert g["Body"].read() == b
    if trailer:
        assert g["ChecksumCRC32"] == t[1]


def test_chunked_trailer_checksum_mismatch(signer, s3, bucket):
    b = body(100_000)
    r = signer.chunked_put(f"/{bucket}/bad-trailer", b, signed=False,
                           trailer=("x-amz-checksum-crc32", rawsig.crc32_b64(b"different")))
    assert r.status_code == 400 and "<Code>BadDigest</Code>" in r.text
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad-trailer")


def test_chunk_signature_mismatch(signer, s3, bucket):
    r = signer.chunked_put(f"/{bucket}/bad-chunk", body(100_000), bad_chunk_sig=True)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad-chunk")


def test_content_sha256_mismatch(signer, s3, bucket):
    r = signer.request("PUT", f"/{bucket}/sha", body=b"actual body",
                       payload_hash=hashlib.sha256(b"declared").hexdigest())
    assert r.status_code == 400 and "<Code>XAmzContentSHA256Mismatch</Code>" in r.text, r.text
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="sha")


def test_missing_content_length(server, signer, bucket):
    def gen():
        yield b"streamed without length"
    import datetime as dt
    when = dt.datetime.now(dt.timezone.utc)
    h, *_ = signer._sign("PUT", f"/{bucket}/nolen", [], {}, "UNSIGNED-PAYLOAD", when)
    r = requests.put(f"{server.endpoint}/{bucket}/nolen", headers=h, data=gen(), timeout=30)
    assert r.status_code == 411 and "<Code>MissingContentLength</Code>" in r.text


def test_wrong_key_secret_time(server, bucket):
    bad_key = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id="AKIANOSUCHKEY0000000",
                           aws_secret_access_key=SECRET_KEY, region_name=REGION,
                           config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        bad_key.list_objects_v2(Bucket=bucket)
    assert code(e) == ("InvalidAccessKeyId", 403)
    bad_secret = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                              aws_secret_access_key="wrong", region_name=REGION,
                              config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        bad_secret.list_objects_v2(Bucket=bucket)
    assert code(e) == ("SignatureDoesNotMatch", 403)
    signer = rawsig.Signer(server.endpoint, ACCESS_KEY, SECRET_KEY)
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    r = signer.request("GET", f"/{bucket}", when=old)
    assert r.status_code == 403 and "<Code>RequestTimeTooSkewed</Code>" in r.text
    near = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    assert signer.request("GET", f"/{bucket}", when=near).status_code == 200
    # A signed header altered after signing.
    r = signer.request("GET", f"/{bucket}", headers={"x-amz-meta-a": "1"},
                       tamper=lambda h: h.__setitem__("x-amz-meta-a", "2"))
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text


def test_anonymous_is_denied(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="private", Body=b"x")
    r = requests.get(f"{server.endpoint}/{bucket}/private", timeout=10)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    r = requests.put(f"{server.endpoint}/{bucket}/anon", data=b"x", timeout=10)
    assert r.status_code == 403


def v4_client(server):
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name=REGION,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def curl(*args):
    return subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args], capture_output=True, timeout=60)


def test_presigned_get_put_with_curl(server, s3, bucket, tmp_path):
    c = v4_client(server)
    payload = body(150_000)
    put_url = c.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=300)
    f = tmp_path / "p"
    f.write_bytes(payload)
    r = curl("-X", "PUT", "--upload-file", str(f), put_url)
    assert r.stdout.endswith(b"\n200"), r.stdout[-300:]
    get_url = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=300)
    r = curl(get_url)
    assert r.stdout[:-4] == payload and r.stdout.endswith(b"\n200")
    # The aws CLI's own presign (SigV2 query auth in awscli v1).
    cli_url = server.aws("s3", "presign", f"s3://{bucket}/pre").stdout.decode().strip()
    r = curl(cli_url)
    assert r.stdout[:-4] == payload, r.stdout[-300:]
    # A flipped signature byte is refused.
    i = get_url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    bad = get_url[:i] + ("0" if get_url[i] != "0" else "1") + get_url[i + 1:]
    r = curl(bad)
    assert r.stdout.endswith(b"\n403") and b"SignatureDoesNotMatch" in r.stdout


def test_presigned_expiry_rules(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="e", Body=b"x")
    c = v4_client(server)
    url = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"}, ExpiresIn=1)
    time.sleep(2.2)
    r = requests.get(url, timeout=10)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text and "Request has expired" in r.text
    url = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"}, ExpiresIn=604801)
    r = requests.get(url, timeout=10)
    assert r.status_code == 400 and "AuthorizationQueryParametersError" in r.text
    url = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"}, ExpiresIn=604800)
    assert requests.get(url, timeout=10).status_code == 200


def test_presigned_post(server, s3, bucket):
    c = v4_client(server)
    post = c.generate_presigned_post(bucket, "uploads/hello.txt", Fields={"Content-Type": "text/plain"},
                                     Conditions=[["starts-with", "$key", "uploads/"], {"Content-Type": "text/plain"},
                                                 ["content-length-range", 1, 1024]],
                                     ExpiresIn=300)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("hello.txt", b"posted body")}, timeout=30)
    assert r.status_code in (200, 204), r.text
    g = s3.get_object(Bucket=bucket, Key="uploads/hello.txt")
    assert g["Body"].read() == b"posted body" and g["ServerSideEncryption"] == "AES256"
    # The policy's conditions are enforced.
    r = requests.post(post["url"], data=post["fields"], files={"file": ("big.txt", b"x" * 2000)}, timeout=30)
    assert r.status_code in (400, 403)


def test_sigv2_header_auth_for_bucket_and_object_calls(server):
    """Legacy SigV2 (boto3 signature_version "s3") works for bucket-level calls too: botocore
    signs `/bucket/` for a path-style `/bucket` request."""
    v2 = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                      region_name=REGION, config=Config(signature_version="s3", s3={"addressing_style": "path"}))
    v2.create_bucket(Bucket="sigv2-bucket")
    v2.put_object(Bucket="sigv2-bucket", Key="dir/k", Body=b"v2")
    assert [o["Key"] for o in v2.list_objects(Bucket="sigv2-bucket")["Contents"]] == ["dir/k"]
    assert v2.list_objects_v2(Bucket="sigv2-bucket", Prefix="dir/")["KeyCount"] == 1
    v2.head_bucket(Bucket="sigv2-bucket")
    assert v2.get_object(Bucket="sigv2-bucket", Key="dir/k")["Body"].read() == b"v2"
    v2.delete_object(Bucket="sigv2-bucket", Key="dir/k")
    v2.delete_bucket(Bucket="sigv2-bucket")
