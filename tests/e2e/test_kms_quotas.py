"""KMS request quotas: a spent quota answers ThrottlingException (KMS) or 503 SlowDown (S3
SSE-KMS), refills within a second, is per class, and S3 Bucket Keys spare it."""

import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY, Server


def no_retry_client(server, service):
    """A client that never retries, so every throttled request is seen."""
    cfg = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.client(service, endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name=REGION, config=cfg)


@pytest.fixture
def limited(tmp_root):
    s = Server(tmp_root / f"quota-{uuid.uuid4().hex[:8]}",
               extra_env={"COFFER_KMS_QUOTA": "symmetric=5,management=4,ecc=off"}).start()
    yield s
    s.stop()


def burst(call, n):
    """Runs `call` n times back to back; returns the error codes (None for success)."""
    out = []
    for _ in range(n):
        try:
            call()
            out.append(None)
        except ClientError as e:
            out.append((e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]))
    return out


def test_kms_and_s3_throttling(limited):
    kms = no_retry_client(limited, "kms")
    key = kms.create_key()["KeyMetadata"]
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    time.sleep(1.1)
    got = burst(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"), 12)
    assert got[:5] == [None] * 5 and ("ThrottlingException", 400) in got[5:], got
    # Unlimited class: signing is not throttled; management has its own per-operation bucket.
    assert burst(lambda: kms.sign(KeyId=signer["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256"), 20) == [None] * 20
    got = burst(lambda: kms.list_keys(), 8)
    assert got[:4] == [None] * 4 and ("ThrottlingException", 400) in got[4:], got
    time.sleep(1.1)
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"] == key["Arn"]

    # S3 SSE-KMS spends the same quota: 503 SlowDown, and nothing is stored.
    s3 = no_retry_client(limited, "s3")
    s3.create_bucket(Bucket="quota-b")
    time.sleep(1.1)
    got = burst(lambda: s3.put_object(Bucket="quota-b", Key=f"k-{uuid.uuid4().hex}", Body=b"x",
                                      ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]), 12)
    assert ("SlowDown", 503) in got, got
    assert len(s3.list_objects_v2(Bucket="quota-b").get("Contents", [])) == got.count(None)
    # With an S3 Bucket Key the PUTs reuse one data key: no throttling.
    time.sleep(1.1)
    got = burst(lambda: s3.put_object(Bucket="quota-b", Key=f"bk-{uuid.uuid4().hex}", Body=b"x",
                                      ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"],
                                      BucketKeyEnabled=True), 20)
    assert got == [None] * 20, got


def test_bad_quota_setting_refuses_to_start(tmp_root):
    s = Server(tmp_root / f"badquota-{uuid.uuid4().hex[:8]}", extra_env={"COFFER_KMS_QUOTA": "aes=5"})
    with pytest.raises(Exception):
        s.start()
    s.stop()
