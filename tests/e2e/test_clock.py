"""One clock for the whole server: moving it (`--test-clock`) moves session expiry,
`aws:CurrentTime` in S3, IAM and KMS policies, and KMS key deletion together; the signature
windows stay on the wall clock the client signs with. Without the flag there is no endpoint."""

import json
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

DAY = 86_400


def code(e):
    return e.value.response["Error"]["Code"]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_session_tokens_expire_by_the_server_clock(timed_server):
    sts = timed_server.client_for(*timed_server_root(), service="sts")
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    s3 = session_s3(timed_server, creds)
    s3.list_buckets()
    timed_server.move_clock(3600)
    with pytest.raises(ClientError) as e:
        s3.list_buckets()
    assert code(e) == "ExpiredToken"
    timed_server.move_clock(0)
    s3.list_buckets()
    # Root's own long-term keys still sign with the wall clock: a moved server clock does not
    # make every request "too skewed".
    timed_server.move_clock(30 * DAY)
    timed_server.client().list_buckets()


def test_policies_see_the_moved_time_in_s3_iam_and_kms(timed_server):
    iam = timed_server.client_for(*timed_server_root(), service="iam")
    iam.create_user(UserName="clocked")
    until = iso(time.time() + DAY)
    iam.put_user_policy(UserName="clocked", PolicyName="until-tomorrow", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "iam:*", "kms:*"], "Resource": "*",
                       "Condition": {"DateLessThan": {"aws:CurrentTime": until}}}],
    }))
    key = iam.create_access_key(UserName="clocked")["AccessKey"]
    ak, sk = key["AccessKeyId"], key["SecretAccessKey"]
    s3 = timed_server.client_for(ak, sk)
    uiam = timed_server.client_for(ak, sk, service="iam")
    kms = timed_server.client_for(ak, sk, service="kms")
    s3.create_bucket(Bucket="clocked-bucket")
    uiam.list_users()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.describe_key(KeyId=key_id)
    timed_server.move_clock(2 * DAY)
    for call in (lambda: s3.list_objects_v2(Bucket="clocked-bucket"),
                 lambda: uiam.list_users(),
                 lambda: kms.list_keys(),
                 lambda: kms.describe_key(KeyId=key_id)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) in ("AccessDenied", "AccessDeniedException"), e.value.response
    timed_server.move_clock(0)
    s3.list_objects_v2(Bucket="clocked-bucket")


def test_kms_key_deletion_comes_when_the_clock_passes_it(timed_server):
    kms = timed_server.client_for(*timed_server_root(), service="kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    timed_server.move_clock(6 * DAY)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert code(e) == "KMSInvalidStateException"  # pending, not yet gone
    timed_server.move_clock(8 * DAY)
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=key_id)
    assert code(e) == "NotFoundException"
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=blob)


def test_no_test_clock_without_the_flag(server):
    req = urllib.request.Request(f"{server.endpoint}/_coffer/test-clock?offset-ms=86400000",
                                 method="PUT")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code in (400, 403, 404)
    # The clock did not move: a token for 15 minutes still works.
    sts = server.client_for(*timed_server_root(), service="sts")
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    session_s3(server, creds).list_buckets()


def timed_server_root():
    from conftest import ACCESS_KEY, SECRET_KEY
    return ACCESS_KEY, SECRET_KEY


def session_s3(srv, creds):
    import boto3
    from botocore.config import Config
    from conftest import REGION
    return boto3.client("s3", endpoint_url=srv.endpoint, region_name=REGION,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"],
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
