"""Everything at rest hangs off the root key: a copy of the data directory without it yields
nothing readable (issue 4: key material rests wrapped by the root key)."""

import base64
import os
import shutil
import sqlite3
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, Server


def all_bytes(root):
    for d, _, files in os.walk(root):
        for f in files:
            with open(os.path.join(d, f), "rb") as fh:
                yield os.path.join(d, f), fh.read()


def test_copied_data_dir_without_root_key_reveals_nothing(fresh_server, tmp_path):
    kms = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    s3 = fresh_server.client_for(ACCESS_KEY, SECRET_KEY)
    key = kms.create_key()["KeyMetadata"]
    marker = b"root-key-marker-" + uuid.uuid4().hex.encode()
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=marker)["CiphertextBlob"]
    dk = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    s3.create_bucket(Bucket="copied")
    s3.put_object(Bucket="copied", Key="kms", Body=marker * 100, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    s3.put_object(Bucket="copied", Key="s3", Body=marker * 100)
    fresh_server.stop()

    # Nothing in the directory holds the data, the data key or the user's secret in the clear.
    for path, data in all_bytes(fresh_server.data_dir):
        for secret in (marker, dk["Plaintext"], base64.b64encode(dk["Plaintext"]), SECRET_KEY.encode()):
            assert secret not in data, path

    copy = tmp_path / "copy"
    shutil.copytree(fresh_server.data_dir, copy)
    other_root = base64.b64encode(os.urandom(32)).decode()
    thief = Server(copy, extra_env={"COFFER_ROOT_KEY": other_root})
    with pytest.raises(RuntimeError, match="the root key does not open this data directory"):
        thief.start()
    thief.stop()

    # Forcing it open (dropping the wrapped service key so a new one is made) still reads
    # nothing: objects and KMS key material stay sealed under keys only the old root opens.
    with sqlite3.connect(copy / "meta.sqlite") as db:
        db.execute("DELETE FROM settings WHERE name = 'sse-s3-service-key'")
    db.close()
    thief.start()
    try:
        t_kms = thief.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
        for blob in (ct, dk["CiphertextBlob"]):
            with pytest.raises(ClientError) as e:
                t_kms.decrypt(CiphertextBlob=blob)
            assert e.value.response["Error"]["Code"] == "KMSInternalException"
        t_s3 = thief.client_for(ACCESS_KEY, SECRET_KEY)
        # Under another root key not even the object records authenticate.
        for k, code in (("kms", "InternalError"), ("s3", "InternalError")):
            with pytest.raises(ClientError) as e:
                t_s3.get_object(Bucket="copied", Key=k)["Body"].read()
            assert e.value.response["Error"]["Code"] == code
    finally:
        thief.stop()
    # The rightful root key still opens everything.
    fresh_server.start()
    assert fresh_server.client_for(ACCESS_KEY, SECRET_KEY).get_object(Bucket="copied", Key="kms")["Body"].read() == marker * 100
