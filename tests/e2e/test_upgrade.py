"""A data directory written by an earlier release opens and serves after the upgrade
(issue 10 §1): tests/fixtures/upgrade/LABEL.tar.gz holds one made by that release with
scripts/make-upgrade-fixture.py (every record kind and encryption mode it had) and, inside,
manifest.json: what must be found there. The new build migrates the schema on first open,
serves every object, key, policy and credential, and takes new writes; a second start
changes nothing."""
import base64
import hashlib
import json
import tarfile

import boto3
import pytest
from botocore.config import Config

from conftest import ROOT, Server

FIXTURES = sorted((ROOT / "tests" / "fixtures" / "upgrade").glob("*.tar.gz"))


class FixtureServer(Server):
    def __init__(self, data_dir, manifest):
        super().__init__(data_dir)
        self.m = manifest

    def env(self):
        env = super().env()
        env.update(COFFER_ROOT_ACCESS_KEY=self.m["access_key"], COFFER_ROOT_SECRET_KEY=self.m["secret_key"],
                   COFFER_ROOT_KEY=self.m["root_key"], COFFER_ACCOUNT_ID=self.m["account"])
        return env

    def c(self, service="s3", https=False, key=None, secret=None):
        return self.client_for(key or self.m["access_key"], secret or self.m["secret_key"], service=service,
                               https=https)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name.split(".")[0] for f in FIXTURES])
def test_old_data_directory_opens_and_serves(tmp_path, fixture):
    with tarfile.open(fixture) as tar:
        tar.extractall(tmp_path, filter="tar")
    data = tmp_path / "data"
    m = json.loads((data / "manifest.json").read_text())
    for restart in range(2):
        s = FixtureServer(data, m).start()
        try:
            s3 = s.c()
            for name, digest in m["objects"].items():
                bucket, key = name.split("/", 1)
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                assert hashlib.sha256(body).hexdigest() == digest, name
            for name, digest in m["sse_c"].items():
                bucket, key = name.split("/", 1)
                body = s.c(https=True).get_object(Bucket=bucket, Key=key, SSECustomerAlgorithm="AES256",
                                                  SSECustomerKey=base64.b64decode(m["sse_c_key"]))["Body"].read()
                assert hashlib.sha256(body).hexdigest() == digest
            for name, tags in m["tags"].items():
                bucket, key = name.split("/", 1)
                got = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
                assert {t["Key"]: t["Value"] for t in got} == tags
            h = s3.head_object(Bucket="plain", Key="small.txt")
            assert h["Metadata"] == {"owner": "fixture"} and h["ContentType"] == "text/plain"
            assert s3.head_object(Bucket="plain", Key="dir/blob.bin", ChecksumMode="ENABLED")["ChecksumCRC32"]
            assert s3.head_object(Bucket="plain", Key="kms.bin")["ServerSideEncryption"] == "aws:kms"
            assert json.loads(s3.get_bucket_policy(Bucket="guarded")["Policy"]) == m["bucket_policy"]
            enc = s3.get_bucket_encryption(Bucket="guarded")["ServerSideEncryptionConfiguration"]
            assert enc["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
            # The unfinished upload can still be completed.
            p = m["pending_upload"]
            parts = s3.list_parts(Bucket=p["bucket"], Key=p["key"], UploadId=p["upload_id"])["Parts"] if restart == 0 else []
            if restart == 0:
                s3.complete_multipart_upload(Bucket=p["bucket"], Key=p["key"], UploadId=p["upload_id"], MultipartUpload={
                    "Parts": [{"PartNumber": 1, "ETag": parts[0]["ETag"]}]})
            body = s3.get_object(Bucket=p["bucket"], Key=p["key"])["Body"].read()
            assert hashlib.sha256(body).hexdigest() == p["part_sha256"]
            # The KMS key still decrypts what it encrypted; its alias still names it.
            kms = s.c("kms")
            plain = kms.decrypt(CiphertextBlob=base64.b64decode(m["kms"]["ciphertext"]),
                                EncryptionContext={"purpose": "upgrade"})["Plaintext"]
            assert plain == b"kms ciphertext from the fixture"
            assert kms.describe_key(KeyId="alias/fixture")["KeyMetadata"]["KeyId"] == m["kms"]["key_id"]
            # The IAM user's key and policy still work (and only as far as its policy says).
            reader = s.c(key=m["reader"]["access_key"], secret=m["reader"]["secret_key"])
            assert reader.get_object(Bucket="plain", Key="small.txt")["Body"].read() == b"inline object"
            with pytest.raises(Exception):
                reader.put_object(Bucket="plain", Key="nope", Body=b"x")
            # New writes land beside the old ones, in the new build's format.
            s3.put_object(Bucket="plain", Key=f"new-{restart}.txt", Body=b"after upgrade")
            assert s3.get_object(Bucket="plain", Key=f"new-{restart}.txt")["Body"].read() == b"after upgrade"
        finally:
            s.stop()
