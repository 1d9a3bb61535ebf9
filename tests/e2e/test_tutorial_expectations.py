"""What tutorials and clients expect (issue 9 §8): AWS managed policies by ARN,
ListVirtualMFADevices, GetUser for the root user, self-copies that change only the storage
class or the metadata."""
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def iam(server):
    return server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")


def new_user(server, iam):
    name = f"t-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return name, server.client_for(k["AccessKeyId"], k["SecretAccessKey"])


def test_aws_managed_policies_attach_like_customer_ones(server, iam, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    name, user = new_user(server, iam)
    with pytest.raises(ClientError):
        user.get_object(Bucket=bucket, Key="k")
    ro = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    iam.attach_user_policy(UserName=name, PolicyArn=ro)
    assert user.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert bucket in [b["Name"] for b in user.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="k2", Body=b"x")
    assert err(e) == ("AccessDenied", 403)
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    user.put_object(Bucket=bucket, Key="k2", Body=b"x")
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert {p["PolicyName"] for p in attached} == {"AmazonS3ReadOnlyAccess", "AmazonS3FullAccess"}
    p = iam.get_policy(PolicyArn=ro)["Policy"]
    assert p["Arn"] == ro and p["AttachmentCount"] >= 1 and p["DefaultVersionId"] == "v1"
    doc = iam.get_policy_version(PolicyArn=ro, VersionId="v1")["PolicyVersion"]["Document"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert "s3:Get*" in doc["Statement"][0]["Action"]
    names = {p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert {"AdministratorAccess", "ReadOnlyAccess", "AmazonS3FullAccess", "AWSKeyManagementServicePowerUser",
            "ViewOnlyAccess", "IAMReadOnlyAccess"} <= names
    assert "AmazonS3FullAccess" not in {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert ro in {p["Arn"] for p in iam.list_policies(OnlyAttached=True)["Policies"]}
    # A path is part of the ARN.
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
    for bad in ("arn:aws:iam::aws:policy/ViewOnlyAccess", "arn:aws:iam::aws:policy/NoSuchPolicy"):
        with pytest.raises(ClientError) as e:
            iam.attach_user_policy(UserName=name, PolicyArn=bad)
        assert err(e)[0] == "NoSuchEntity"
    # AWS managed policies can't be changed or deleted.
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=ro, PolicyDocument=json.dumps(doc), SetAsDefault=True)
    assert err(e)[1] == 400
    with pytest.raises(ClientError):
        iam.delete_policy(PolicyArn=ro)
    iam.detach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    with pytest.raises(ClientError):
        user.put_object(Bucket=bucket, Key="k3", Body=b"x")
    # On a role too: AdministratorAccess.
    role = f"Admin{uuid.uuid4().hex[:6]}"
    acct = server.client_for(ACCESS_KEY, SECRET_KEY, service="sts").get_caller_identity()["Account"]
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]] == ["AdministratorAccess"]


def test_list_virtual_mfa_devices_and_root_get_user(server, iam):
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"d{uuid.uuid4().hex[:6]}")["VirtualMFADevice"]
    serial = dev["SerialNumber"]
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial in [d["SerialNumber"] for d in unassigned]
    assert serial not in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]]
    assert serial in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    me = iam.get_user()["User"]
    acct = server.client_for(ACCESS_KEY, SECRET_KEY, service="sts").get_caller_identity()["Account"]
    assert me["Arn"] == f"arn:aws:iam::{acct}:root" and me["UserId"] == acct


def test_self_copy_changing_storage_class_or_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v", Metadata={"a": "1"})
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"})
    assert err(e) == ("InvalidRequest", 400)
    s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"}, StorageClass="STANDARD_IA")
    h = s3.head_object(Bucket=bucket, Key="k")
    assert h["StorageClass"] == "STANDARD_IA" and h["Metadata"] == {"a": "1"}
    attrs = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["StorageClass"])
    assert attrs["StorageClass"] == "STANDARD_IA"
    s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"},
                   MetadataDirective="REPLACE", Metadata={"b": "2"})
    h = s3.head_object(Bucket=bucket, Key="k")
    assert h["Metadata"] == {"b": "2"} and "StorageClass" not in h  # a copy is STANDARD unless asked
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="cold", Body=b"v", StorageClass="GLACIER")
    assert err(e) == ("InvalidStorageClass", 400)
    s3.put_object(Bucket=bucket, Key="ia", Body=b"v", StorageClass="ONEZONE_IA")
    assert s3.get_object(Bucket=bucket, Key="ia")["StorageClass"] == "ONEZONE_IA"
