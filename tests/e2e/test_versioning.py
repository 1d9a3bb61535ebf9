"""Bucket versioning end to end with boto3 and the aws CLI: versions kept on overwrite and
delete, delete markers, the null version under Suspended, version listings, versionId on
every operation that takes one, the `...Version` actions in policies (seed 000's dlsrb
policy), and versions through kill -9."""

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def headers(e):
    return e.value.response["ResponseMetadata"]["HTTPHeaders"]


def body(s3, bucket, key, **kw):
    return s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


@pytest.fixture
def vbucket(s3):
    name = f"v-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    return name


def test_overwrites_and_deletes_keep_versions(s3, vbucket):
    b = vbucket
    assert "Status" not in s3.get_bucket_versioning(Bucket=b)
    r = s3.put_object(Bucket=b, Key="old", Body=b"before versioning")
    assert "VersionId" not in r, "an unversioned bucket reports no version ids"
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and "null" not in (v1, v2)
    g = s3.get_object(Bucket=b, Key="k")
    assert (g["Body"].read(), g["VersionId"]) == (b"two", v2)
    assert body(s3, b, "k", VersionId=v1) == b"one"
    assert s3.head_object(Bucket=b, Key="k", VersionId=v1)["ContentLength"] == 3
    # The object from before versioning is the null version.
    assert body(s3, b, "old", VersionId="null") == b"before versioning"
    # A delete without a version id adds a delete marker; the versions stay.
    d = s3.delete_object(Bucket=b, Key="k")
    assert d["DeleteMarker"] is True
    marker = d["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k")
    assert err(e) == ("NoSuchKey", 404)
    assert headers(e).get("x-amz-delete-marker") == "true"
    assert headers(e).get("x-amz-version-id") == marker
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=b, Key="k")
    assert err(e)[1] == 404 and headers(e).get("x-amz-delete-marker") == "true"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k", VersionId=marker)
    assert err(e) == ("MethodNotAllowed", 405)
    assert headers(e).get("x-amz-delete-marker") == "true"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])]
    assert keys == ["old"], "a key whose current version is a delete marker is not listed"
    assert [o["Key"] for o in s3.list_objects(Bucket=b).get("Contents", [])] == ["old"]
    lv = s3.list_object_versions(Bucket=b, Prefix="k")
    assert [(v["VersionId"], v["IsLatest"]) for v in lv["Versions"]] == [(v2, False), (v1, False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in lv["DeleteMarkers"]] == [(marker, True)]
    # Restoring an old version: copy it onto its key.
    c = s3.copy_object(Bucket=b, Key="k", CopySource={"Bucket": b, "Key": "k", "VersionId": v1})
    assert c["CopySourceVersionId"] == v1 and c["VersionId"] not in (v1, v2, marker)
    assert body(s3, b, "k") == b"one"
    # Deleting a version by id removes it for good; the marker can go the same way.
    d = s3.delete_object(Bucket=b, Key="k", VersionId=v2)
    assert d["VersionId"] == v2 and "DeleteMarker" not in d
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k", VersionId=v2)
    assert err(e) == ("NoSuchVersion", 404)
    d = s3.delete_object(Bucket=b, Key="k", VersionId=marker)
    assert d["DeleteMarker"] is True and d["VersionId"] == marker
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=b, Prefix="k")["Versions"]]
    assert ids == [c["VersionId"], v1]
    for bad in ("bogus", "../../etc", "x" * 33):
        with pytest.raises(ClientError) as e:
            s3.get_object(Bucket=b, Key="k", VersionId=bad)
        assert err(e) == ("InvalidArgument", 400)
    # A version's tags and attributes, by id.
    s3.put_object_tagging(Bucket=b, Key="k", VersionId=v1, Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
    t = s3.get_object_tagging(Bucket=b, Key="k", VersionId=v1)
    assert t["TagSet"] == [{"Key": "t", "Value": "1"}] and t["VersionId"] == v1
    assert s3.get_object_tagging(Bucket=b, Key="k")["TagSet"] == []
    a = s3.get_object_attributes(Bucket=b, Key="k", VersionId=v1, ObjectAttributes=["ObjectSize"])
    assert a["ObjectSize"] == 3 and a["VersionId"] == v1
    # A bucket with versions is not empty; without them it can go.
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=b)
    assert err(e) == ("BucketNotEmpty", 409)
    for v in s3.list_object_versions(Bucket=b)["Versions"]:
        s3.delete_object(Bucket=b, Key=v["Key"], VersionId=v["VersionId"])
    s3.delete_bucket(Bucket=b)


def test_suspended_buckets_write_the_null_version(s3, vbucket):
    b = vbucket
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Suspended"
    assert s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"] == "null"
    assert s3.put_object(Bucket=b, Key="k", Body=b"three")["VersionId"] == "null"
    lv = s3.list_object_versions(Bucket=b)["Versions"]
    assert [(v["VersionId"], v["IsLatest"]) for v in lv] == [("null", True), (v1, False)]
    assert body(s3, b, "k") == b"three"
    # A delete adds a null delete marker, which replaces the null version.
    d = s3.delete_object(Bucket=b, Key="k")
    assert d["DeleteMarker"] is True and d["VersionId"] == "null"
    lv = s3.list_object_versions(Bucket=b)
    assert [v["VersionId"] for v in lv["Versions"]] == [v1]
    assert [m["VersionId"] for m in lv["DeleteMarkers"]] == ["null"]
    # Versioning never goes back to unversioned: the request has no such status.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Off"})
    assert err(e) == ("MalformedXML", 400)


def test_batch_deletes_multipart_and_copies_carry_versions(s3, vbucket):
    b = vbucket
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    vs = [s3.put_object(Bucket=b, Key=f"k{i}", Body=b"x")["VersionId"] for i in range(3)]
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [
        {"Key": "k0", "VersionId": vs[0]}, {"Key": "k1"}, {"Key": "k2", "VersionId": "bogus"}]})
    deleted = {d["Key"]: d for d in r["Deleted"]}
    assert deleted["k0"]["VersionId"] == vs[0] and "DeleteMarker" not in deleted["k0"]
    assert deleted["k1"]["DeleteMarker"] is True and deleted["k1"]["DeleteMarkerVersionId"]
    assert [(e["Key"], e["Code"]) for e in r["Errors"]] == [("k2", "InvalidArgument")]
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=b, Key="k0", VersionId=vs[0])
    assert err(e)[1] == 404
    up = s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    e1 = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1, Body=b"a" * (5 << 20))["ETag"]
    done = s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}]})
    assert done["VersionId"]
    v_small = s3.put_object(Bucket=b, Key="mp", Body=b"small")["VersionId"]
    # UploadPartCopy from an older version.
    up2 = s3.create_multipart_upload(Bucket=b, Key="copy")["UploadId"]
    p = s3.upload_part_copy(Bucket=b, Key="copy", UploadId=up2, PartNumber=1,
                            CopySource={"Bucket": b, "Key": "mp", "VersionId": done["VersionId"]})
    s3.complete_multipart_upload(Bucket=b, Key="copy", UploadId=up2, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p["CopyPartResult"]["ETag"]}]})
    assert s3.head_object(Bucket=b, Key="copy")["ContentLength"] == 5 << 20
    assert body(s3, b, "mp", VersionId=v_small) == b"small"
    assert s3.head_object(Bucket=b, Key="mp", VersionId=done["VersionId"])["ContentLength"] == 5 << 20


def test_version_listings_page_with_markers_and_delimiters(s3, vbucket):
    b = vbucket
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    made = {}
    for k in ["a/1", "a/2", "b", "c/d/e", "z"]:
        made[k] = [s3.put_object(Bucket=b, Key=k, Body=k.encode() * n)["VersionId"] for n in (1, 2, 3)]
    s3.delete_object(Bucket=b, Key="b")
    full = s3.list_object_versions(Bucket=b)
    entries = sorted(
        [(v["Key"], v["LastModified"], v["VersionId"]) for v in full["Versions"] + full["DeleteMarkers"]],
        key=lambda x: x[0])
    assert len(entries) == 16
    for k in made:
        ids = [v["VersionId"] for v in full["Versions"] if v["Key"] == k]
        assert ids == made[k][::-1], "newest first"
    order = [(v["Key"], v["VersionId"]) for v in full["Versions"]]
    for size in (1, 2, 5):
        seen = []
        for page in s3.get_paginator("list_object_versions").paginate(
                Bucket=b, PaginationConfig={"PageSize": size}):
            seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        assert seen == order, size
    r = s3.list_object_versions(Bucket=b, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "c/"]
    assert {v["Key"] for v in r["Versions"]} == {"b", "z"}
    r = s3.list_object_versions(Bucket=b, KeyMarker="a/2", VersionIdMarker=made["a/2"][2], MaxKeys=2)
    assert [(v["Key"], v["VersionId"]) for v in r["Versions"]] == [("a/2", made["a/2"][1]), ("a/2", made["a/2"][0])]
    assert r["IsTruncated"] and r["NextKeyMarker"] == "a/2" and r["NextVersionIdMarker"] == made["a/2"][0]
    with pytest.raises(ClientError) as e:
        s3.list_object_versions(Bucket=b, VersionIdMarker=made["b"][0])
    assert err(e) == ("InvalidArgument", 400)


def test_aws_cli_versions(server, vbucket):
    b = vbucket
    server.aws("s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled")
    out = json.loads(server.aws("s3api", "get-bucket-versioning", "--bucket", b).stdout)
    assert out["Status"] == "Enabled"
    v1 = json.loads(server.aws("s3api", "put-object", "--bucket", b, "--key", "f", "--body", "/etc/hostname").stdout)["VersionId"]
    server.aws("s3api", "put-object", "--bucket", b, "--key", "f", "--body", "/etc/os-release")
    lv = json.loads(server.aws("s3api", "list-object-versions", "--bucket", b).stdout)
    assert len(lv["Versions"]) == 2
    r = server.aws("s3api", "get-object", "--bucket", b, "--key", "f", "--version-id", v1, "/dev/stdout")
    assert open("/etc/hostname", "rb").read() in r.stdout
    d = json.loads(server.aws("s3api", "delete-object", "--bucket", b, "--key", "f", "--version-id", v1).stdout)
    assert d["VersionId"] == v1


def test_version_actions_in_policies_seed000_dlsrb(server, s3, vbucket):
    """Seed 000's bucket policy for user dlsrb, on a versioned bucket: it lists the `...Version`
    actions, so a version by id is readable; deleting one by id needs s3:DeleteObjectVersion,
    which it does not grant."""
    b = vbucket
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    name = f"dlsrb{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user = server.client_for(key["AccessKeyId"], key["SecretAccessKey"])
    arn = f"arn:aws:iam::111122223333:user/{name}"
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowDlsrbToPutGetObject", "Effect": "Allow", "Principal": {"AWS": arn},
         "Action": ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:GetObjectTagging",
                    "s3:GetObjectVersion", "s3:GetObjectVersionAttributes", "s3:GetObjectVersionTagging",
                    "s3:DeleteObject"],
         "Resource": f"arn:aws:s3:::{b}/dlsrb/*"},
        {"Sid": "AllowPutObjectWhenEncryptedBySSES3", "Effect": "Deny", "Principal": {"AWS": arn},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{b}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}},
    ]}))
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=b, Key="dlsrb/t.txt", Body=b"x", ServerSideEncryption="aws:kms")
    assert err(e) == ("AccessDenied", 403)
    v1 = user.put_object(Bucket=b, Key="dlsrb/t.txt", Body=b"one", ServerSideEncryption="AES256")["VersionId"]
    user.put_object(Bucket=b, Key="dlsrb/t.txt", Body=b"two", ServerSideEncryption="AES256")
    assert body(user, b, "dlsrb/t.txt", VersionId=v1) == b"one"
    assert user.get_object_tagging(Bucket=b, Key="dlsrb/t.txt", VersionId=v1)["VersionId"] == v1
    user.get_object_attributes(Bucket=b, Key="dlsrb/t.txt", VersionId=v1, ObjectAttributes=["ETag"])
    # Without s3:DeleteObjectVersion: a delete marker yes, destroying a version no.
    assert user.delete_object(Bucket=b, Key="dlsrb/t.txt")["DeleteMarker"] is True
    with pytest.raises(ClientError) as e:
        user.delete_object(Bucket=b, Key="dlsrb/t.txt", VersionId=v1)
    assert err(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        user.list_object_versions(Bucket=b)
    assert err(e) == ("AccessDenied", 403), "listing versions needs s3:ListBucketVersions"
    # s3:VersionId narrows a grant to one version.
    v3 = s3.put_object(Bucket=b, Key="only/x", Body=b"3")["VersionId"]
    s3.put_object(Bucket=b, Key="only/x", Body=b"4")
    pol = json.loads(s3.get_bucket_policy(Bucket=b)["Policy"])
    pol["Statement"].append({"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "s3:GetObjectVersion",
                             "Resource": f"arn:aws:s3:::{b}/only/*",
                             "Condition": {"StringEquals": {"s3:VersionId": v3}}})
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps(pol))
    assert body(user, b, "only/x", VersionId=v3) == b"3"
    with pytest.raises(ClientError) as e:
        user.get_object(Bucket=b, Key="only/x")
    assert err(e) == ("AccessDenied", 403), "the current version needs s3:GetObject"


def test_versions_survive_kill9(fresh_server):
    s3 = fresh_server.client()
    s3.create_bucket(Bucket="durable")
    s3.put_bucket_versioning(Bucket="durable", VersioningConfiguration={"Status": "Enabled"})
    ids = [s3.put_object(Bucket="durable", Key="k", Body=f"v{i}".encode() * 50_000)["VersionId"] for i in range(3)]
    marker = s3.delete_object(Bucket="durable", Key="k")["VersionId"]
    fresh_server.kill9()
    fresh_server.start()
    s3 = fresh_server.client()
    lv = s3.list_object_versions(Bucket="durable")
    assert [v["VersionId"] for v in lv["Versions"]] == ids[::-1]
    assert [m["VersionId"] for m in lv["DeleteMarkers"]] == [marker]
    for i, v in enumerate(ids):
        assert body(s3, "durable", "k", VersionId=v) == f"v{i}".encode() * 50_000
    assert s3.get_bucket_versioning(Bucket="durable")["Status"] == "Enabled"


def test_rclone_versioning_and_version_listing(server, s3, vbucket, tmp_path):
    b = vbucket
    assert server.rclone("backend", "versioning", f"coffer:{b}").stdout.strip() == b"Unversioned"
    assert server.rclone("backend", "versioning", f"coffer:{b}", "Enabled").stdout.strip() == b"Enabled"
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    src = tmp_path / "f.txt"
    for text in ("first", "second"):
        src.write_text(text)
        server.rclone("copyto", str(src), f"coffer:{b}/f.txt")
    server.rclone("delete", f"coffer:{b}/f.txt")
    assert server.rclone("lsf", f"coffer:{b}").stdout.strip() == b""
    # --s3-versions lists old versions as name-vTIMESTAMP.ext, and reads them.
    old = server.rclone("lsf", "--s3-versions", f"coffer:{b}").stdout.decode().split()
    assert len(old) == 2 and all(n.startswith("f-v") and n.endswith(".txt") for n in old), old
    got = sorted(server.rclone("cat", "--s3-versions", f"coffer:{b}/{n}").stdout for n in old)
    assert got == [b"first", b"second"]
    assert server.rclone("backend", "versioning", f"coffer:{b}", "Suspended").stdout.strip() == b"Suspended"


def test_s3cmd_against_a_versioned_bucket(server, s3, vbucket, tmp_path):
    b = vbucket
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    src = tmp_path / "f.txt"
    for text in ("one", "two"):
        src.write_text(text)
        server.s3cmd("put", str(src), f"s3://{b}/f.txt")
    out = tmp_path / "out.txt"
    server.s3cmd("get", "--force", f"s3://{b}/f.txt", str(out))
    assert out.read_text() == "two"
    assert f"s3://{b}/f.txt" in server.s3cmd("ls", f"s3://{b}").stdout.decode()
    server.s3cmd("del", f"s3://{b}/f.txt")
    assert f"s3://{b}/f.txt" not in server.s3cmd("ls", f"s3://{b}").stdout.decode()
    assert len(s3.list_object_versions(Bucket=b)["Versions"]) == 2, "s3cmd's delete kept the versions"
    info = server.s3cmd("info", f"s3://{b}").stdout.decode()
    assert f"s3://{b}/ (bucket)" in info, info


def test_version_conditions_follow_the_named_version(server, s3, vbucket):
    """s3:VersionId is set per key in DeleteObjects, and s3:ExistingObjectTag is the tag set of
    the version a request names (not the current one's): a Deny on either holds."""
    b = vbucket
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    name = f"vc{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                 "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"]}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user = server.client_for(key["AccessKeyId"], key["SecretAccessKey"])
    arn = f"arn:aws:iam::111122223333:user/{name}"
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    secret = s3.put_object(Bucket=b, Key="doc", Body=b"old", Tagging="class=secret")["VersionId"]
    s3.put_object(Bucket=b, Key="doc", Body=b"new")
    kept = s3.put_object(Bucket=b, Key="pinned", Body=b"p")["VersionId"]
    other = s3.put_object(Bucket=b, Key="pinned", Body=b"q")["VersionId"]
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": {"AWS": arn}, "Action": "s3:GetObjectVersion",
         "Resource": f"arn:aws:s3:::{b}/*",
         "Condition": {"StringEquals": {"s3:ExistingObjectTag/class": "secret"}}},
        {"Effect": "Deny", "Principal": {"AWS": arn}, "Action": "s3:DeleteObjectVersion",
         "Resource": f"arn:aws:s3:::{b}/*",
         "Condition": {"StringEquals": {"s3:VersionId": kept}}},
    ]}))
    with pytest.raises(ClientError) as e:
        user.get_object(Bucket=b, Key="doc", VersionId=secret)
    assert err(e) == ("AccessDenied", 403), "the named version is tagged secret"
    assert user.get_object(Bucket=b, Key="doc")["Body"].read() == b"new"
    r = user.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "pinned", "VersionId": kept},
                                                         {"Key": "pinned", "VersionId": other}]})
    assert [x["VersionId"] for x in r.get("Errors", [])] == [kept]
    assert [x["VersionId"] for x in r["Deleted"]] == [other]
    s3.delete_bucket_policy(Bucket=b)
