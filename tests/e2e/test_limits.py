"""AWS's limits, enforced with AWS's errors and never a 500: document bodies, user metadata,
tags, policy sizes, list ranges, KMS parameters, object sizes, nested XML."""

import json
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def uniq(p):
    return f"{p}-{uuid.uuid4().hex[:8]}"


def test_document_bodies_over_the_limit(server, s3, bucket, signer):
    # A DeleteObjects body far beyond any real one (1000 keys fit in ~1.2 MiB).
    big = b"<Delete>" + (b"<Object><Key>" + b"k" * 1000 + b"</Key></Object>") * 3000 + b"</Delete>"
    r = signer.request("POST", f"/{bucket}", params=[("delete", "")], body=big,
                       headers={"content-md5": __import__("base64").b64encode(__import__("hashlib").md5(big).digest()).decode()})
    assert r.status_code == 400 and "MaxMessageLengthExceeded" in r.text, (r.status_code, r.text[:300])
    # Deeply nested XML is refused, not a crash.
    bomb = b"<Delete>" + b"<a>" * 200_000 + b"</a>" * 200_000 + b"</Delete>"
    bomb_md5 = __import__("base64").b64encode(__import__("hashlib").md5(bomb).digest()).decode()
    r = signer.request("POST", f"/{bucket}", params=[("delete", "")], body=bomb,
                       headers={"content-md5": bomb_md5})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    r = signer.request("PUT", f"/{bucket}", params=[("tagging", "")], body=b"<Tagging>" + b"<x>" * 100_000 + b"</x>" * 100_000 + b"</Tagging>")
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert requests.get(f"{server.endpoint}/health/live").status_code == 200


def test_user_metadata_and_tags(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"a": "v" * 2100})
    assert err(e) == ("MetadataTooLarge", 400)
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"a": "v" * 1900})
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="mp", Metadata={"k" * 1500: "v" * 600})
    assert err(e) == ("MetadataTooLarge", 400)
    for tags in ([{"Key": "aws:x", "Value": "1"}], [{"Key": "k" * 129, "Value": "1"}],
                 [{"Key": "k", "Value": "v" * 257}], [{"Key": f"k{i}", "Value": "v"} for i in range(11)]):
        with pytest.raises(ClientError) as e:
            s3.put_object_tagging(Bucket=bucket, Key="m", Tagging={"TagSet": tags})
        assert err(e)[1] == 400, tags
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="aws%3Ax=1")
    assert err(e)[1] == 400
    for tags in ([{"Key": "aws:x", "Value": "1"}], [{"Key": f"k{i}", "Value": "v"} for i in range(51)]):
        with pytest.raises(ClientError) as e:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
        assert err(e)[1] == 400, tags


def test_bucket_policy_size(s3, bucket):
    stmt = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/x"}
    policy = {"Version": "2012-10-17", "Statement": [dict(stmt, Sid=f"S{i}") for i in range(200)]}
    assert len(json.dumps(policy)) > 20 * 1024
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert err(e) == ("MalformedPolicy", 400)


def test_iam_limits(server):
    # botocore checks ranges itself; switch that off to see what the server says.
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam", parameter_validation=False)
    user = uniq("lim")
    iam.create_user(UserName=user)
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i:04d}/*"} for i in range(60)]})
    assert len(big) > 2048
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=user, PolicyName="big", PolicyDocument=big)
    assert err(e) == ("LimitExceeded", 409)
    huge = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i:04d}/*"} for i in range(200)]})
    assert len(huge) > 6144
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=uniq("huge"), PolicyDocument=huge)
    assert err(e) == ("LimitExceeded", 409)
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName=user, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert err(e)[1] in (400, 409)
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName=user, Tags=[{"Key": "aws:reserved", "Value": "v"}])
    assert err(e)[1] == 400
    for n in (0, 1001):
        with pytest.raises(ClientError) as e:
            iam.list_users(MaxItems=n)
        assert err(e) == ("ValidationError", 400), n


def test_kms_limits(server):
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms", parameter_validation=False)
    with pytest.raises(ClientError) as e:
        kms.create_key(Description="d" * 8193)
    assert err(e) == ("ValidationException", 400)
    key = kms.create_key(Description="d" * 8192)["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.tag_resource(KeyId=key, Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)])
    assert err(e)[1] == 400
    with pytest.raises(ClientError) as e:
        kms.tag_resource(KeyId=key, Tags=[{"TagKey": "aws:x", "TagValue": "v"}])
    assert err(e)[1] == 400
    # A destructive call with an invalid parameter is refused, never done with a default.
    for bad in (-7, 0, 6, 31, 365):
        with pytest.raises(ClientError) as e:
            kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=bad)
        assert err(e) == ("ValidationException", 400), bad
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    for n in (0, 1001):
        with pytest.raises(ClientError) as e:
            kms.list_keys(Limit=n)
        assert err(e) == ("ValidationException", 400), n
    for bad in ("\u0001abc", "a" * 2049, "alias/\u0000x"):
        with pytest.raises(ClientError) as e:
            kms.describe_key(KeyId=bad)
        assert err(e)[1] == 400, repr(bad)


def test_kms_wrong_types_are_refused(server):
    import datetime
    import hashlib
    import hmac as hm
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    # botocore refuses a string for an integer; sign the call by hand.
    body = json.dumps({"KeyId": key, "PendingWindowInDays": "abc"}).encode()
    r = signed_kms(server, "ScheduleKeyDeletion", body)
    assert r.status_code == 400 and r.json()["__type"] in ("SerializationException", "ValidationException"), r.text
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    r = signed_kms(server, "ScheduleKeyDeletion", b"[1, 2")
    assert r.status_code == 400
    r = signed_kms(server, "ScheduleKeyDeletion", b"x" * (100 * 1024))
    assert r.status_code == 400, r.text


def signed_kms(server, op, body):
    import datetime
    import hashlib
    import hmac as hm
    from rawsig import signing_key
    now = datetime.datetime.now(datetime.timezone.utc)
    amz = now.strftime("%Y%m%dT%H%M%SZ")
    host = server.endpoint.split("//")[1]
    headers = {"content-type": "application/x-amz-json-1.1", "host": host, "x-amz-date": amz,
               "x-amz-target": f"TrentService.{op}"}
    names = sorted(headers)
    canonical = "\n".join(["POST", "/", "", "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names),
                           hashlib.sha256(body).hexdigest()])
    scope = f"{amz[:8]}/us-east-1/kms/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    sig = hm.new(signing_key(SECRET_KEY, amz[:8], "us-east-1", "kms"), sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders={';'.join(names)}, Signature={sig}"
    return requests.post(server.endpoint + "/", data=body, headers=headers)


def test_single_put_over_5gib_is_refused_up_front(server, bucket, signer):
    import socket
    import datetime
    h, *_ = signer._sign("PUT", f"/{bucket}/huge", [], {"content-length": str(5 * 1024**3 + 1)}, "UNSIGNED-PAYLOAD",
                         datetime.datetime.now(datetime.timezone.utc))
    s = socket.create_connection(("127.0.0.1", server.port))
    head = f"PUT /{bucket}/huge HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    s.sendall(head.encode() + b"x" * 1000)
    s.settimeout(10)
    reply = s.recv(65536)
    s.close()
    assert b" 400 " in reply.split(b"\r\n")[0] and b"EntityTooLarge" in reply, reply[:300]


def test_aws_chunked_length_and_trailer_must_hold(server, s3, bucket, signer):
    data = b"y" * 100_000
    # Decoded length that contradicts the body.
    r = signer.chunked_put(f"/{bucket}/liar", data, decoded_length=len(data) + 10)
    assert r.status_code == 400, r.text
    r = signer.chunked_put(f"/{bucket}/liar2", data, decoded_length=len(data) - 10)
    assert r.status_code == 400, r.text
    # A declared trailer checksum that never comes.
    import rawsig
    r = signer.chunked_put(f"/{bucket}/notrailer", data, signed=False,
                           trailer=("x-amz-checksum-crc32", rawsig.crc32_b64(data)), omit_trailer=True)
    assert r.status_code == 400, r.text
    for k in ("liar", "liar2", "notrailer"):
        with pytest.raises(ClientError):
            s3.head_object(Bucket=bucket, Key=k)


@pytest.fixture
def signer(server):
    import rawsig
    return rawsig.Signer(server.endpoint, ACCESS_KEY, SECRET_KEY)


def test_form_fields_are_bounded(server, bucket):
    """A browser form's fields are buffered before its file: anyone may send one, so at most
    S3's 20 KB of them are taken (8 fields of 0.5 MB each are refused before any policy)."""
    fields = {"key": (None, "k")}
    fields.update({f"x-amz-meta-pad{i}": (None, "p" * 500_000) for i in range(8)})
    fields["file"] = ("f", b"data")
    r = requests.post(f"{server.endpoint}/{bucket}", files=fields)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert requests.get(f"{server.endpoint}/health/live").status_code == 200
