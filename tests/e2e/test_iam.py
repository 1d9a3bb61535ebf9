"""Identities end to end: IAM users made with the real aws CLI / boto3, judged by bucket
policies, identity policies and account guardrails as the seeds describe."""

import datetime
import json
import os
import re
import subprocess
import uuid

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

import rawsig

ACCT = "111122223333"


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def new_user(server, iam, name, tags=()):
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in tags])
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client_for(k["AccessKeyId"], k["SecretAccessKey"]), k


@pytest.fixture
def iam(server):
    return server.client(), server.client_for(*_root(), service="iam")


def _root():
    from conftest import ACCESS_KEY, SECRET_KEY
    return ACCESS_KEY, SECRET_KEY


def uniq(p):
    return f"{p}{uuid.uuid4().hex[:8]}"


def test_seed000_user_dlsrb(server, iam, bucket, tmp_path):
    s3_root, iam_c = iam
    name = uniq("dlsrb")
    dlsrb, key = new_user(server, iam_c, name)
    s3_root.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowUser", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/{name}"},
         "Action": ["s3:PutObject", "s3:GetObject"], "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Sid": "DenyIncorrectEncryptionHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}]}))
    with pytest.raises(ClientError) as e:
        dlsrb.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    code, status, msg = err(e)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (f"User: arn:aws:iam::{ACCT}:user/{name} is not authorized to perform: s3:PutObject on resource: "
                   f"\"arn:aws:s3:::{bucket}/k\" with an explicit deny in a resource-based policy")
    dlsrb.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")
    assert dlsrb.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    # The same user through the aws CLI.
    f = tmp_path / "f"
    f.write_bytes(b"cli")
    env_key = (key["AccessKeyId"], key["SecretAccessKey"])
    from conftest import ROOT
    env = dict(os.environ, AWS_ACCESS_KEY_ID=env_key[0], AWS_SECRET_ACCESS_KEY=env_key[1], AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    aws = str(ROOT / ".venv" / "bin" / "aws")
    r = subprocess.run([aws, "--endpoint-url", server.endpoint, "s3", "cp", str(f), f"s3://{bucket}/cli", "--sse", "aws:kms"],
                       env=env, capture_output=True)
    assert r.returncode != 0 and b"explicit deny in a resource-based policy" in r.stderr
    r = subprocess.run([aws, "--endpoint-url", server.endpoint, "s3", "cp", str(f), f"s3://{bucket}/cli", "--sse", "AES256"],
                       env=env, capture_output=True)
    assert r.returncode == 0, r.stderr
    # A user no policy mentions is told no identity-based policy allows it.
    other, _ = new_user(server, iam_c, uniq("other"))
    with pytest.raises(ClientError) as e:
        other.get_object(Bucket=bucket, Key="k")
    assert err(e)[2].endswith("because no identity-based policy allows the s3:GetObject action")


def test_seed000_prefix_split_and_identity_policies(server, iam, bucket):
    s3_root, iam_c = iam
    a, b = uniq("alice"), uniq("bob")
    alice, _ = new_user(server, iam_c, a)
    bob, _ = new_user(server, iam_c, b)
    s3_root.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/{a}"}, "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/{a}/*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/{b}"}, "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/{b}/*"}]}))
    alice.put_object(Bucket=bucket, Key=f"{a}/x", Body=b"1")
    bob.put_object(Bucket=bucket, Key=f"{b}/x", Body=b"2")
    with pytest.raises(ClientError) as e:
        alice.put_object(Bucket=bucket, Key=f"{b}/y", Body=b"3")
    assert err(e)[:2] == ("AccessDenied", 403)
    with pytest.raises(ClientError):
        bob.get_object(Bucket=bucket, Key=f"{a}/x")
    # An identity policy with a policy variable gives alice her own home prefix anywhere.
    iam_c.put_user_policy(UserName=a, PolicyName="home", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::*/home/${aws:username}/*"}]}))
    alice.put_object(Bucket=bucket, Key=f"home/{a}/f", Body=b"h")
    with pytest.raises(ClientError):
        alice.put_object(Bucket=bucket, Key=f"home/{b}/f", Body=b"h")


def test_cross_account_grant(server, iam, bucket):
    s3_root, _ = iam
    out = server.coffer("account", "create")
    other = re.search(r"Account (\d{12}) created", out).group(1)
    ak = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", out).group(1)
    sk = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", out).group(1)
    other_iam = server.client_for(ak, sk, service="iam")
    assert server.client_for(ak, sk, service="sts").get_caller_identity()["Account"] == other
    carol_name = uniq("carol")
    carol, _ = new_user(server, other_iam, carol_name)
    s3_root.put_object(Bucket=bucket, Key="shared/doc", Body=b"for carol")
    s3_root.put_object(Bucket=bucket, Key="private/doc", Body=b"not for carol")
    s3_root.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "OtherAccountReads", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/shared/*"}]}))
    # The bucket policy alone is not enough: carol's account must also allow her.
    with pytest.raises(ClientError) as e:
        carol.get_object(Bucket=bucket, Key="shared/doc")
    assert err(e) == ("AccessDenied", 403, "Access Denied")
    other_iam.put_user_policy(UserName=carol_name, PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert carol.get_object(Bucket=bucket, Key="shared/doc")["Body"].read() == b"for carol"
    with pytest.raises(ClientError) as e:
        carol.get_object(Bucket=bucket, Key="private/doc")
    assert err(e) == ("AccessDenied", 403, "Access Denied")


GUARDRAILS = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyPresignedOver15Minutes", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"NumericGreaterThan": {"s3:signatureAge": "900000"},
                   "StringNotEquals": {"aws:PrincipalTag/long-presigned-allowed": "true"}}},
    {"Sid": "DenySignatureVersion2", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringEquals": {"s3:signatureversion": "AWS"}}},
    {"Sid": "DenyNonHeaderAuth", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringNotEquals": {"s3:authType": "REST-HEADER",
                                       "aws:PrincipalTag/non-header-auth-allowed": "true"}}}]}


def test_seed002_as_account_guardrails(fresh_server, tmp_path):
    from botocore.config import Config
    root_s3 = fresh_server.client()
    iam_c = fresh_server.client_for(*_root(), service="iam")
    root_s3.create_bucket(Bucket="guarded")
    root_s3.put_object(Bucket="guarded", Key="k", Body=b"data")
    g = tmp_path / "g.json"
    g.write_text(json.dumps(GUARDRAILS))
    fresh_server.coffer("guardrail", "put", "--account", ACCT, "--file", str(g))
    assert "DenySignatureVersion2" in fresh_server.coffer("guardrail", "get", "--account", ACCT)
    allow_all = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    plain, pk = new_user(fresh_server, iam_c, "plain")
    iam_c.put_user_policy(UserName="plain", PolicyName="all", PolicyDocument=allow_all)
    tagged, tk = new_user(fresh_server, iam_c, "tagged", tags=[("non-header-auth-allowed", "true")])
    iam_c.put_user_policy(UserName="tagged", PolicyName="all", PolicyDocument=allow_all)
    now = datetime.datetime.now(datetime.timezone.utc)

    def presigned(key, minutes_ago):
        signer = rawsig.Signer(fresh_server.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        return rawsig.presign_v4(signer, "GET", "/guarded/k", expires=3600, when=now - datetime.timedelta(minutes=minutes_ago))

    # Header auth works for everyone; presigned URLs only with the exemption tag.
    assert plain.get_object(Bucket="guarded", Key="k")["Body"].read() == b"data"
    r = requests.get(presigned(pk, 1), timeout=10)
    assert r.status_code == 403 and "with an explicit deny in a service control policy" in r.text
    assert requests.get(presigned(tk, 14), timeout=10).status_code == 200
    r = requests.get(presigned(tk, 16), timeout=10)
    assert r.status_code == 403 and "service control policy" in r.text
    iam_c.tag_user(UserName="tagged", Tags=[{"Key": "long-presigned-allowed", "Value": "true"}])
    assert requests.get(presigned(tk, 16), timeout=10).status_code == 200
    # SigV2 is denied whatever the tags, root included.
    for key in (tk, dict(zip(["AccessKeyId", "SecretAccessKey"], _root()))):
        v2 = boto3.client("s3", endpoint_url=fresh_server.endpoint, aws_access_key_id=key["AccessKeyId"],
                          aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1",
                          config=Config(signature_version="s3", s3={"addressing_style": "path"}))
        with pytest.raises(ClientError) as e:
            v2.get_object(Bucket="guarded", Key="k")
        assert "service control policy" in err(e)[2]
    fresh_server.coffer("guardrail", "delete", "--account", ACCT)
    assert requests.get(presigned(pk, 1), timeout=10).status_code == 200


def test_iam_errors_and_key_lifecycle(server, iam):
    _, iam_c = iam
    name = uniq("errs")
    iam_c.create_user(UserName=name)
    with pytest.raises(ClientError) as e:
        iam_c.create_user(UserName=name)
    assert err(e)[:2] == ("EntityAlreadyExists", 409)
    with pytest.raises(ClientError) as e:
        iam_c.get_user(UserName=uniq("nobody"))
    assert err(e)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam_c.put_user_policy(UserName=name, PolicyName="bad", PolicyDocument='{"Statement": "nope"}')
    assert err(e)[:2] == ("MalformedPolicyDocument", 400)
    k1 = iam_c.create_access_key(UserName=name)["AccessKey"]
    iam_c.create_access_key(UserName=name)
    with pytest.raises(ClientError) as e:
        iam_c.create_access_key(UserName=name)
    assert err(e)[:2] == ("LimitExceeded", 409)
    assert len(iam_c.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2
    user_iam = server.client_for(k1["AccessKeyId"], k1["SecretAccessKey"], service="iam")
    with pytest.raises(ClientError) as e:
        user_iam.create_user(UserName=uniq("x"))
    assert err(e)[:2] == ("AccessDenied", 403)
    s3_user = server.client_for(k1["AccessKeyId"], k1["SecretAccessKey"])
    iam_c.update_access_key(UserName=name, AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as e:
        s3_user.list_buckets()
    assert err(e)[:2] == ("InvalidAccessKeyId", 403)
    mp = iam_c.create_policy(PolicyName=uniq("P"), PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))["Policy"]
    iam_c.attach_user_policy(UserName=name, PolicyArn=mp["Arn"])
    assert iam_c.list_attached_user_policies(UserName=name)["AttachedPolicies"][0]["PolicyArn"] == mp["Arn"]
    with pytest.raises(ClientError) as e:
        iam_c.delete_policy(PolicyArn=mp["Arn"])
    assert err(e)[:2] == ("DeleteConflict", 409)
    iam_c.update_access_key(UserName=name, AccessKeyId=k1["AccessKeyId"], Status="Active")
    s3_user.list_buckets()


def test_policy_versions_and_groups(server, iam):
    s3_root, iam_c = iam
    name = uniq("grp-user")
    user_s3, _ = new_user(server, iam_c, name)
    allow = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]})
    deny = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})
    p = iam_c.create_policy(PolicyName=uniq("Versioned"), PolicyDocument=allow)["Policy"]
    group = uniq("readers")
    iam_c.create_group(GroupName=group)
    iam_c.add_user_to_group(GroupName=group, UserName=name)
    iam_c.attach_group_policy(GroupName=group, PolicyArn=p["Arn"])
    assert [u["UserName"] for u in iam_c.get_group(GroupName=group)["Users"]] == [name]
    user_s3.list_buckets()  # allowed through the group's managed policy (v1)
    v2 = iam_c.create_policy_version(PolicyArn=p["Arn"], PolicyDocument=deny, SetAsDefault=False)["PolicyVersion"]
    assert v2["VersionId"] == "v2" and not v2["IsDefaultVersion"]
    user_s3.list_buckets()  # v1 still decides
    iam_c.set_default_policy_version(PolicyArn=p["Arn"], VersionId="v2")
    with pytest.raises(ClientError) as e:
        user_s3.list_buckets()
    assert "explicit deny in an identity-based policy" in err(e)[2]
    versions = iam_c.list_policy_versions(PolicyArn=p["Arn"])["Versions"]
    assert {v["VersionId"]: v["IsDefaultVersion"] for v in versions} == {"v1": False, "v2": True}
    doc = iam_c.get_policy_version(PolicyArn=p["Arn"], VersionId="v2")["PolicyVersion"]["Document"]
    assert doc["Statement"][0]["Effect"] == "Deny"
    with pytest.raises(ClientError) as e:
        iam_c.delete_policy_version(PolicyArn=p["Arn"], VersionId="v2")
    assert err(e)[:2] == ("DeleteConflict", 409)
    iam_c.delete_policy_version(PolicyArn=p["Arn"], VersionId="v1")
    for _ in range(4):
        iam_c.create_policy_version(PolicyArn=p["Arn"], PolicyDocument=allow)
    with pytest.raises(ClientError) as e:
        iam_c.create_policy_version(PolicyArn=p["Arn"], PolicyDocument=allow)
    assert err(e)[:2] == ("LimitExceeded", 409)


def test_role_and_group_management(server, iam):
    _, iam_c = iam
    role, group = uniq("Mgmt"), uniq("mgmt")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}]})
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    iam_c.create_role(RoleName=role, AssumeRolePolicyDocument=trust, Tags=[{"Key": "env", "Value": "dev"}])
    assert role in [r["RoleName"] for r in iam_c.list_roles()["Roles"]]
    iam_c.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc)
    assert iam_c.list_role_policies(RoleName=role)["PolicyNames"] == ["p"]
    assert iam_c.get_role_policy(RoleName=role, PolicyName="p")["PolicyDocument"]["Statement"][0]["Action"] == "s3:GetObject"
    mp = iam_c.create_policy(PolicyName=uniq("RoleMP"), PolicyDocument=doc)["Policy"]
    iam_c.attach_role_policy(RoleName=role, PolicyArn=mp["Arn"])
    assert iam_c.list_attached_role_policies(RoleName=role)["AttachedPolicies"][0]["PolicyArn"] == mp["Arn"]
    with pytest.raises(ClientError) as e:
        iam_c.delete_role(RoleName=role)
    assert err(e)[:2] == ("DeleteConflict", 409)
    iam_c.detach_role_policy(RoleName=role, PolicyArn=mp["Arn"])
    iam_c.delete_role_policy(RoleName=role, PolicyName="p")
    with pytest.raises(ClientError) as e:
        iam_c.update_assume_role_policy(RoleName=role, PolicyDocument='{"Statement": 1}')
    assert err(e)[:2] == ("MalformedPolicyDocument", 400)
    iam_c.untag_role(RoleName=role, TagKeys=["env"])
    assert iam_c.list_role_tags(RoleName=role)["Tags"] == []
    iam_c.delete_role(RoleName=role)
    with pytest.raises(ClientError) as e:
        iam_c.get_role(RoleName=role)
    assert err(e)[:2] == ("NoSuchEntity", 404)
    user = uniq("member")
    iam_c.create_user(UserName=user)
    iam_c.create_group(GroupName=group)
    iam_c.add_user_to_group(GroupName=group, UserName=user)
    assert [g["GroupName"] for g in iam_c.list_groups_for_user(UserName=user)["Groups"]] == [group]
    with pytest.raises(ClientError) as e:
        iam_c.delete_group(GroupName=group)
    assert err(e)[:2] == ("DeleteConflict", 409)
    iam_c.remove_user_from_group(GroupName=group, UserName=user)
    iam_c.delete_group(GroupName=group)
    dev = iam_c.create_virtual_mfa_device(VirtualMFADeviceName=uniq("dev"))["VirtualMFADevice"]
    iam_c.delete_virtual_mfa_device(SerialNumber=dev["SerialNumber"])


def test_role_attachments_count_for_delete_policy(iam):
    _, iam_c = iam
    role = f"counted-{uuid.uuid4().hex[:6]}"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                                    "Action": "sts:AssumeRole"}]}
    iam_c.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}
    p = iam_c.create_policy(PolicyName=f"rolepol-{uuid.uuid4().hex[:6]}", PolicyDocument=json.dumps(doc))["Policy"]
    iam_c.attach_role_policy(RoleName=role, PolicyArn=p["Arn"])
    assert iam_c.get_policy(PolicyArn=p["Arn"])["Policy"]["AttachmentCount"] == 1
    with pytest.raises(ClientError) as e:
        iam_c.delete_policy(PolicyArn=p["Arn"])
    assert err(e)[:2] == ("DeleteConflict", 409)
    iam_c.detach_role_policy(RoleName=role, PolicyArn=p["Arn"])
    assert iam_c.get_policy(PolicyArn=p["Arn"])["Policy"]["AttachmentCount"] == 0
    iam_c.delete_policy(PolicyArn=p["Arn"])
