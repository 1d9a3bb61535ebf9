"""No 501 where AWS has an answer (issue 9 §4): reads of configurations a bucket doesn't have
answer as S3 answers an unconfigured bucket; writes asking for what Coffer does not keep or
enforce (Object Lock, CORS, lifecycle, ...) are refused, never
accepted and ignored; real tools' read-only calls work."""
import hashlib
import uuid

import pytest
import requests
from botocore.exceptions import ClientError


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_reads_of_absent_configurations(s3, bucket):
    v = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in v and "MFADelete" not in v
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    n = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert not any(k in n for k in ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations"))
    for call, code, status in [
        (s3.get_bucket_cors, "NoSuchCORSConfiguration", 404),
        (s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration", 404),
        (s3.get_bucket_website, "NoSuchWebsiteConfiguration", 404),
        (s3.get_bucket_replication, "ReplicationConfigurationNotFoundError", 404),
        (s3.get_object_lock_configuration, "ObjectLockConfigurationNotFoundError", 404),
    ]:
        with pytest.raises(ClientError) as e:
            call(Bucket=bucket)
        assert err(e) == (code, status), call
    for lister, key in [
        (s3.list_bucket_analytics_configurations, "AnalyticsConfigurationList"),
        (s3.list_bucket_inventory_configurations, "InventoryConfigurationList"),
        (s3.list_bucket_metrics_configurations, "MetricsConfigurationList"),
        (s3.list_bucket_intelligent_tiering_configurations, "IntelligentTieringConfigurationList"),
    ]:
        assert not lister(Bucket=bucket).get(key)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_metrics_configuration(Bucket=bucket, Id="x")
    assert err(e) == ("NoSuchConfiguration", 404)
    # Deleting what isn't there succeeds, as on S3.
    s3.delete_bucket_cors(Bucket=bucket)
    s3.delete_bucket_lifecycle(Bucket=bucket)
    s3.delete_bucket_website(Bucket=bucket)
    s3.delete_bucket_replication(Bucket=bucket)
    # A missing bucket is still NoSuchBucket.
    with pytest.raises(ClientError) as e:
        s3.get_bucket_versioning(Bucket=f"none-{uuid.uuid4().hex[:10]}")
    assert err(e) == ("NoSuchBucket", 404)


def test_protections_not_enforced_are_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="locked", Body=b"v", ObjectLockMode="COMPLIANCE",
                      ObjectLockRetainUntilDate="2030-01-01T00:00:00Z")
    assert err(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="held", Body=b"v", ObjectLockLegalHoldStatus="ON")
    assert err(e) == ("InvalidRequest", 400)
    for key in ("locked", "held"):
        with pytest.raises(ClientError):
            s3.head_object(Bucket=bucket, Key=key)
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="mp", ObjectLockMode="GOVERNANCE",
                                   ObjectLockRetainUntilDate="2030-01-01T00:00:00Z")
    assert err(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object_retention(Bucket=bucket, Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": "2030-01-01T00:00:00Z"})
    assert err(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object_legal_hold(Bucket=bucket, Key="k", LegalHold={"Status": "ON"})
    assert err(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.get_object_retention(Bucket=bucket, Key="k")
    assert err(e) == ("InvalidRequest", 400)
    # Object Lock needs versioning first (test_object_lock.py has the rest).
    with pytest.raises(ClientError) as e:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert err(e) == ("InvalidBucketState", 409)
    # MFA Delete without the root's MFA code is refused whole: not even versioning is turned
    # on by the request (test_mfa_delete.py has the rest).
    for cfg in ({"Status": "Enabled", "MFADelete": "Enabled"}, {"Status": "Enabled", "MFADelete": "Disabled"}):
        with pytest.raises(ClientError) as e:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=cfg)
        assert err(e) == ("AccessDenied", 403)
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    assert err(e) == ("NotImplemented", 501)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]})
    assert err(e) == ("NotImplemented", 501)
    # What configures nothing is accepted.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "BucketOwner"})
    with pytest.raises(ClientError) as e:
        s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert err(e) == ("NotImplemented", 501)
    # The object written before is still there and deletable (nothing was locked).
    s3.delete_object(Bucket=bucket, Key="k")


def test_list_object_versions_shows_null_versions(s3, bucket):
    for k in ["a/1", "a/2", "b", "c"]:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    r = s3.list_object_versions(Bucket=bucket)
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in r["Versions"]] == [
        ("a/1", "null", True), ("a/2", "null", True), ("b", "null", True), ("c", "null", True)]
    assert "DeleteMarkers" not in r or r["DeleteMarkers"] == []
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/"]
    seen, km = [], None
    while True:
        kw = {"MaxKeys": 1}
        if km:
            kw.update(KeyMarker=km, VersionIdMarker="null")
        r = s3.list_object_versions(Bucket=bucket, **kw)
        seen += [v["Key"] for v in r.get("Versions", [])]
        if not r["IsTruncated"]:
            break
        km = r["NextKeyMarker"]
        assert r["NextVersionIdMarker"] == "null"
    assert seen == ["a/1", "a/2", "b", "c"]
    # GetObject of the null version works; paginator over versions works.
    assert s3.get_object(Bucket=bucket, Key="b")["Body"].read() == b"b"
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
    assert sum(len(p.get("Versions", [])) for p in pages) == 4


def test_object_torrent(s3, bucket):
    body = bytes(range(256)) * 2048  # 512 KiB: two pieces
    s3.put_object(Bucket=bucket, Key="dir/file.bin", Body=body)
    t = s3.get_object_torrent(Bucket=bucket, Key="dir/file.bin")["Body"].read()
    pieces = hashlib.sha1(body[:262144]).digest() + hashlib.sha1(body[262144:]).digest()
    assert t.startswith(b"d4:infod6:lengthi524288e4:name8:file.bin12:piece lengthi262144e6:pieces40:")
    assert pieces in t and t.endswith(b"e")


def test_restore_of_standard_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    with pytest.raises(ClientError) as e:
        s3.restore_object(Bucket=bucket, Key="k", RestoreRequest={"Days": 1})
    assert err(e) == ("InvalidObjectState", 403)


def test_tools_read_only_calls(server, s3, tmp_path):
    b = f"tools-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=b)
    for i in range(3):
        s3.put_object(Bucket=b, Key=f"d/{i}", Body=b"x")
    info = server.s3cmd("info", f"s3://{b}").stdout.decode()
    assert f"s3://{b}/ (bucket)" in info and "Payer:     BucketOwner" in info, info
    assert "CORS:      none" in info and "Expiration Rule: none" in info, info
    r = server.rclone("backend", "versioning", f"coffer:{b}")
    assert r.stdout.strip() == b"Unversioned", r.stdout
    server.aws("s3api", "get-bucket-versioning", "--bucket", b)
    server.rclone("purge", f"coffer:{b}")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=b)
    assert err(e)[1] == 404
    # s3cmd's own purge-like flow: recursive delete then rb.
    b2 = f"tools-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=b2)
    s3.put_object(Bucket=b2, Key="x/y", Body=b"1")
    server.s3cmd("rb", "--recursive", "--force", f"s3://{b2}")
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=b2)


def test_s3cmd_everyday_flow(server, s3, tmp_path):
    b = f"s3cmd-{uuid.uuid4().hex[:10]}"
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha")
    (src / "sub").mkdir()
    (src / "sub" / "b.txt").write_text("beta")
    server.s3cmd("mb", f"s3://{b}")
    server.s3cmd("put", str(src / "a.txt"), f"s3://{b}/a.txt")
    server.s3cmd("sync", f"{src}/", f"s3://{b}/tree/")
    listing = server.s3cmd("ls", "--recursive", f"s3://{b}").stdout.decode()
    assert f"s3://{b}/a.txt" in listing and f"s3://{b}/tree/sub/b.txt" in listing
    out = tmp_path / "got.txt"
    server.s3cmd("get", f"s3://{b}/tree/sub/b.txt", str(out))
    assert out.read_text() == "beta"
    info = server.s3cmd("info", f"s3://{b}/a.txt").stdout.decode()
    assert "File size: 5" in info and "SSE:" in info, info
    server.s3cmd("del", f"s3://{b}/a.txt")
    server.s3cmd("rb", "--recursive", "--force", f"s3://{b}")
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=b)
