"""Policy-engine behaviours that differed from AWS (issue 9 §5), end to end: session
policies vs grants to the role, a Deny naming the owner's own account, condition variables
the request can't fill, ForAnyValue…IfExists on an absent key, allow-list guardrails."""
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def account_of(server, ak=ACCESS_KEY, sk=SECRET_KEY):
    return server.client_for(ak, sk, service="sts").get_caller_identity()["Account"]


def user_with(server, iam, policy):
    name = f"u-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return name, server.client_for(k["AccessKeyId"], k["SecretAccessKey"]), k


def make_role(iam, acct, policy=None):
    role = f"R{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}))
    if policy:
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=policy)
    return role


def assume(server, iam, acct, role, session_policy=None, name="s1"):
    # The root can't assume roles: a user with sts:AssumeRole does.
    _, _, k = user_with(server, iam, doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    sts = server.client_for(k["AccessKeyId"], k["SecretAccessKey"], service="sts")
    kw = {"Policy": session_policy} if session_policy else {}
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{acct}:role/{role}", RoleSessionName=name, **kw)["Credentials"]
    s3 = server.client_for(c["AccessKeyId"], c["SecretAccessKey"])
    s3.meta.events.register("before-sign.s3.*",
                            lambda request, **_: request.headers.__setitem__("X-Amz-Security-Token", c["SessionToken"]))
    return s3


def test_session_policy_limits_a_bucket_grant_to_the_role(server, s3, bucket):
    acct = account_of(server)
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    only_list = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"})
    role = make_role(iam, acct)
    sess = assume(server, iam, acct, role, session_policy=only_list)
    grant = lambda principal: s3.put_bucket_policy(Bucket=bucket, Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    grant(f"arn:aws:iam::{acct}:role/{role}")
    with pytest.raises(ClientError) as e:
        sess.get_object(Bucket=bucket, Key="k")
    assert err(e) == ("AccessDenied", 403)
    # A grant naming the session itself is not limited by the session policy.
    grant(f"arn:aws:sts::{acct}:assumed-role/{role}/s1")
    assert sess.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    # Without a session policy (or within it) the grant to the role allows.
    grant(f"arn:aws:iam::{acct}:role/{role}")
    free = assume(server, iam, acct, role, name="s2")
    assert free.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    s3.delete_bucket_policy(Bucket=bucket)


def test_deny_naming_the_owner_account_reaches_its_users(server, s3, bucket):
    acct = account_of(server)
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    _, user, _ = user_with(server, iam, doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert user.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    for principal in (acct, f"arn:aws:iam::{acct}:root"):
        s3.put_bucket_policy(Bucket=bucket, Policy=doc(
            {"Effect": "Deny", "Principal": {"AWS": principal}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
        with pytest.raises(ClientError) as e:
            user.get_object(Bucket=bucket, Key="k")
        assert err(e) == ("AccessDenied", 403)
    s3.delete_bucket_policy(Bucket=bucket)


def test_a_deny_with_an_unfillable_variable_still_denies(server, s3, bucket):
    """`StringNotEquals` against `${aws:username}`: a role session has no user name, so the
    value is null and the negated condition holds — the Deny applies."""
    acct = account_of(server)
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    s3.put_object(Bucket=bucket, Key="k", Body=b"v", Tagging="owner=alice")
    s3.put_bucket_policy(Bucket=bucket, Policy=doc(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringNotEquals": {"s3:ExistingObjectTag/owner": "${aws:username}"}}}))
    # The session's role may read anything; only the bucket's Deny stands in the way.
    role = make_role(iam, acct, doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    sess = assume(server, iam, acct, role)
    with pytest.raises(ClientError) as e:
        sess.get_object(Bucket=bucket, Key="k")
    assert err(e) == ("AccessDenied", 403)
    s3.delete_bucket_policy(Bucket=bucket)
    assert sess.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_for_any_value_if_exists_on_an_absent_key(server, bucket):
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    _, user, _ = user_with(server, iam, doc(
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
         "Condition": {"ForAnyValue:StringEqualsIfExists": {"s3:RequestObjectTagKeys": "team"}}}))
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="untagged", Body=b"x")
    assert err(e) == ("AccessDenied", 403)
    user.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="team=sec")


def test_allow_list_guardrails(server, tmp_path):
    acct, ak, sk = server.new_account()
    root = server.client_for(ak, sk)
    b = f"gl-{uuid.uuid4().hex[:10]}"
    root.create_bucket(Bucket=b)
    root.put_object(Bucket=b, Key="k", Body=b"v")
    g = tmp_path / "readonly.json"
    g.write_text(doc({"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}))
    server.coffer("guardrail", "put", "--account", acct, "--file", str(g))
    # Beside the implicit allow-all, an allow-only guardrail limits nothing.
    root.put_object(Bucket=b, Key="k2", Body=b"v")
    server.coffer("guardrail", "full-access", "--account", acct, "off")
    with pytest.raises(ClientError) as e:
        root.put_object(Bucket=b, Key="k3", Body=b"v")
    assert err(e) == ("AccessDenied", 403)
    assert root.get_object(Bucket=b, Key="k")["Body"].read() == b"v"
    assert {o["Key"] for o in root.list_objects_v2(Bucket=b)["Contents"]} == {"k", "k2"}
    # Other accounts are not touched.
    server.client().list_buckets()
    server.coffer("guardrail", "full-access", "--account", acct, "on")
    root.put_object(Bucket=b, Key="k3", Body=b"v")
