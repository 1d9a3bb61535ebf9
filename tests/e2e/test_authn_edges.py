"""Authentication at its edges, answered as AWS does: SigV2 has the same 15-minute window as
SigV4 (a captured request does not replay for ever) and SigV2 presigned URLs live at most 7
days; unsigned IAM/STS/KMS calls get MissingAuthenticationToken, unknown KMS targets
UnknownOperationException; the credential scope's region is checked; SignatureDoesNotMatch
says what AWS says; DeleteObjects refuses a caller with no standing as a whole."""

import base64
import datetime
import email.utils
import hashlib
import hmac
import json
import re
import time
import urllib.parse
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def sigv2_headers(method, resource, date, content_type=""):
    sts = f"{method}\n\n{content_type}\n{date}\n{resource}"
    sig = base64.b64encode(hmac.new(SECRET_KEY.encode(), sts.encode(), hashlib.sha1).digest()).decode()
    return {"Date": date, "Authorization": f"AWS {ACCESS_KEY}:{sig}"}


def http_date(delta_secs=0):
    return email.utils.formatdate(time.time() + delta_secs, usegmt=True)


def xml_code(text):
    m = re.search(r"<Code>([^<]+)</Code>", text)
    return m and m.group(1)


def test_sigv2_header_auth_has_a_time_window(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v2 window")
    url = f"{server.endpoint}/{bucket}/k"
    ok = requests.get(url, headers=sigv2_headers("GET", f"/{bucket}/k", http_date()))
    assert ok.status_code == 200 and ok.content == b"v2 window"
    for delta in (-16 * 60, -365 * 86400, 16 * 60):
        r = requests.get(url, headers=sigv2_headers("GET", f"/{bucket}/k", http_date(delta)))
        assert (r.status_code, xml_code(r.text)) == (403, "RequestTimeTooSkewed"), delta
        assert "The difference between the request time and the current time is too large." in r.text
    # A date nobody can read is refused, not taken as "no age".
    for bad in ("yesterday", "Thu, 99 Foo 2026 99:99:99 GMT"):
        r = requests.get(url, headers=sigv2_headers("GET", f"/{bucket}/k", bad))
        assert r.status_code == 403 and xml_code(r.text) == "AccessDenied", bad


def presign_v2(server, bucket, key, expires_at):
    sts = f"GET\n\n\n{expires_at}\n/{bucket}/{key}"
    sig = base64.b64encode(hmac.new(SECRET_KEY.encode(), sts.encode(), hashlib.sha1).digest()).decode()
    q = urllib.parse.urlencode({"AWSAccessKeyId": ACCESS_KEY, "Expires": str(expires_at), "Signature": sig})
    return f"{server.endpoint}/{bucket}/{key}?{q}"


def test_sigv2_presigned_urls_live_at_most_seven_days(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="p", Body=b"presigned v2")
    now = int(time.time())
    assert requests.get(presign_v2(server, bucket, "p", now + 3600)).content == b"presigned v2"
    assert requests.get(presign_v2(server, bucket, "p", now + 7 * 86400 - 60)).status_code == 200
    for too_long in (now + 7 * 86400 + 3600, now + 10 * 365 * 86400):
        r = requests.get(presign_v2(server, bucket, "p", too_long))
        assert (r.status_code, xml_code(r.text)) == (400, "AuthorizationQueryParametersError")
    r = requests.get(presign_v2(server, bucket, "p", now - 10))
    assert r.status_code == 403
    # The aws CLI's own presign (SigV2 in awscli v1) still works.
    url = server.aws("s3", "presign", f"s3://{bucket}/p").stdout.decode().strip()
    assert requests.get(url).content == b"presigned v2"


def test_unsigned_iam_sts_and_kms_calls(server):
    for method, kwargs in (
        ("POST", {"data": "Action=ListUsers&Version=2010-05-08",
                  "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
        ("GET", {"params": {"Action": "ListUsers", "Version": "2010-05-08"}}),
        ("POST", {"data": "Action=GetCallerIdentity&Version=2011-06-15",
                  "headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}}),
    ):
        r = requests.request(method, server.endpoint + "/", **kwargs)
        assert (r.status_code, xml_code(r.text)) == (403, "MissingAuthenticationToken"), r.text
        assert "ErrorResponse" in r.text
    sts_ns = requests.get(server.endpoint + "/", params={"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert "sts.amazonaws.com" in sts_ns.text
    r = requests.post(server.endpoint + "/", data="{}", headers={
        "X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"})
    assert r.status_code == 400 and r.json()["__type"] == "MissingAuthenticationTokenException"
    # Nothing of an unsigned body is read: a huge one is answered at once, the same way.
    r = requests.post(server.endpoint + "/", data=b"x" * (8 << 20), headers={
        "X-Amz-Target": "TrentService.Encrypt", "Content-Type": "application/x-amz-json-1.1"})
    assert r.status_code == 400 and r.json()["__type"] == "MissingAuthenticationTokenException"


def test_unknown_kms_targets(server):
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")

    def call(target):
        def add(request, **kw):
            del request.headers["X-Amz-Target"]
            request.headers["X-Amz-Target"] = target
        kms.meta.events.register_first("before-sign.kms.ListKeys", add)
        try:
            kms.list_keys()
        finally:
            kms.meta.events.unregister("before-sign.kms.ListKeys", add)

    for target in ("TrentService.NoSuchOperation", "DynamoDB_20120810.ListTables", "TrentService."):
        with pytest.raises(ClientError) as e:
            call(target)
        assert err(e)[:2] == ("UnknownOperationException", 400), target
    with pytest.raises(ClientError) as e:
        call("TrentService.ReplicateKey")
    assert err(e)[:2] == ("UnsupportedOperationException", 400)


def test_credential_scope_region_is_checked(server, bucket):
    wrong = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                         aws_secret_access_key=SECRET_KEY, region_name="eu-west-1",
                         config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        wrong.head_bucket(Bucket=bucket)
    assert err(e)[1] == 400
    with pytest.raises(ClientError) as e:
        wrong.list_objects_v2(Bucket=bucket)
    code, status, message = err(e)
    assert (code, status) == ("AuthorizationHeaderMalformed", 400)
    assert "'eu-west-1' is wrong; expecting 'us-east-1'" in message
    wrong_v4 = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name="eu-west-1",
                            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    url = wrong_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "x"})
    assert "X-Amz-Credential" in url
    r = requests.get(url)
    assert (r.status_code, xml_code(r.text)) == (400, "AuthorizationQueryParametersError")
    kms = boto3.client("kms", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY, region_name="eu-west-1")
    with pytest.raises(ClientError) as e:
        kms.list_keys()
    assert err(e)[:2] == ("InvalidSignatureException", 400)
    assert "valid region" in err(e)[2]
    sts = boto3.client("sts", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY, region_name="eu-west-1")
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err(e)[:2] == ("SignatureDoesNotMatch", 403)


def test_signature_mismatch_says_what_aws_says(server, bucket):
    bad = server.client_for(ACCESS_KEY, "not-the-secret")
    with pytest.raises(ClientError) as e:
        bad.list_objects_v2(Bucket=bucket)
    code, status, message = err(e)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("The request signature we calculated does not match the signature you provided.")
    bad_iam = server.client_for(ACCESS_KEY, "not-the-secret", service="iam")
    with pytest.raises(ClientError) as e:
        bad_iam.list_users()
    assert err(e)[0] == "SignatureDoesNotMatch" and "does not match" in err(e)[2]
    # Ids no AWS key could have are refused before any lookup.
    for ak in ("AKIA", "A" * 200, "AKIA/../../etc"):
        r = requests.get(f"{server.endpoint}/{bucket}", headers={
            "Authorization": f"AWS4-HMAC-SHA256 Credential={ak}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            "x-amz-date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
            "x-amz-content-sha256": hashlib.sha256(b"").hexdigest()})
        assert r.status_code in (400, 403), ak


def test_delete_objects_refuses_callers_without_standing(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a", Body=b"1")
    body = '<Delete><Object><Key>a</Key></Object></Delete>'
    md5 = base64.b64encode(hashlib.md5(body.encode()).digest()).decode()
    anon = requests.post(f"{server.endpoint}/{bucket}?delete", data=body, headers={"Content-MD5": md5})
    missing = requests.post(f"{server.endpoint}/no-such-bucket-{uuid.uuid4().hex[:8]}?delete", data=body,
                            headers={"Content-MD5": md5})
    # Anonymous: refused as a whole, and the same answer whether the bucket exists or not.
    assert (anon.status_code, xml_code(anon.text)) == (403, "AccessDenied")
    assert (missing.status_code, xml_code(missing.text)) == (403, "AccessDenied")
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"1"
    # Another account's user with no grant: refused as a whole too.
    out = server.coffer("account", "create")
    ak = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", out).group(1)
    sk = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", out).group(1)
    with pytest.raises(ClientError) as e:
        server.client_for(ak, sk).delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}]})
    assert err(e)[:2] == ("AccessDenied", 403)
    # A user of the bucket's own account without s3:DeleteObject: per-key errors, as S3.
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    name = f"nodelete-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    r = server.client_for(k["AccessKeyId"], k["SecretAccessKey"]).delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}]})
    assert [x["Code"] for x in r["Errors"]] == ["AccessDenied"]
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"1"
    with pytest.raises(ClientError) as e:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": []})
    assert err(e)[0] == "MalformedXML"


def test_anonymous_answers_do_not_reveal_buckets(server, s3, bucket):
    missing = f"no-such-{uuid.uuid4().hex[:10]}"
    for path in (f"/{bucket}", f"/{missing}", f"/{bucket}/k", f"/{missing}/k"):
        for method in ("GET", "HEAD", "PUT", "DELETE"):
            r = requests.request(method, server.endpoint + path, data=b"x" if method == "PUT" else None)
            assert r.status_code == 403, (method, path, r.status_code)
