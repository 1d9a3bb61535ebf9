"""Logs and files: no log filter setting ever writes a secret (SigV4 signatures, secret keys,
session tokens, SSE-C keys, KMS plaintext); refused requests do not flood the log; every file
in the data directory is owner-only, whatever the mode of a directory created beforehand."""

import base64
import hashlib
import os
import stat
import uuid

import pytest
import requests
from botocore.config import Config

from conftest import ACCESS_KEY, SECRET_KEY, Server

FILTERS = [
    "trace", "debug", "info", "warn", "error",
    "info,s3s::service=debug", "trace,s3s=trace,hyper=trace", "s3s::ops=trace",
    "coffer=trace,s3s=debug,rustls=trace", "off,s3s=trace",
]


def exercise(server):
    """Requests that carry every kind of secret; returns the secrets to look for."""
    import boto3
    secrets = {"root secret": SECRET_KEY}
    s3 = server.client()
    s3.create_bucket(Bucket="logs")
    s3.put_object(Bucket="logs", Key="k", Body=b"plain object body 0123456789")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "logs", "Key": "k"})
    secrets["presigned signature"] = url.split("Signature=")[-1].split("&")[0]
    requests.get(url)
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    user = f"logs-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    k = iam.create_access_key(UserName=user)["AccessKey"]
    secrets["user secret"] = k["SecretAccessKey"]
    t = server.client_for(k["AccessKeyId"], k["SecretAccessKey"], service="sts").get_session_token()["Credentials"]
    secrets["session token"] = t["SessionToken"]
    secrets["session secret"] = t["SecretAccessKey"]
    tmp = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=t["AccessKeyId"],
                       aws_secret_access_key=t["SecretAccessKey"], aws_session_token=t["SessionToken"],
                       region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    try:
        tmp.list_objects_v2(Bucket="logs")
    except Exception:
        pass
    key = os.urandom(32)
    secrets["SSE-C key"] = base64.b64encode(key).decode()
    https = server.client_for(ACCESS_KEY, SECRET_KEY, https=True)
    https.put_object(Bucket="logs", Key="c", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    https.get_object(Bucket="logs", Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = b"kms plaintext never logged 5f3a"
    kms.encrypt(KeyId=kid, Plaintext=plaintext)
    secrets["KMS plaintext"] = base64.b64encode(plaintext).decode()
    dk = kms.generate_data_key(KeyId=kid, KeySpec="AES_256")
    secrets["data key"] = base64.b64encode(dk["Plaintext"]).decode()
    # A refused request with a body, and a failed signature.
    try:
        server.client_for(ACCESS_KEY, "wrong-secret").list_buckets()
    except Exception:
        pass
    requests.put(f"{server.endpoint}/logs/anon", data=b"anonymous body")
    return secrets


@pytest.mark.parametrize("log_filter", FILTERS)
def test_no_filter_logs_a_secret(tmp_root, log_filter):
    s = Server(tmp_root / f"log-{uuid.uuid4().hex[:8]}", extra_env={"COFFER_LOG": log_filter})
    s.start()
    try:
        secrets = exercise(s)
    finally:
        s.stop()
    log = s.log.read_text(errors="replace")
    for what, value in secrets.items():
        assert value not in log, f"{what} in the log with COFFER_LOG={log_filter}"
        # Nor URL-encoded.
        assert requests.utils.quote(value, safe="") not in log, f"{what} (encoded) with {log_filter}"


def test_refused_requests_do_not_flood_the_log(fresh_server):
    before = fresh_server.log.stat().st_size
    body = b"<Delete>" + b"<Object><Key>junk</Key></Object>" * 200 + b"</Delete>"
    sess = requests.Session()
    for i in range(1000):
        sess.post(f"{fresh_server.endpoint}/no-bucket?delete", data=body)
        sess.get(f"{fresh_server.endpoint}/b/k", headers={"Authorization": "AWS4-HMAC-SHA256 garbage"})
    grown = fresh_server.log.read_text(errors="replace")[before:]
    assert "ERROR" not in grown
    assert "junk" not in grown
    # At most one line per refused request (none at the default level is fine too).
    assert grown.count("\n") <= 2000
    assert len(grown) < 2000 * 300


def test_data_directory_files_are_owner_only(tmp_root):
    data = tmp_root / f"open-{uuid.uuid4().hex[:8]}"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    s = Server(data)
    s.start()
    try:
        s3 = s.client()
        s3.create_bucket(Bucket="modes")
        s3.put_object(Bucket="modes", Key="big", Body=os.urandom(300_000))
        kms = s.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
        kms.encrypt(KeyId=kms.create_key()["KeyMetadata"]["KeyId"], Plaintext=b"x")
        s.coffer("account", "create")
    finally:
        s.stop()
    assert "data directory" in s.log.read_text() and "755" in s.log.read_text()
    checked = 0
    for root, dirs, files in os.walk(data):
        for name in dirs + files:
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            assert mode & 0o077 == 0, f"{os.path.join(root, name)} has mode {mode:o}"
            checked += 1
    assert checked > 8
