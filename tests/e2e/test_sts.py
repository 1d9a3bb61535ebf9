"""Seed scenario 5: a role whose trust policy requires MFA. Without MFA AssumeRole is
refused; with a valid TOTP code it is granted; the session's token is checked on every
request."""

import base64
import hashlib
import hmac
import json
import struct
import time
import uuid

import pytest
from botocore.exceptions import ClientError

ACCT = "111122223333"


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def totp(seed_b32, step):
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def test_role_with_mfa_trust(server, bucket):
    from conftest import ACCESS_KEY, SECRET_KEY
    root_s3 = server.client()
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    suffix = uuid.uuid4().hex[:8]
    user, role = f"mfa-{suffix}", f"MfaRole{suffix}"
    iam.create_user(UserName=user)
    k = iam.create_access_key(UserName=user)["AccessKey"]
    user_sts = server.client_for(k["AccessKeyId"], k["SecretAccessKey"], service="sts")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-device")["VirtualMFADevice"]
    seed = dev["Base32StringSeed"].decode()
    serial = dev["SerialNumber"]
    now = int(time.time()) // 30
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, now - 2),
                              AuthenticationCode2=totp(seed, now - 5))
    assert err(e)[:2] == ("InvalidAuthenticationCode", 403)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, now - 2),
                          AuthenticationCode2=totp(seed, now - 1))
    assert iam.list_mfa_devices(UserName=user)["MFADevices"][0]["SerialNumber"] == serial
    root_s3.put_object(Bucket=bucket, Key="secret", Body=b"needs mfa")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/{user}"}, "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=3600)
    iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
    role_arn = f"arn:aws:iam::{ACCT}:role/{role}"

    # Without MFA: refused.
    with pytest.raises(ClientError) as e:
        user_sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert err(e)[:2] == ("AccessDenied", 403)
    assert "sts:AssumeRole" in err(e)[2]
    # A wrong code: refused.
    with pytest.raises(ClientError) as e:
        user_sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", SerialNumber=serial, TokenCode="000000" if totp(seed, now) != "000000" else "111111")
    assert err(e)[:2] == ("AccessDenied", 403)
    # Duration rules: within 900 .. MaxSessionDuration.
    code = totp(seed, int(time.time()) // 30)
    with pytest.raises(ClientError) as e:
        user_sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", SerialNumber=serial, TokenCode=code, DurationSeconds=7200)
    assert err(e)[0] == "ValidationError"
    code = totp(seed, int(time.time()) // 30 + 1)  # the next step: the last one was used up
    creds = user_sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", SerialNumber=serial, TokenCode=code,
                                 DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    remaining = creds["Expiration"].timestamp() - time.time()
    assert 800 < remaining <= 901
    # The same code twice is a replay.
    with pytest.raises(ClientError):
        user_sts.assume_role(RoleArn=role_arn, RoleSessionName="s2", SerialNumber=serial, TokenCode=code)

    import boto3
    from botocore.config import Config
    def session_client(service, token):
        return boto3.client(service, endpoint_url=server.endpoint, aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=token, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    role_s3 = session_client("s3", creds["SessionToken"])
    assert role_s3.get_object(Bucket=bucket, Key="secret")["Body"].read() == b"needs mfa"
    who = session_client("sts", creds["SessionToken"]).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCT}:assumed-role/{role}/s1"
    assert who["UserId"].startswith("AROA") and who["UserId"].endswith(":s1")
    with pytest.raises(ClientError) as e:
        role_s3.put_object(Bucket=bucket, Key="nope", Body=b"x")
    assert err(e)[:2] == ("AccessDenied", 403)
    # Temporary credentials without their token, or with another, are refused.
    for bad in (None, creds["SessionToken"][:-4] + "AAAA"):
        with pytest.raises(ClientError) as e:
            session_client("s3", bad).get_object(Bucket=bucket, Key="secret")
        assert err(e)[:2] == ("InvalidToken", 400)


def test_session_policy_narrows_and_get_session_token(server, bucket):
    from conftest import ACCESS_KEY, SECRET_KEY
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    suffix = uuid.uuid4().hex[:8]
    user, role = f"sp-{suffix}", f"Reader{suffix}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    k = iam.create_access_key(UserName=user)["AccessKey"]
    sts = server.client_for(k["AccessKeyId"], k["SecretAccessKey"], service="sts")
    # Trust naming the account delegates to IAM: the user's identity policy must allow it.
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=role, PolicyName="all", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    server.client().put_object(Bucket=bucket, Key="o", Body=b"1")
    narrow = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCT}:role/{role}", RoleSessionName="narrow", Policy=narrow)["Credentials"]
    s3 = server.client_for(c["AccessKeyId"], c["SecretAccessKey"])
    s3.meta.events.register("before-sign.s3.*", lambda request, **kw: request.headers.__setitem__("X-Amz-Security-Token", c["SessionToken"]))
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="o")
    assert "session policy" in err(e)[2] or err(e)[0] == "AccessDenied"
    # GetSessionToken: the user's own temporary credentials.
    t = sts.get_session_token(DurationSeconds=900)["Credentials"]
    import boto3
    who = boto3.client("sts", endpoint_url=server.endpoint, aws_access_key_id=t["AccessKeyId"], aws_secret_access_key=t["SecretAccessKey"],
                       aws_session_token=t["SessionToken"], region_name="us-east-1").get_caller_identity()
    assert who["Arn"] == f"arn:aws:iam::{ACCT}:user/{user}"


def test_root_user_owns_a_virtual_mfa_device(server):
    """As AWS allows: the account root creates and enables its own virtual MFA device (no
    UserName), lists it, and signs GetSessionToken with it (issue 10 §3's first step)."""
    acct, ak, sk = server.new_account()
    iam = server.client_for(ak, sk, service="iam")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="root-account-mfa-device")["VirtualMFADevice"]
    serial = dev["SerialNumber"]
    assert serial == f"arn:aws:iam::{acct}:mfa/root-account-mfa-device"
    seed = dev["Base32StringSeed"].decode()
    now = int(time.time()) // 30
    # The root user is not an IAM user: it names no UserName (botocore would insist on one).
    raw = server.client_for(ak, sk, service="iam", parameter_validation=False)
    raw.enable_mfa_device(SerialNumber=serial, AuthenticationCode1=totp(seed, now - 2),
                          AuthenticationCode2=totp(seed, now - 1))
    listed = iam.list_mfa_devices()["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial] and "UserName" not in listed[0]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert assigned[0]["User"]["Arn"] == f"arn:aws:iam::{acct}:root"
    sts = server.client_for(ak, sk, service="sts")
    # The enabling codes were the last two steps; the current one is still unused.
    code = totp(seed, now)
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    assert creds["SessionToken"]
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode=code)  # replayed
    assert err(e)[0] == "AccessDenied"
    raw.deactivate_mfa_device(SerialNumber=serial)
    assert iam.list_mfa_devices()["MFADevices"] == []
