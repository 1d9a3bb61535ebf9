"""Object Ownership and ACLs (issue 9 §3): BucketOwnerEnforced by default (ACLs readable,
setting one refused), and where ACLs are enabled the whole model — canned ACLs, grant headers,
AccessControlPolicy documents, grantees by canonical id, e-mail and group — taking part in
authorization with bucket and identity policies, under Block Public Access."""
import hashlib
import json
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def canonical(account):
    return hashlib.sha256(account.encode()).hexdigest()


def root_account(server):
    return server.client_for(ACCESS_KEY, SECRET_KEY, service="sts").get_caller_identity()["Account"]


def new_account(server, email=None):
    acct, ak, sk = server.new_account(email)
    return acct, server.client_for(ak, sk), (ak, sk)


def acl_bucket(s3, ownership="ObjectWriter", public=False):
    name = f"acl-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectOwnership=ownership)
    if public:
        s3.delete_public_access_block(Bucket=name)
    return name


def test_acls_disabled_by_default(server, s3, bucket):
    me = root_account(server)
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Owner"]["ID"] == canonical(me)
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in acl["Grants"]] == [(canonical(me), "FULL_CONTROL")]
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.put_object(Bucket=bucket, Key="k2", Body=b"v", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="k3", Body=b"v", ACL="private")
    assert s3.get_object_acl(Bucket=bucket, Key="k")["Grants"][0]["Permission"] == "FULL_CONTROL"
    # Any grant header is refused, even one granting only what the owner has.
    for kw in ({"ACL": "public-read"}, {"GrantRead": f'uri="{ALL_USERS}"'},
               {"GrantFullControl": f'id="{canonical(me)}"'}):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="k4", Body=b"v", **kw)
        assert err(e) == ("AccessControlListNotSupported", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")
    assert err(e) == ("AccessControlListNotSupported", 400)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_acl(Bucket=bucket, ACL="authenticated-read")
    assert err(e) == ("AccessControlListNotSupported", 400)
    # The owner's full control as a document is accepted (it changes nothing).
    s3.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy={
        "Owner": {"ID": canonical(me)},
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": canonical(me)}, "Permission": "FULL_CONTROL"}]})
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=f"x-{uuid.uuid4().hex[:10]}", ACL="public-read")
    assert err(e) == ("InvalidBucketAclWithObjectOwnership", 400)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k4")
    assert err(e)[1] == 404


def test_ownership_controls_lifecycle(s3):
    b = acl_bucket(s3, "BucketOwnerPreferred")
    get = lambda: s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
    assert get() == "BucketOwnerPreferred"
    s3.put_bucket_acl(Bucket=b, ACL="log-delivery-write")
    # ACLs cannot be disabled while the bucket ACL grants beyond its owner.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert err(e) == ("InvalidBucketAclWithObjectOwnership", 400)
    s3.put_bucket_acl(Bucket=b, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert get() == "BucketOwnerEnforced"
    s3.delete_bucket_ownership_controls(Bucket=b)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_ownership_controls(Bucket=b)
    assert err(e) == ("OwnershipControlsNotFoundError", 404)
    # Without the setting ACLs are enabled again (ObjectWriter).
    s3.put_bucket_acl(Bucket=b, ACL="log-delivery-write")


def test_public_read_acl_grants_anonymous_reads(server, s3):
    b = acl_bucket(s3, public=True)
    s3.put_object(Bucket=b, Key="pub", Body=b"hello", ACL="public-read")
    s3.put_object(Bucket=b, Key="priv", Body=b"secret")
    url = f"{server.endpoint}/{b}"
    assert requests.get(f"{url}/pub").content == b"hello"
    assert requests.get(f"{url}/priv").status_code == 403
    grants = s3.get_object_acl(Bucket=b, Key="pub")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    # Listing needs READ on the bucket.
    assert requests.get(url).status_code == 403
    s3.put_bucket_acl(Bucket=b, ACL="public-read")
    assert requests.get(url).status_code == 200
    # An explicit deny in the bucket policy beats the grant.
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/pub"}]}))
    assert requests.get(f"{url}/pub").status_code == 403
    s3.delete_bucket_policy(Bucket=b)
    assert requests.get(f"{url}/pub").status_code == 200
    # IgnorePublicAcls neutralizes public grants; BlockPublicAcls refuses new ones.
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    assert requests.get(f"{url}/pub").status_code == 403
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    assert requests.get(f"{url}/pub").status_code == 200
    with pytest.raises(ClientError) as e:
        s3.put_object_acl(Bucket=b, Key="priv", ACL="public-read")
    assert err(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="new", Body=b"x", ACL="public-read")
    assert err(e) == ("AccessDenied", 403)


def test_new_buckets_block_public_acls(s3):
    # A bucket is created with Block Public Access on: a public ACL on it is refused.
    b = acl_bucket(s3)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="x", Body=b"x", ACL="public-read")
    assert err(e) == ("AccessDenied", 403)


def test_authenticated_read(server, s3):
    b = acl_bucket(s3, public=True)
    s3.put_object(Bucket=b, Key="k", Body=b"members", ACL="authenticated-read")
    assert requests.get(f"{server.endpoint}/{b}/k").status_code == 403
    _, other, _ = new_account(server)
    assert other.get_object(Bucket=b, Key="k")["Body"].read() == b"members"


def test_cross_account_grants_and_object_writer(server, s3):
    me = root_account(server)
    email = f"writer-{uuid.uuid4().hex[:6]}@example.com"
    other_id, other, _ = new_account(server, email=email)
    b = acl_bucket(s3, "ObjectWriter")
    with pytest.raises(ClientError) as e:
        other.put_object(Bucket=b, Key="k", Body=b"x")
    assert err(e) == ("AccessDenied", 403)
    # WRITE to the other account by e-mail, READ_ACP by canonical id; the owner keeps FULL_CONTROL.
    s3.put_bucket_acl(Bucket=b, GrantWrite=f'emailAddress="{email}"',
                      GrantReadACP=f'id="{canonical(other_id)}"', GrantFullControl=f'id="{canonical(me)}"')
    grants = s3.get_bucket_acl(Bucket=b)["Grants"]
    assert {(g["Grantee"].get("ID"), g["Permission"]) for g in grants} == {
        (canonical(other_id), "WRITE"), (canonical(other_id), "READ_ACP"), (canonical(me), "FULL_CONTROL")}
    assert other.get_bucket_acl(Bucket=b)["Owner"]["ID"] == canonical(me)
    # The other account writes; under ObjectWriter it owns the object, and the bucket owner
    # has no access to it until the writer grants some.
    other.put_object(Bucket=b, Key="theirs", Body=b"from other")
    assert other.get_object_acl(Bucket=b, Key="theirs")["Owner"]["ID"] == canonical(other_id)
    assert other.get_object(Bucket=b, Key="theirs")["Body"].read() == b"from other"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="theirs")
    assert err(e) == ("AccessDenied", 403)
    other.put_object(Bucket=b, Key="shared", Body=b"for owner", ACL="bucket-owner-full-control")
    assert s3.get_object(Bucket=b, Key="shared")["Body"].read() == b"for owner"
    # An AccessControlPolicy document naming the bucket owner by canonical id.
    other.put_object_acl(Bucket=b, Key="theirs", AccessControlPolicy={
        "Owner": {"ID": canonical(other_id)},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": canonical(other_id)}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "CanonicalUser", "ID": canonical(me)}, "Permission": "READ"},
        ]})
    assert s3.get_object(Bucket=b, Key="theirs")["Body"].read() == b"from other"
    # The bucket owner still can't change that object's ACL (no WRITE_ACP granted to it).
    with pytest.raises(ClientError) as e:
        s3.put_object_acl(Bucket=b, Key="theirs", ACL="private")
    assert err(e) == ("AccessDenied", 403)
    # Unknown grantees are refused as S3 refuses them.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_acl(Bucket=b, GrantRead='emailAddress="nobody@example.com"')
    assert err(e) == ("UnresolvableGrantByEmailAddress", 400)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_acl(Bucket=b, GrantRead=f'id="{"0" * 64}"')
    assert err(e) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_acl(Bucket=b, ACL="private", GrantRead=f'id="{canonical(me)}"')
    assert err(e) == ("InvalidRequest", 400)


def test_bucket_owner_preferred(server, s3):
    me = root_account(server)
    other_id, other, _ = new_account(server)
    b = acl_bucket(s3, "BucketOwnerPreferred")
    s3.put_bucket_acl(Bucket=b, GrantWrite=f'id="{canonical(other_id)}"', GrantFullControl=f'id="{canonical(me)}"')
    other.put_object(Bucket=b, Key="mine", Body=b"1")
    other.put_object(Bucket=b, Key="yours", Body=b"2", ACL="bucket-owner-full-control")
    assert s3.get_object_acl(Bucket=b, Key="yours")["Owner"]["ID"] == canonical(me)
    assert other.get_object_acl(Bucket=b, Key="mine")["Owner"]["ID"] == canonical(other_id)
    with pytest.raises(ClientError):
        s3.get_object(Bucket=b, Key="mine")


def test_acl_permissions_and_condition_keys(server, s3, bucket):
    """CreateBucket with an ACL or ownership header needs s3:PutBucketAcl /
    s3:PutBucketOwnershipControls as well; an object write's ACL needs only s3:PutObject,
    which a bucket policy can condition on s3:x-amz-acl (AWS's own example)."""
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    name = f"noacl-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:CreateBucket"], "Resource": "*"}]}))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    user = server.client_for(k["AccessKeyId"], k["SecretAccessKey"])
    user.create_bucket(Bucket=f"ok-{uuid.uuid4().hex[:10]}")
    for kw in ({"ObjectOwnership": "ObjectWriter"}, {"ACL": "private"}):
        with pytest.raises(ClientError) as e:
            user.create_bucket(Bucket=f"no-{uuid.uuid4().hex[:10]}", **kw)
        assert err(e) == ("AccessDenied", 403), kw
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}))
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert err(e) == ("AccessDenied", 403)
    user.put_object(Bucket=bucket, Key="withacl", Body=b"x", ACL="bucket-owner-full-control")
    s3.delete_bucket_policy(Bucket=bucket)


def test_multipart_and_copy_acls(server, s3):
    b = acl_bucket(s3, public=True)
    up = s3.create_multipart_upload(Bucket=b, Key="mp", ACL="public-read")["UploadId"]
    p = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1, Body=b"multi")
    s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]})
    assert requests.get(f"{server.endpoint}/{b}/mp").content == b"multi"
    # A copy does not take its source's ACL.
    s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "mp"})
    assert requests.get(f"{server.endpoint}/{b}/copy").status_code == 403
    s3.copy_object(Bucket=b, Key="copy2", CopySource={"Bucket": b, "Key": "mp"}, ACL="public-read")
    assert requests.get(f"{server.endpoint}/{b}/copy2").content == b"multi"


def test_s3cmd_acl_public_and_setacl(server, s3, tmp_path):
    f = tmp_path / "f.txt"
    f.write_text("via s3cmd")
    # ACLs disabled: --acl-public is refused, not silently ignored.
    enforced = f"s3c-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=enforced)
    r = server.s3cmd("put", "--acl-public", str(f), f"s3://{enforced}/f.txt", check=False)
    assert r.returncode != 0 and b"AccessControlListNotSupported" in r.stdout + r.stderr
    b = acl_bucket(s3, public=True)
    server.s3cmd("put", "--acl-public", str(f), f"s3://{b}/f.txt")
    assert requests.get(f"{server.endpoint}/{b}/f.txt").content == b"via s3cmd"
    server.s3cmd("setacl", "--acl-private", f"s3://{b}/f.txt")
    assert requests.get(f"{server.endpoint}/{b}/f.txt").status_code == 403
    server.s3cmd("setacl", "--acl-public", f"s3://{b}/f.txt")
    assert requests.get(f"{server.endpoint}/{b}/f.txt").status_code == 200
    info = server.s3cmd("info", f"s3://{b}/f.txt").stdout.decode()
    assert "*anon*: READ" in info, info


def test_rclone_acl(server, s3, tmp_path):
    b = acl_bucket(s3, public=True)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("rclone public")
    server.rclone("copy", "--s3-acl", "public-read", str(src), f"coffer:{b}")
    assert requests.get(f"{server.endpoint}/{b}/a.txt").content == b"rclone public"
    enforced = f"rc-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=enforced)
    # rclone's default ACL (private) is accepted where ACLs are disabled.
    server.rclone("copy", str(src), f"coffer:{enforced}")
    assert s3.get_object(Bucket=enforced, Key="a.txt")["Body"].read() == b"rclone public"
