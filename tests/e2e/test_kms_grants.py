"""KMS grants: a grantee with no policy permission uses a key through a grant, within its
operations and encryption-context constraints; grants are listed, retired (by token, by the
retiring principal) and revoked; `kms:GrantOperations` limits who may grant what; S3 honours a
grant for SSE-KMS."""

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY

ACCT = "111122223333"


def code(e):
    return e.value.response["Error"]["Code"]


def new_user(server, policy=None):
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    name = f"grantee-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    arn = f"arn:aws:iam::{ACCT}:user/{name}"
    return arn, lambda service: server.client_for(k["AccessKeyId"], k["SecretAccessKey"], service=service)


def test_grant_lifecycle_and_constraints(server):
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    key = kms.create_key()["KeyMetadata"]
    bob_arn, bob = new_user(server)
    alice_arn, alice = new_user(server, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:ListRetirableGrants", "Resource": "*"}]})
    bob_kms = bob("kms")
    with pytest.raises(ClientError) as e:
        bob_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "payroll"})
    assert code(e) == "AccessDeniedException"
    g = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=bob_arn, RetiringPrincipal=alice_arn,
                         Operations=["Encrypt", "Decrypt", "GenerateDataKey"], Name="payroll",
                         Constraints={"EncryptionContextSubset": {"app": "payroll"}})
    assert len(g["GrantId"]) == 64 and g["GrantToken"]
    ct = bob_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"salary", EncryptionContext={"app": "payroll", "m": "11"},
                         GrantTokens=[g["GrantToken"]])["CiphertextBlob"]
    assert bob_kms.decrypt(CiphertextBlob=ct, EncryptionContext={"app": "payroll", "m": "11"})["Plaintext"] == b"salary"
    # Outside the constraint, or an operation the grant does not list: refused.
    for call in (lambda: bob_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
                 lambda: bob_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "hr"}),
                 lambda: bob_kms.describe_key(KeyId=key["KeyId"]),
                 lambda: bob_kms.disable_key(KeyId=key["KeyId"])):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "AccessDeniedException"
    listed = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert [(x["GrantId"], x["GranteePrincipal"], x["RetiringPrincipal"], x["Name"]) for x in listed] == \
        [(g["GrantId"], bob_arn, alice_arn, "payroll")]
    assert listed[0]["Constraints"] == {"EncryptionContextSubset": {"app": "payroll"}}
    assert sorted(listed[0]["Operations"]) == ["Decrypt", "Encrypt", "GenerateDataKey"]
    retirable = alice("kms").list_retirable_grants(RetiringPrincipal=alice_arn)["Grants"]
    assert [x["GrantId"] for x in retirable] == [g["GrantId"]]
    # The grantee may not retire it (no RetireGrant in the grant); the retiring principal may.
    with pytest.raises(ClientError) as e:
        bob_kms.retire_grant(GrantToken=g["GrantToken"])
    assert code(e) == "AccessDeniedException"
    alice("kms").retire_grant(KeyId=key["Arn"], GrantId=g["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    with pytest.raises(ClientError) as e:
        bob_kms.decrypt(CiphertextBlob=ct, EncryptionContext={"app": "payroll", "m": "11"})
    assert code(e) == "AccessDeniedException"
    # EncryptionContextEquals, retired by the grantee's token; RevokeGrant by the key's admin.
    g2 = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=bob_arn, Operations=["Encrypt", "RetireGrant"],
                          Constraints={"EncryptionContextEquals": {"app": "payroll"}})
    bob_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "payroll"})
    with pytest.raises(ClientError):
        bob_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "payroll", "m": "1"})
    bob_kms.retire_grant(GrantToken=g2["GrantToken"])
    g3 = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=bob_arn, Operations=["DescribeKey"])
    assert bob_kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=g3["GrantId"])
    with pytest.raises(ClientError):
        bob_kms.describe_key(KeyId=key["Arn"])
    with pytest.raises(ClientError) as e:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=g3["GrantId"])
    assert code(e) == "NotFoundException"
    with pytest.raises(ClientError) as e:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=bob_arn, Operations=["Fly"])
    assert code(e) == "ValidationException"


def test_grant_operations_condition_and_s3(server):
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    key = kms.create_key()["KeyMetadata"]
    # Carol may grant Decrypt only.
    _, carol = new_user(server, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": key["Arn"],
         "Condition": {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt"]}}}]})
    dave_arn, dave = new_user(server, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"}]})
    carol("kms").create_grant(KeyId=key["Arn"], GranteePrincipal=dave_arn, Operations=["Decrypt"])
    with pytest.raises(ClientError) as e:
        carol("kms").create_grant(KeyId=key["Arn"], GranteePrincipal=dave_arn, Operations=["Decrypt", "Encrypt"])
    assert code(e) == "AccessDeniedException"
    # Through S3: dave's grant covers Decrypt but not GenerateDataKey.
    s3 = server.client()
    bucket = f"grants-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    dave_s3 = dave("s3")
    with pytest.raises(ClientError) as e:
        dave_s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert code(e) == "AccessDenied"
    s3.put_object(Bucket=bucket, Key="k", Body=b"by root", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert dave_s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"by root"
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=dave_arn, Operations=["GenerateDataKey"])
    dave_s3.put_object(Bucket=bucket, Key="k2", Body=b"by dave", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert s3.get_object(Bucket=bucket, Key="k2")["Body"].read() == b"by dave"
    # An explicit deny in the key policy beats a grant.
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": dave_arn}, "Action": "kms:Decrypt", "Resource": "*"}]}))
    with pytest.raises(ClientError) as e:
        dave_s3.get_object(Bucket=bucket, Key="k")
    assert code(e) == "AccessDenied"
    # An S3 bucket policy/IAM refusal is separate; root still reads.
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"by root"
