"""Conditional writes (issue 9 §2): If-None-Match / If-Match on PutObject, CopyObject and
CompleteMultipartUpload, If-Match on DeleteObject, per-object ETag in DeleteObjects — the
check and the write one atomic step."""
import json
import threading
import uuid

import pytest
from botocore.exceptions import ClientError


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_put_if_none_match_and_if_match(s3, bucket):
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfNoneMatch="*")
    assert err(e) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert err(e) == ("PreconditionFailed", 412)
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfMatch=first["ETag"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    # The old ETag no longer matches: a lost update is refused.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"three", IfMatch=first["ETag"])
    assert err(e) == ("PreconditionFailed", 412)
    # Unquoted ETags are accepted as S3 does.
    s3.put_object(Bucket=bucket, Key="k", Body=b"three", IfMatch=second["ETag"].strip('"'))
    # If-Match on a key with no object: 404.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="absent", Body=b"x", IfMatch=first["ETag"])
    assert err(e) == ("NoSuchKey", 404)
    # If-None-Match takes only '*'; both headers at once are not S3's either.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", IfNoneMatch=first["ETag"])
    assert err(e) == ("NotImplemented", 501)


def test_concurrent_if_none_match_puts_one_wins(server, bucket):
    results = []
    barrier = threading.Barrier(10)

    def put(n):
        c = server.client()
        barrier.wait()
        try:
            c.put_object(Bucket=bucket, Key="race", Body=bytes([n]) * 300_000, IfNoneMatch="*")
            results.append(("ok", n))
        except ClientError as e:
            results.append((e.response["Error"]["Code"], n))

    threads = [threading.Thread(target=put, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for code, n in results if code == "ok"]
    assert len(winners) == 1, results
    assert {code for code, _ in results if code != "ok"} <= {"PreconditionFailed"}
    body = server.client().get_object(Bucket=bucket, Key="race")["Body"].read()
    assert body == bytes([winners[0]]) * 300_000


def test_complete_multipart_conditions(s3, bucket):
    s3.put_object(Bucket=bucket, Key="mp", Body=b"existing")
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=b"p" * 100)
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload=parts,
                                     IfNoneMatch="*")
    assert err(e) == ("PreconditionFailed", 412)
    # Nothing was written and the upload is still there to complete.
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"existing"
    current = s3.head_object(Bucket=bucket, Key="mp")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload=parts,
                                 IfMatch=current)
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"p" * 100


def test_copy_with_destination_condition(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    s3.put_object(Bucket=bucket, Key="dst", Body=b"dest")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                       IfNoneMatch="*")
    assert err(e) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"dest"
    s3.copy_object(Bucket=bucket, Key="new", CopySource={"Bucket": bucket, "Key": "src"},
                   IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="new")["Body"].read() == b"source"


def test_delete_if_match(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="d", Body=b"v")
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key="d", IfMatch='"ffffffffffffffffffffffffffffffff"')
    assert err(e) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"v"
    s3.delete_object(Bucket=bucket, Key="d", IfMatch=put["ETag"])
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="d")
    assert err(e)[1] == 404
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key="d", IfMatch=put["ETag"])
    assert err(e) == ("NoSuchKey", 404)


def test_delete_objects_per_object_etag(s3, bucket):
    a = s3.put_object(Bucket=bucket, Key="a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="b", Body=b"b")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "a", "ETag": a["ETag"]},
        {"Key": "b", "ETag": a["ETag"]},
    ]})
    assert [d["Key"] for d in r["Deleted"]] == ["a"]
    assert [(x["Key"], x["Code"]) for x in r["Errors"]] == [("b", "PreconditionFailed")]
    assert s3.get_object(Bucket=bucket, Key="b")["Body"].read() == b"b"


def test_bucket_policy_can_require_conditional_writes(server, s3, bucket):
    """s3:if-none-match is a condition key, so a bucket can refuse unconditional PUTs."""
    iam = server.client_for(*_root(), service="iam")
    name = f"cw-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                       "Resource": f"arn:aws:s3:::{bucket}/*",
                       "Condition": {"Null": {"s3:if-none-match": "true"}}}]}))
    user = server.client_for(k["AccessKeyId"], k["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="x", Body=b"1")
    assert err(e) == ("AccessDenied", 403)
    user.put_object(Bucket=bucket, Key="x", Body=b"1", IfNoneMatch="*")
    s3.delete_bucket_policy(Bucket=bucket)


def _root():
    from conftest import ACCESS_KEY, SECRET_KEY
    return ACCESS_KEY, SECRET_KEY
