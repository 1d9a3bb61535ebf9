#!/usr/bin/env python3
"""Makes a golden data directory with a given `coffer` binary (a release), for the upgrade
test (tests/e2e/test_upgrade.py): every later build must open it and serve what it holds.

    .venv/bin/python scripts/make-upgrade-fixture.py BIN LABEL

writes tests/fixtures/upgrade/LABEL.tar.gz: the data directory (every kind of record and
encryption mode the release had: inline and blob objects, SSE-S3, SSE-KMS with a customer
key, DSSE-KMS, SSE-C, a completed and an unfinished multipart upload, tags, user metadata,
checksums, a bucket policy, default encryption, an IAM user with a policy and a key, a KMS
key with an alias and a grant) and manifest.json, what a reader must find in it.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
ACCESS_KEY = "AKIAUPGRADEFIXTURE01"
SECRET_KEY = "upgrade-fixture-secret/0123456789ABCDEFGHIJ"
ROOT_KEY = base64.b64encode(b"coffer-upgrade-fixture-key-32-b!").decode()
ACCOUNT = "210987654321"
SSE_C_KEY = b"fixture-sse-c-key-of-32-bytes!!!"


def main(binary, label):
    work = Path(tempfile.mkdtemp(prefix="coffer-fixture-"))
    data = work / "data"
    env = dict(os.environ, COFFER_ROOT_ACCESS_KEY=ACCESS_KEY, COFFER_ROOT_SECRET_KEY=SECRET_KEY,
               COFFER_ROOT_KEY=ROOT_KEY, COFFER_ACCOUNT_ID=ACCOUNT)
    env.pop("AWS_CA_BUNDLE", None)
    port, tls = 19511, 19512
    proc = subprocess.Popen([binary, "server", "--data", str(data), "--listen", f"127.0.0.1:{port}",
                             "--tls-listen", f"127.0.0.1:{tls}"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    while proc.stdout.readline().strip() != b"Ready.":
        time.sleep(0.05)
    try:
        manifest = fill(port, tls, data)
    finally:
        proc.terminate()
        proc.wait(10)
    manifest.update(access_key=ACCESS_KEY, secret_key=SECRET_KEY, root_key=ROOT_KEY,
                    account=ACCOUNT, sse_c_key=base64.b64encode(SSE_C_KEY).decode(),
                    made_by=label)
    out = ROOT / "tests" / "fixtures" / "upgrade" / f"{label}.tar.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    for f in ("root-credentials", "dev-root.key"):
        (data / f).unlink(missing_ok=True)
    # Fold the write-ahead log into the database file, as SQLite does on any later open.
    import sqlite3
    db = sqlite3.connect(data / "meta.sqlite")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for f in ("meta.sqlite-wal", "meta.sqlite-shm"):
        (data / f).unlink(missing_ok=True)
    (data / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    with tarfile.open(out, "w:gz") as tar:
        tar.add(data, arcname="data")
    shutil.rmtree(work)
    print(f"{out} ({out.stat().st_size} bytes)")


def fill(port, tls, data):
    cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    kw = dict(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1")
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", config=cfg, **kw)
    s3_tls = boto3.client("s3", endpoint_url=f"https://127.0.0.1:{tls}", config=cfg,
                          verify=str(data / "tls" / "cert.pem"), **kw)
    kms = boto3.client("kms", endpoint_url=f"http://127.0.0.1:{port}", **kw)
    iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", **kw)
    objects = {}

    def put(bucket, key, body, **extra):
        s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)
        objects[f"{bucket}/{key}"] = hashlib.sha256(body).hexdigest()

    key_id = kms.create_key(Description="fixture key")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/fixture", TargetKeyId=key_id)
    kms.create_grant(KeyId=key_id, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:root",
                     Operations=["Decrypt"])
    blob = kms.encrypt(KeyId="alias/fixture", Plaintext=b"kms ciphertext from the fixture",
                       EncryptionContext={"purpose": "upgrade"})["CiphertextBlob"]

    s3.create_bucket(Bucket="plain")
    put("plain", "small.txt", b"inline object", Metadata={"owner": "fixture"}, ContentType="text/plain",
        Tagging="kind=small&age=old")
    put("plain", "dir/blob.bin", os.urandom(160 * 1024), ChecksumAlgorithm="CRC32")  # a blob file
    put("plain", "kms.bin", os.urandom(150 * 1024), ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/fixture")
    put("plain", "kms-bk.txt", b"bucket key", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id,
        BucketKeyEnabled=True)
    put("plain", "dsse.txt", b"two layers", ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId=key_id)
    body = os.urandom(90 * 1024)
    s3_tls.put_object(Bucket="plain", Key="sse-c.bin", Body=body, SSECustomerAlgorithm="AES256",
                      SSECustomerKey=SSE_C_KEY)
    up = s3.create_multipart_upload(Bucket="plain", Key="multi.bin", ChecksumAlgorithm="SHA256")
    part = os.urandom(140 * 1024)
    p = s3.upload_part(Bucket="plain", Key="multi.bin", UploadId=up["UploadId"], PartNumber=1, Body=part,
                       ChecksumAlgorithm="SHA256")
    s3.complete_multipart_upload(Bucket="plain", Key="multi.bin", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p["ETag"], "ChecksumSHA256": p["ChecksumSHA256"]}]})
    objects["plain/multi.bin"] = hashlib.sha256(part).hexdigest()
    pending = s3.create_multipart_upload(Bucket="plain", Key="pending.bin")["UploadId"]
    pending_part = os.urandom(70 * 1024)
    s3.upload_part(Bucket="plain", Key="pending.bin", UploadId=pending, PartNumber=1, Body=pending_part)

    s3.create_bucket(Bucket="guarded")
    s3.put_bucket_encryption(Bucket="guarded", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/fixture"}}]})
    s3.put_bucket_tagging(Bucket="guarded", Tagging={"TagSet": [{"Key": "team", "Value": "sec"}]})
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::guarded/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    put("guarded", "by-default.txt", b"default encryption")
    s3.put_bucket_policy(Bucket="guarded", Policy=json.dumps(policy))

    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                                "Resource": "*"}]}))
    k = iam.create_access_key(UserName="reader")["AccessKey"]
    return {
        "objects": objects,
        "sse_c": {"plain/sse-c.bin": hashlib.sha256(body).hexdigest()},
        "pending_upload": {"bucket": "plain", "key": "pending.bin", "upload_id": pending,
                           "part_sha256": hashlib.sha256(pending_part).hexdigest()},
        "tags": {"plain/small.txt": {"kind": "small", "age": "old"}},
        "bucket_policy": policy,
        "kms": {"key_id": key_id, "ciphertext": base64.b64encode(blob).decode()},
        "reader": {"access_key": k["AccessKeyId"], "secret_key": k["SecretAccessKey"]},
    }


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
