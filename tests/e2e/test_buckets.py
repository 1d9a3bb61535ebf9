import uuid

import pytest
from botocore.exceptions import ClientError


def code(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_bucket_lifecycle_with_cli(server):
    name = f"cli-{uuid.uuid4().hex[:12]}"
    server.aws("s3", "mb", f"s3://{name}")
    out = server.aws("s3api", "list-buckets").stdout.decode()
    assert name in out
    server.aws("s3api", "head-bucket", "--bucket", name)
    loc = server.aws("s3api", "get-bucket-location", "--bucket", name).stdout.decode()
    assert '"LocationConstraint": null' in loc
    server.aws("s3", "rb", f"s3://{name}")
    assert name not in server.aws("s3api", "list-buckets").stdout.decode()


def test_bucket_errors(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=bucket)
    assert code(e) == ("BucketAlreadyOwnedByYou", 409)
    for bad in ["ab", "Upper-Case", "under_score", "a..b", "192.168.0.1", "-lead"]:
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket=bad)
        assert code(e) == ("InvalidBucketName", 400), bad
    s3.put_object(Bucket=bucket, Key="x", Body=b"1")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert code(e) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=bucket, Key="x")
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket)
    assert code(e)[1] == 404
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=bucket)
    assert code(e) == ("NoSuchBucket", 404)


def test_location_constraint(s3):
    name = f"loc-{uuid.uuid4().hex[:12]}"
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert code(e) == ("IllegalLocationConstraintException", 400)


def test_bucket_tagging(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert code(e) == ("NoSuchTagSet", 404)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "sec"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "sec"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_health_and_request_ids(server, s3, bucket):
    import requests
    for path in ["/health/live", "/health/ready"]:
        r = requests.get(server.endpoint + path, timeout=5)
        assert r.status_code == 200 and r.headers["x-amz-request-id"]
    # Every S3 response, errors included, carries a request id.
    r = requests.get(f"{server.endpoint}/{bucket}/nothing", timeout=5)
    assert r.status_code == 403 and r.headers["x-amz-request-id"]
    ok = s3.list_objects_v2(Bucket=bucket)
    assert ok["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
