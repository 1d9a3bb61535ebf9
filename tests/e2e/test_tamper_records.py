"""A hostile disk edits the metadata database, not just blob bytes: every field a GET relies on
(size, ETag, content headers, user metadata, encryption mode, segment list, the object's
identity) is authenticated, so an edited record is an error response, never a response with
wrong bytes or headers — and never a way around the requester's KMS permission check."""

import json
import os
import sqlite3

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY

KiB = 1024


def status(call):
    try:
        call()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]
    return 200


def edit(server, sql, *args):
    db = sqlite3.connect(server.data_dir / "meta.sqlite")
    with db:
        n = db.execute(sql, args).rowcount
    db.close()
    assert n >= 1, sql
    return n


def row(server, key, column):
    db = sqlite3.connect(server.data_dir / "meta.sqlite")
    v = db.execute(f"SELECT {column} FROM objects WHERE bucket = 'tamper' AND key = ?", (key,)).fetchone()[0]
    db.close()
    return v


def test_edited_records_are_errors_never_responses(fresh_server):
    s3 = fresh_server.client()
    kms = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    s3.create_bucket(Bucket="tamper")
    big = os.urandom(300 * KiB)   # a blob file
    small = os.urandom(4 * KiB)   # inline in the row
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    names = ["size", "etag", "ctype", "usermeta", "segments-a", "segments-b", "moved", "kms", "mac"]
    for n in names:
        body = big if n in ("size", "segments-a") else small
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_id} if n == "kms" else {}
        s3.put_object(Bucket="tamper", Key=n, Body=body, ContentType="text/plain", Metadata={"who": "me"}, **extra)
    s3.put_object(Bucket="tamper", Key="intact", Body=small)
    sse_s3_encryption = json.loads(row(fresh_server, "intact", "meta"))["encryption"]
    fresh_server.stop()

    edit(fresh_server, "UPDATE objects SET size = size - 65536 WHERE key = 'size'")
    edit(fresh_server, "UPDATE objects SET etag = '\"00000000000000000000000000000000\"' WHERE key = 'etag'")
    meta = json.loads(row(fresh_server, "ctype", "meta"))
    meta["meta"]["content_type"] = "text/html"
    edit(fresh_server, "UPDATE objects SET meta = ? WHERE key = 'ctype'", json.dumps(meta).encode())
    meta = json.loads(row(fresh_server, "usermeta", "meta"))
    meta["meta"]["user"]["who"] = "mallory"
    edit(fresh_server, "UPDATE objects SET meta = ? WHERE key = 'usermeta'", json.dumps(meta).encode())
    # Swap the segment lists of two objects.
    a, b = row(fresh_server, "segments-a", "segments"), row(fresh_server, "segments-b", "segments")
    edit(fresh_server, "UPDATE objects SET segments = ? WHERE key = 'segments-a'", b)
    edit(fresh_server, "UPDATE objects SET segments = ? WHERE key = 'segments-b'", a)
    # Move a whole row (tag included) to another key.
    edit(fresh_server, "DELETE FROM objects WHERE key = 'moved'")
    edit(fresh_server, """INSERT INTO objects (bucket, key, version_id, size, etag, last_modified_ms, meta, segments, mac)
                          SELECT bucket, 'moved', version_id, size, etag, last_modified_ms, meta, segments, mac
                          FROM objects WHERE key = 'intact'""")
    # Make an SSE-KMS object claim SSE-S3 (which would skip the requester's kms:Decrypt).
    meta = json.loads(row(fresh_server, "kms", "meta"))
    meta["encryption"] = sse_s3_encryption
    edit(fresh_server, "UPDATE objects SET meta = ? WHERE key = 'kms'", json.dumps(meta).encode())
    # A tag copied from another record.
    edit(fresh_server, "UPDATE objects SET mac = (SELECT mac FROM objects WHERE key = 'intact') WHERE key = 'mac'")

    fresh_server.start()
    s3 = fresh_server.client()
    for n in names:
        assert status(lambda: s3.get_object(Bucket="tamper", Key=n)["Body"].read()) == 500, n
        assert status(lambda: s3.head_object(Bucket="tamper", Key=n)) == 500, n
        assert status(lambda: s3.get_object(Bucket="tamper", Key=n, Range="bytes=-100")["Body"].read()) == 500, n
        assert status(lambda: s3.copy_object(Bucket="tamper", Key=n + "-copy", CopySource=f"tamper/{n}")) == 500, n
    assert s3.get_object(Bucket="tamper", Key="intact")["Body"].read() == small
    # The damage is reported without the record's contents.
    log = fresh_server.log.read_text()
    assert "stored data failed authentication" in log
    assert "mallory" not in log


def test_edited_multipart_records_are_refused(fresh_server):
    s3 = fresh_server.client()
    kms = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    s3.create_bucket(Bucket="tamper")
    s3.put_object(Bucket="tamper", Key="intact", Body=b"x")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    up = s3.create_multipart_upload(Bucket="tamper", Key="mp")["UploadId"]
    up2 = s3.create_multipart_upload(Bucket="tamper", Key="mp2", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)["UploadId"]
    etag = s3.upload_part(Bucket="tamper", Key="mp", UploadId=up, PartNumber=1, Body=os.urandom(200 * KiB))["ETag"]
    fresh_server.stop()
    edit(fresh_server, "UPDATE parts SET size = size - 1")
    fresh_server.start()
    s3 = fresh_server.client()
    assert status(lambda: s3.complete_multipart_upload(
        Bucket="tamper", Key="mp", UploadId=up, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})) == 500
    assert status(lambda: s3.list_parts(Bucket="tamper", Key="mp", UploadId=up)) == 500
    # Downgrade an SSE-KMS upload to SSE-S3: its next parts would be sealed more weakly.
    sse_s3 = json.loads(row(fresh_server, "intact", "meta"))["encryption"]
    fresh_server.stop()
    db = sqlite3.connect(fresh_server.data_dir / "meta.sqlite")
    meta = json.loads(db.execute("SELECT meta FROM uploads WHERE upload_id = ?", (up2,)).fetchone()[0])
    db.close()
    assert meta["encryption"] != sse_s3
    meta["encryption"] = sse_s3
    edit(fresh_server, "UPDATE uploads SET meta = ? WHERE upload_id = ?", json.dumps(meta).encode(), up2)
    fresh_server.start()
    s3 = fresh_server.client()
    assert status(lambda: s3.upload_part(Bucket="tamper", Key="mp2", UploadId=up2, PartNumber=1, Body=b"x")) == 500
    assert status(lambda: s3.list_multipart_uploads(Bucket="tamper")) == 500
