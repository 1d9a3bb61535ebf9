"""Role trust policies and KMS key policies are gates, not grants: an identity policy alone
never lets a principal assume a role or use a key. For keys, identity policies count only
where the key policy delegates to the account (as the default key policy does); for roles,
only where the trust policy names the account. Same account and across accounts; grants
still work; an explicit deny wins everywhere."""

import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY

ACCT = "111122223333"


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def uniq(p):
    return f"{p}-{uuid.uuid4().hex[:8]}"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def new_user(server, iam, name, *identity_statements):
    iam.create_user(UserName=name)
    if identity_statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*identity_statements))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return lambda service: server.client_for(k["AccessKeyId"], k["SecretAccessKey"], service=service)


@pytest.fixture(scope="module")
def other_account(server):
    out = server.coffer("account", "create")
    acct = re.search(r"Account (\d{12}) created", out).group(1)
    ak = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", out).group(1)
    sk = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", out).group(1)
    return acct, server.client_for(ak, sk, service="iam")


def trust_for(principal, condition=None):
    st = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return doc(st)


def make_role(iam, trust):
    name = uniq("Gate")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    return f"arn:aws:iam::{ACCT}:role/{name}"


def test_identity_policy_alone_never_assumes_a_role(server):
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    alice_name = uniq("alice")
    alice = new_user(server, iam, alice_name, allow("sts:AssumeRole"))("sts")
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    # The trust policy names alice but demands MFA: her sts:AssumeRole on * does not bypass it.
    role = make_role(iam, trust_for(f"arn:aws:iam::{ACCT}:user/{alice_name}", mfa))
    with pytest.raises(ClientError) as e:
        alice.assume_role(RoleArn=role, RoleSessionName="s1")
    assert err(e) == ("AccessDenied", 403)
    # A trust policy naming somebody else entirely.
    bob_name = uniq("bob")
    new_user(server, iam, bob_name)
    role = make_role(iam, trust_for(f"arn:aws:iam::{ACCT}:user/{bob_name}"))
    with pytest.raises(ClientError) as e:
        alice.assume_role(RoleArn=role, RoleSessionName="s1")
    assert err(e) == ("AccessDenied", 403)
    # Naming the user directly is enough within the account: bob has no identity policy.
    bob_key = iam.create_access_key(UserName=bob_name)["AccessKey"]
    bob = server.client_for(bob_key["AccessKeyId"], bob_key["SecretAccessKey"], service="sts")
    assert bob.assume_role(RoleArn=role, RoleSessionName="s1")["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_trust_naming_the_account_delegates_to_iam(server):
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    for named in (f"arn:aws:iam::{ACCT}:root", ACCT):
        role = make_role(iam, trust_for(named))
        plain = new_user(server, iam, uniq("plain"))("sts")
        with pytest.raises(ClientError) as e:
            plain.assume_role(RoleArn=role, RoleSessionName="s1")
        assert err(e) == ("AccessDenied", 403)
        allowed = new_user(server, iam, uniq("allowed"), allow("sts:AssumeRole", role))("sts")
        allowed.assume_role(RoleArn=role, RoleSessionName="s1")
        # An explicit deny in the identity policy wins over the delegating trust.
        denied = new_user(server, iam, uniq("denied"), allow("sts:AssumeRole"),
                          {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": role})("sts")
        with pytest.raises(ClientError) as e:
            denied.assume_role(RoleArn=role, RoleSessionName="s1")
        assert err(e) == ("AccessDenied", 403)
    # Root credentials never assume a role, as AWS.
    root_sts = server.client_for(ACCESS_KEY, SECRET_KEY, service="sts")
    with pytest.raises(ClientError) as e:
        root_sts.assume_role(RoleArn=role, RoleSessionName="s1")
    assert err(e) == ("AccessDenied", 403)


def test_trust_policy_across_accounts(server, other_account):
    other, other_iam = other_account
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    carol_name = uniq("carol")
    carol = new_user(server, other_iam, carol_name, allow("sts:AssumeRole"))("sts")
    dave = new_user(server, other_iam, uniq("dave"))("sts")
    for named in (f"arn:aws:iam::{other}:root", f"arn:aws:iam::{other}:user/{carol_name}"):
        role = make_role(iam, trust_for(named))
        creds = carol.assume_role(RoleArn=role, RoleSessionName="x1")["Credentials"]
        assert creds["AccessKeyId"].startswith("ASIA")
        # Dave's account does not allow him, whatever the trust says.
        with pytest.raises(ClientError) as e:
            dave.assume_role(RoleArn=role, RoleSessionName="x1")
        assert err(e) == ("AccessDenied", 403)
    # A role that trusts only its own account is closed to carol despite her sts:AssumeRole on *.
    role = make_role(iam, trust_for(f"arn:aws:iam::{ACCT}:root"))
    with pytest.raises(ClientError) as e:
        carol.assume_role(RoleArn=role, RoleSessionName="x1")
    assert err(e) == ("AccessDenied", 403)


def key_policy(*statements):
    return doc(*statements)


def key_user_statement(principal, actions=("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*")):
    return {"Sid": "KeyUser", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": list(actions), "Resource": "*"}


IAM_DELEGATION = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "kms:*", "Resource": "*"}


def test_key_policy_is_a_gate(server, bucket):
    iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    root_kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    keyuser_name = uniq("keyuser")
    keyuser = new_user(server, iam, keyuser_name)
    admin = new_user(server, iam, uniq("admin"), allow("kms:*"), allow("s3:*"))
    policy = key_policy(key_user_statement(f"arn:aws:iam::{ACCT}:user/{keyuser_name}"))
    # KMS's lockout safety check: root could not manage this key any more.
    with pytest.raises(ClientError) as e:
        root_kms.create_key(Policy=policy)
    assert err(e) == ("MalformedPolicyDocumentException", 400)
    key = root_kms.create_key(Policy=policy, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    ct = keyuser("kms").encrypt(KeyId=key["Arn"], Plaintext=b"named directly")["CiphertextBlob"]
    assert keyuser("kms").decrypt(CiphertextBlob=ct)["Plaintext"] == b"named directly"
    # kms:* in IAM does not open a key whose policy does not delegate to IAM.
    admin_kms = admin("kms")
    for call in (lambda: admin_kms.encrypt(KeyId=key["Arn"], Plaintext=b"x"),
                 lambda: admin_kms.decrypt(CiphertextBlob=ct),
                 lambda: admin_kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256"),
                 lambda: root_kms.decrypt(CiphertextBlob=ct)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("AccessDeniedException", 400)
    # Nor through S3: SSE-KMS with that key needs kms:GenerateDataKey from the key policy.
    with pytest.raises(ClientError) as e:
        admin("s3").put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert err(e) == ("AccessDenied", 403)
    # Root really is locked out of that key now: it cannot even change the policy back.
    with pytest.raises(ClientError) as e:
        root_kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(IAM_DELEGATION))
    assert err(e) == ("AccessDeniedException", 400)
    # A grant still allows what no policy does: keyuser may grant on a key whose policy
    # lets it, and the grantee (admin, refused above) then uses the key.
    admin_arn = admin("sts").get_caller_identity()["Arn"]
    key2 = root_kms.create_key(Policy=key_policy(key_user_statement(
        f"arn:aws:iam::{ACCT}:user/{keyuser_name}", ("kms:Encrypt", "kms:Decrypt", "kms:CreateGrant"))),
        BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    with pytest.raises(ClientError) as e:
        admin_kms.encrypt(KeyId=key2["Arn"], Plaintext=b"x")
    assert err(e) == ("AccessDeniedException", 400)
    keyuser("kms").create_grant(KeyId=key2["KeyId"], GranteePrincipal=admin_arn, Operations=["Encrypt", "Decrypt"])
    ct2 = admin_kms.encrypt(KeyId=key2["Arn"], Plaintext=b"via grant")["CiphertextBlob"]
    assert admin_kms.decrypt(CiphertextBlob=ct2)["Plaintext"] == b"via grant"
    # With the IAM-delegation statement, identity policies count again.
    key3 = root_kms.create_key(Policy=key_policy(IAM_DELEGATION, key_user_statement(
        f"arn:aws:iam::{ACCT}:user/{keyuser_name}")))["KeyMetadata"]
    assert admin_kms.decrypt(CiphertextBlob=admin_kms.encrypt(KeyId=key3["Arn"], Plaintext=b"d")["CiphertextBlob"])["Plaintext"] == b"d"
    admin("s3").put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key3["Arn"])
    # ... and a user without an identity allow is refused under delegation alone.
    plain = new_user(server, iam, uniq("plain"))("kms")
    with pytest.raises(ClientError) as e:
        plain.encrypt(KeyId=key3["Arn"], Plaintext=b"x")
    assert err(e) == ("AccessDeniedException", 400)
    # An explicit deny in IAM wins over a key policy naming the user directly.
    iam.put_user_policy(UserName=keyuser_name, PolicyName="deny", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}))
    with pytest.raises(ClientError) as e:
        keyuser("kms").decrypt(CiphertextBlob=ct)
    assert err(e) == ("AccessDeniedException", 400)


def test_key_policy_across_accounts(server, other_account):
    other, other_iam = other_account
    root_kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    erin_name = uniq("erin")
    erin = new_user(server, other_iam, erin_name)("kms")
    frank = new_user(server, other_iam, uniq("frank"), allow("kms:*"))("kms")
    key = root_kms.create_key(Policy=key_policy(IAM_DELEGATION, key_user_statement(
        f"arn:aws:iam::{other}:user/{erin_name}")))["KeyMetadata"]
    # Named by the key policy but not allowed by her own account: refused.
    with pytest.raises(ClientError) as e:
        erin.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert err(e) == ("AccessDeniedException", 400)
    other_iam.put_user_policy(UserName=erin_name, PolicyName="p", PolicyDocument=doc(allow(["kms:Encrypt", "kms:Decrypt"], key["Arn"])))
    ct = erin.encrypt(KeyId=key["Arn"], Plaintext=b"cross")["CiphertextBlob"]
    assert erin.decrypt(CiphertextBlob=ct)["Plaintext"] == b"cross"
    # Allowed by his account but not named by the key policy (which delegates only to ACCT).
    with pytest.raises(ClientError) as e:
        frank.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert err(e) == ("AccessDeniedException", 400)
    # A key policy naming the other account delegates to that account's IAM.
    key2 = root_kms.create_key(Policy=key_policy(IAM_DELEGATION, key_user_statement(f"arn:aws:iam::{other}:root")))["KeyMetadata"]
    frank.encrypt(KeyId=key2["Arn"], Plaintext=b"x")
    with pytest.raises(ClientError) as e:
        new_user(server, other_iam, uniq("gina"))("kms").encrypt(KeyId=key2["Arn"], Plaintext=b"x")
    assert err(e) == ("AccessDeniedException", 400)
