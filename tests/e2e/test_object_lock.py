"""Object Lock (seed 000): WORM retention in governance and compliance mode, legal holds,
bucket default retention, and the governance bypass — with boto3 and the aws CLI. Compliance
dates are passed by moving the server's clock (`--test-clock`), never by waiting."""

import base64
import datetime
import hashlib
import json
import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY
from rawsig import Signer

DAY = 86_400
DENIED = ("AccessDenied", 403)


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def later(seconds):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def locked_bucket(s3):
    b = name("lock")
    s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
    return b


def user_with(server, actions, bucket):
    """An IAM user allowed exactly `actions` on `bucket` and its objects: its S3 client."""
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    user = name("u")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions,
                       "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}],
    }))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return server.client_for(key["AccessKeyId"], key["SecretAccessKey"])


def test_bucket_object_lock_configuration(server, s3):
    b = locked_bucket(s3)
    # Object Lock turns versioning on, for good.
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    conf = s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
    assert conf == {"ObjectLockEnabled": "Enabled"}
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    assert err(e) == ("InvalidBucketState", 409)
    # A default retention rule: a mode and Days or Years, never both.
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}}
    s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": rule})
    got = s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
    assert got == {"ObjectLockEnabled": "Enabled", "Rule": rule}
    for bad, want in [({"Mode": "GOVERNANCE", "Days": 1, "Years": 1}, "MalformedXML"),
                      ({"Mode": "GOVERNANCE"}, "MalformedXML"),
                      ({"Days": 1}, "MalformedXML"),
                      ({"Mode": "GOVERNANCE", "Days": 0}, "InvalidArgument"),
                      ({"Mode": "COMPLIANCE", "Years": 101}, "InvalidArgument")]:
        with pytest.raises(ClientError) as e:
            s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": bad}})
        assert err(e) == (want, 400), bad
    assert s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]["Rule"] == rule
    # Clearing the rule keeps the lock on.
    s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}

    # A bucket without Object Lock: no configuration, and lock requests refused as S3 does.
    plain = name("plain")
    s3.create_bucket(Bucket=plain)
    with pytest.raises(ClientError) as e:
        s3.get_object_lock_configuration(Bucket=plain)
    assert err(e) == ("ObjectLockConfigurationNotFoundError", 404)
    for call in (lambda: s3.put_object(Bucket=plain, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                                       ObjectLockRetainUntilDate=later(DAY)),
                 lambda: s3.put_object(Bucket=plain, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON"),
                 lambda: s3.get_object_retention(Bucket=plain, Key="k"),
                 lambda: s3.put_object_legal_hold(Bucket=plain, Key="k", LegalHold={"Status": "ON"}),
                 lambda: s3.create_multipart_upload(Bucket=plain, Key="k", ObjectLockLegalHoldStatus="ON")):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=plain, Key="k")  # nothing was written
    # Enabling it needs versioning Enabled; then it can be turned on in an existing bucket.
    with pytest.raises(ClientError) as e:
        s3.put_object_lock_configuration(Bucket=plain, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert err(e) == ("InvalidBucketState", 409)
    s3.put_bucket_versioning(Bucket=plain, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=plain, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    s3.put_object(Bucket=plain, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")
    assert s3.get_object_legal_hold(Bucket=plain, Key="k")["LegalHold"]["Status"] == "ON"
    s3.put_object_legal_hold(Bucket=plain, Key="k", LegalHold={"Status": "OFF"})


def test_seed000_compliance_mode(timed_server):
    """Nobody, the root user included, deletes a compliance-locked version, shortens its date
    or changes its mode until the date has passed; extending it is allowed."""
    srv = timed_server
    s3 = srv.client()
    b = locked_bucket(s3)
    until = later(DAY).replace(microsecond=0)
    put = s3.put_object(Bucket=b, Key="ledger.csv", Body=b"2026,1", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=until)
    v = put["VersionId"]
    r = s3.get_object_retention(Bucket=b, Key="ledger.csv", VersionId=v)["Retention"]
    assert r["Mode"] == "COMPLIANCE" and r["RetainUntilDate"] == until
    head = s3.head_object(Bucket=b, Key="ledger.csv", VersionId=v)
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] == until
    got = s3.get_object(Bucket=b, Key="ledger.csv")
    assert got["ObjectLockMode"] == "COMPLIANCE" and got["Body"].read() == b"2026,1"
    for attempt in (
        lambda: s3.delete_object(Bucket=b, Key="ledger.csv", VersionId=v),
        lambda: s3.delete_object(Bucket=b, Key="ledger.csv", VersionId=v, BypassGovernanceRetention=True),
        lambda: s3.put_object_retention(Bucket=b, Key="ledger.csv", VersionId=v, Retention={
            "Mode": "COMPLIANCE", "RetainUntilDate": until - datetime.timedelta(hours=1)}),
        lambda: s3.put_object_retention(Bucket=b, Key="ledger.csv", VersionId=v, BypassGovernanceRetention=True,
                                        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}),
        lambda: s3.put_object_retention(Bucket=b, Key="ledger.csv", VersionId=v, BypassGovernanceRetention=True,
                                        Retention={}),
    ):
        with pytest.raises(ClientError) as e:
            attempt()
        assert err(e) == DENIED
    batch = s3.delete_objects(Bucket=b, BypassGovernanceRetention=True,
                              Delete={"Objects": [{"Key": "ledger.csv", "VersionId": v}]})
    assert [x["Code"] for x in batch["Errors"]] == ["AccessDenied"]
    # A delete without a version id adds a delete marker (the locked version stays).
    assert s3.delete_object(Bucket=b, Key="ledger.csv")["DeleteMarker"] is True
    assert s3.get_object(Bucket=b, Key="ledger.csv", VersionId=v)["Body"].read() == b"2026,1"
    # Extending is allowed, with the aws CLI too.
    extended = until + datetime.timedelta(days=1)
    srv.aws("s3api", "put-object-retention", "--bucket", b, "--key", "ledger.csv", "--version-id", v,
            "--retention", json.dumps({"Mode": "COMPLIANCE",
                                       "RetainUntilDate": extended.strftime("%Y-%m-%dT%H:%M:%SZ")}))
    out = json.loads(srv.aws("s3api", "get-object-retention", "--bucket", b, "--key", "ledger.csv",
                             "--version-id", v).stdout)
    assert out["Retention"]["Mode"] == "COMPLIANCE"
    assert out["Retention"]["RetainUntilDate"].startswith(extended.strftime("%Y-%m-%dT%H:%M:%S"))
    # One day on, the original date has passed but the extended one has not.
    srv.move_clock(DAY + 3600)
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="ledger.csv", VersionId=v)
    assert err(e) == DENIED
    # Once the clock passes the date, the version can go (and its retention still reads).
    srv.move_clock(2 * DAY + 3600)
    assert s3.get_object_retention(Bucket=b, Key="ledger.csv", VersionId=v)["Retention"]["Mode"] == "COMPLIANCE"
    s3.delete_object(Bucket=b, Key="ledger.csv", VersionId=v)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=b, Key="ledger.csv", VersionId=v)
    assert err(e)[1] == 404
    # A retention date in the past is refused.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="late", Body=b"x", ObjectLockMode="COMPLIANCE",
                      ObjectLockRetainUntilDate=later(DAY))  # the server's clock is 2 days on
    assert err(e) == ("InvalidArgument", 400)


def test_seed000_governance_bypass(server, s3):
    """Governance retention stops everyone except a caller that both holds
    s3:BypassGovernanceRetention and sends x-amz-bypass-governance-retention."""
    b = locked_bucket(s3)
    base = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion",
            "s3:PutObjectRetention", "s3:GetObjectRetention", "s3:ListBucketVersions"]
    worker = user_with(server, base, b)
    admin = user_with(server, base + ["s3:BypassGovernanceRetention"], b)
    until = later(DAY)
    versions = [worker.put_object(Bucket=b, Key=f"doc{i}", Body=b"x", ObjectLockMode="GOVERNANCE",
                                  ObjectLockRetainUntilDate=until)["VersionId"] for i in range(3)]
    v = versions[0]
    refused = [
        (worker, {}), (worker, {"BypassGovernanceRetention": True}), (admin, {}),
    ]
    for who, extra in refused:
        with pytest.raises(ClientError) as e:
            who.delete_object(Bucket=b, Key="doc0", VersionId=v, **extra)
        assert err(e) == DENIED, extra
        with pytest.raises(ClientError) as e:
            who.put_object_retention(Bucket=b, Key="doc0", VersionId=v, Retention={
                "Mode": "GOVERNANCE", "RetainUntilDate": until - datetime.timedelta(hours=1)}, **extra)
        assert err(e) == DENIED, extra
    # Extending needs no bypass.
    worker.put_object_retention(Bucket=b, Key="doc0", VersionId=v, Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": until + datetime.timedelta(hours=1)})
    # With the permission and the header: shorten, change the mode, remove, delete.
    soon = until - datetime.timedelta(hours=12)
    admin.put_object_retention(Bucket=b, Key="doc0", VersionId=v, BypassGovernanceRetention=True,
                               Retention={"Mode": "GOVERNANCE", "RetainUntilDate": soon})
    got = s3.get_object_retention(Bucket=b, Key="doc0", VersionId=v)["Retention"]["RetainUntilDate"]
    assert abs((got - soon).total_seconds()) < 1
    admin.put_object_retention(Bucket=b, Key="doc0", VersionId=v, BypassGovernanceRetention=True, Retention={})
    with pytest.raises(ClientError) as e:
        s3.get_object_retention(Bucket=b, Key="doc0", VersionId=v)
    assert err(e) == ("NoSuchObjectLockConfiguration", 404)
    admin.delete_object(Bucket=b, Key="doc1", VersionId=versions[1], BypassGovernanceRetention=True)
    # DeleteObjects judges the bypass key by key.
    r = worker.delete_objects(Bucket=b, BypassGovernanceRetention=True,
                              Delete={"Objects": [{"Key": "doc2", "VersionId": versions[2]}]})
    assert [x["Code"] for x in r["Errors"]] == ["AccessDenied"]
    r = admin.delete_objects(Bucket=b, BypassGovernanceRetention=True,
                             Delete={"Objects": [{"Key": "doc2", "VersionId": versions[2]}]})
    assert not r.get("Errors") and r["Deleted"][0]["VersionId"] == versions[2]
    left = {x["Key"] for x in s3.list_object_versions(Bucket=b).get("Versions", [])}
    assert left == {"doc0"}
    # The aws CLI's flag does the same.
    v3 = s3.put_object(Bucket=b, Key="cli", Body=b"x", ObjectLockMode="GOVERNANCE",
                       ObjectLockRetainUntilDate=until)["VersionId"]
    assert server.aws("s3api", "delete-object", "--bucket", b, "--key", "cli", "--version-id", v3,
                      check=False).returncode != 0
    server.aws("s3api", "delete-object", "--bucket", b, "--key", "cli", "--version-id", v3,
               "--bypass-governance-retention")


def test_seed000_legal_hold(server, s3):
    """A legal hold blocks deletion whatever the retention, until it is removed; placing or
    removing it needs s3:PutObjectLegalHold."""
    b = locked_bucket(s3)
    v = s3.put_object(Bucket=b, Key="evidence", Body=b"e")["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object_legal_hold(Bucket=b, Key="evidence")
    assert err(e) == ("NoSuchObjectLockConfiguration", 404)
    server.aws("s3api", "put-object-legal-hold", "--bucket", b, "--key", "evidence",
               "--legal-hold", "Status=ON")
    assert s3.get_object_legal_hold(Bucket=b, Key="evidence", VersionId=v)["LegalHold"]["Status"] == "ON"
    assert s3.head_object(Bucket=b, Key="evidence")["ObjectLockLegalHoldStatus"] == "ON"
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="evidence", VersionId=v, BypassGovernanceRetention=True)
    assert err(e) == DENIED
    # Without s3:PutObjectLegalHold nobody lifts it (or sets one on upload).
    clerk = user_with(server, ["s3:PutObject", "s3:GetObject", "s3:DeleteObjectVersion"], b)
    with pytest.raises(ClientError) as e:
        clerk.put_object_legal_hold(Bucket=b, Key="evidence", LegalHold={"Status": "OFF"})
    assert err(e) == DENIED
    with pytest.raises(ClientError) as e:
        clerk.put_object(Bucket=b, Key="other", Body=b"o", ObjectLockLegalHoldStatus="ON")
    assert err(e) == DENIED
    with pytest.raises(ClientError) as e:
        clerk.put_object(Bucket=b, Key="other", Body=b"o", ObjectLockMode="GOVERNANCE",
                         ObjectLockRetainUntilDate=later(DAY))
    assert err(e) == DENIED, "retention headers need s3:PutObjectRetention"
    # A caller without s3:GetObjectLegalHold does not see the hold on a read.
    assert "ObjectLockLegalHoldStatus" not in clerk.head_object(Bucket=b, Key="evidence")
    s3.put_object_legal_hold(Bucket=b, Key="evidence", LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=b, Key="evidence")["LegalHold"]["Status"] == "OFF"
    clerk.delete_object(Bucket=b, Key="evidence", VersionId=v)
    # A hold with retention: the hold outlives a retention that is removed.
    v2 = s3.put_object(Bucket=b, Key="both", Body=b"b", ObjectLockLegalHoldStatus="ON",
                       ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later(DAY))["VersionId"]
    s3.put_object_retention(Bucket=b, Key="both", VersionId=v2, BypassGovernanceRetention=True, Retention={})
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="both", VersionId=v2, BypassGovernanceRetention=True)
    assert err(e) == DENIED
    s3.put_object_legal_hold(Bucket=b, Key="both", VersionId=v2, LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=b, Key="both", VersionId=v2)


def test_default_retention_multipart_and_copies(timed_server):
    srv = timed_server
    s3 = srv.client()
    b = locked_bucket(s3)
    s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2}}})
    before = time.time()
    v = s3.put_object(Bucket=b, Key="auto", Body=b"a")["VersionId"]
    r = s3.get_object_retention(Bucket=b, Key="auto", VersionId=v)["Retention"]
    assert r["Mode"] == "COMPLIANCE"
    assert abs(r["RetainUntilDate"].timestamp() - (before + 2 * DAY)) < 60
    # An explicit retention wins over the default.
    mine = later(DAY * 5).replace(microsecond=0)
    v2 = s3.put_object(Bucket=b, Key="mine", Body=b"m", ObjectLockMode="GOVERNANCE",
                       ObjectLockRetainUntilDate=mine)["VersionId"]
    assert s3.get_object_retention(Bucket=b, Key="mine", VersionId=v2)["Retention"] == {
        "Mode": "GOVERNANCE", "RetainUntilDate": mine}
    # A copy takes the request's lock or the default, never its source's.
    c = s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "mine"})["VersionId"]
    assert s3.get_object_retention(Bucket=b, Key="copy", VersionId=c)["Retention"]["Mode"] == "COMPLIANCE"
    # Multipart: the upload's lock lands on the completed version.
    up = s3.create_multipart_upload(Bucket=b, Key="big", ObjectLockMode="GOVERNANCE",
                                    ObjectLockRetainUntilDate=mine, ObjectLockLegalHoldStatus="ON")
    part = s3.upload_part(Bucket=b, Key="big", UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 1024)
    done = s3.complete_multipart_upload(Bucket=b, Key="big", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    vb = done["VersionId"]
    assert s3.get_object_retention(Bucket=b, Key="big", VersionId=vb)["Retention"]["RetainUntilDate"] == mine
    assert s3.get_object_legal_hold(Bucket=b, Key="big", VersionId=vb)["LegalHold"]["Status"] == "ON"
    # After the default's two days the auto-locked version may go; the explicit one stays.
    srv.move_clock(2 * DAY + 600)
    s3.delete_object(Bucket=b, Key="auto", VersionId=v)
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="mine", VersionId=v2)
    assert err(e) == DENIED


def test_locked_uploads_need_a_declared_checksum(server, s3):
    """S3 takes a locked upload only with Content-MD5 or an x-amz-checksum-*, and the lock
    documents only with one that matches."""
    b = locked_bucket(s3)
    bare = server.client(request_checksum_calculation="when_required")
    with pytest.raises(ClientError) as e:
        bare.put_object(Bucket=b, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")
    assert err(e) == ("InvalidRequest", 400)
    md5 = base64.b64encode(hashlib.md5(b"x").digest()).decode()
    bare.put_object(Bucket=b, Key="k", Body=b"x", ContentMD5=md5, ObjectLockLegalHoldStatus="ON")
    # Parts of a locked upload likewise.
    up = bare.create_multipart_upload(Bucket=b, Key="mp", ObjectLockLegalHoldStatus="ON")
    with pytest.raises(ClientError) as e:
        bare.upload_part(Bucket=b, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"p")
    assert err(e) == ("InvalidRequest", 400)
    s3.upload_part(Bucket=b, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"p")
    # Lock documents: a checksum is required, and checked.
    raw = Signer(server.endpoint, ACCESS_KEY, SECRET_KEY)
    doc = b'<LegalHold xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>OFF</Status></LegalHold>'
    r = raw.request("PUT", f"/{b}/k", params=[("legal-hold", "")], body=doc)
    assert r.status_code == 400 and b"<Code>InvalidRequest</Code>" in r.content
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    r = raw.request("PUT", f"/{b}/k", params=[("legal-hold", "")], body=doc, headers={"content-md5": wrong})
    assert r.status_code == 400 and b"<Code>BadDigest</Code>" in r.content
    assert s3.get_object_legal_hold(Bucket=b, Key="k")["LegalHold"]["Status"] == "ON"
    right = base64.b64encode(hashlib.md5(doc).digest()).decode()
    r = raw.request("PUT", f"/{b}/k", params=[("legal-hold", "")], body=doc, headers={"content-md5": right})
    assert r.status_code == 200, r.content
    assert s3.get_object_legal_hold(Bucket=b, Key="k")["LegalHold"]["Status"] == "OFF"


def test_locks_survive_kill9(fresh_server):
    srv = fresh_server
    s3 = srv.client()
    b = locked_bucket(s3)
    until = later(DAY).replace(microsecond=0)
    v = s3.put_object(Bucket=b, Key="k", Body=b"x", ObjectLockMode="COMPLIANCE",
                      ObjectLockRetainUntilDate=until)["VersionId"]
    s3.put_object_legal_hold(Bucket=b, Key="k", VersionId=v, LegalHold={"Status": "ON"})
    srv.kill9()
    srv.start()
    s3 = srv.client()
    assert s3.get_object_retention(Bucket=b, Key="k", VersionId=v)["Retention"] == {
        "Mode": "COMPLIANCE", "RetainUntilDate": until}
    assert s3.get_object_legal_hold(Bucket=b, Key="k", VersionId=v)["LegalHold"]["Status"] == "ON"
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="k", VersionId=v)
    assert err(e) == DENIED
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    assert err(e) == ("InvalidBucketState", 409)


def test_object_lock_condition_keys(server, s3):
    """Bucket policies see s3:object-lock-mode, -retain-until-date, -remaining-retention-days
    and -legal-hold, from a write's headers and from the lock documents (AWS's examples: a
    longest retention, a hold that may be placed but not lifted)."""
    b = locked_bucket(s3)
    worker = user_with(server, ["s3:PutObject", "s3:PutObjectRetention", "s3:PutObjectLegalHold",
                                "s3:GetObjectRetention"], b)
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": ["s3:PutObject", "s3:PutObjectRetention"],
         "Resource": f"arn:aws:s3:::{b}/*",
         "Condition": {"NumericGreaterThan": {"s3:object-lock-remaining-retention-days": "10"}}},
        {"Effect": "Deny", "Principal": "*", "Action": ["s3:PutObject", "s3:PutObjectRetention"],
         "Resource": f"arn:aws:s3:::{b}/*",
         "Condition": {"StringEquals": {"s3:object-lock-mode": "COMPLIANCE"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObjectLegalHold",
         "Resource": f"arn:aws:s3:::{b}/*",
         "Condition": {"StringEquals": {"s3:object-lock-legal-hold": "OFF"}}},
    ]}))
    for mode, days in [("GOVERNANCE", 20), ("COMPLIANCE", 5)]:
        with pytest.raises(ClientError) as e:
            worker.put_object(Bucket=b, Key="k", Body=b"x", ObjectLockMode=mode,
                              ObjectLockRetainUntilDate=later(days * DAY))
        assert err(e) == DENIED, (mode, days)
    v = worker.put_object(Bucket=b, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                          ObjectLockRetainUntilDate=later(5 * DAY))["VersionId"]
    with pytest.raises(ClientError) as e:
        worker.put_object_retention(Bucket=b, Key="k", VersionId=v, Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": later(20 * DAY)})
    assert err(e) == DENIED
    worker.put_object_retention(Bucket=b, Key="k", VersionId=v, Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": later(8 * DAY)})
    got = worker.get_object_retention(Bucket=b, Key="k", VersionId=v)["Retention"]["RetainUntilDate"]
    assert abs(got.timestamp() - (time.time() + 8 * DAY)) < 60
    worker.put_object_legal_hold(Bucket=b, Key="k", VersionId=v, LegalHold={"Status": "ON"})
    with pytest.raises(ClientError) as e:
        worker.put_object_legal_hold(Bucket=b, Key="k", VersionId=v, LegalHold={"Status": "OFF"})
    assert err(e) == DENIED
    s3.delete_bucket_policy(Bucket=b)
    s3.put_object_legal_hold(Bucket=b, Key="k", VersionId=v, LegalHold={"Status": "OFF"})


def test_aws_cli_object_lock_commands(server):
    """The aws CLI's own Object Lock commands, end to end."""
    b = name("cli-lock")
    server.aws("s3api", "create-bucket", "--bucket", b, "--object-lock-enabled-for-bucket")
    server.aws("s3api", "put-object-lock-configuration", "--bucket", b, "--object-lock-configuration",
               json.dumps({"ObjectLockEnabled": "Enabled",
                           "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 1}}}))
    conf = json.loads(server.aws("s3api", "get-object-lock-configuration", "--bucket", b).stdout)
    assert conf["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Years": 1}
    put = json.loads(server.aws("s3api", "put-object", "--bucket", b, "--key", "k", "--body", "/etc/hostname",
                                "--object-lock-legal-hold-status", "ON").stdout)
    v = put["VersionId"]
    hold = json.loads(server.aws("s3api", "get-object-legal-hold", "--bucket", b, "--key", "k",
                                 "--version-id", v).stdout)
    assert hold["LegalHold"]["Status"] == "ON"
    head = json.loads(server.aws("s3api", "head-object", "--bucket", b, "--key", "k").stdout)
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockLegalHoldStatus"] == "ON"
    r = server.aws("s3api", "delete-object", "--bucket", b, "--key", "k", "--version-id", v,
                   "--bypass-governance-retention", check=False)
    assert r.returncode != 0 and b"AccessDenied" in r.stderr, "the legal hold stays"
    r = server.aws("s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration",
                   "Status=Suspended", check=False)
    assert r.returncode != 0 and b"InvalidBucketState" in r.stderr
