"""MFA Delete (seed 000): the bucket owner's root user, holding a virtual MFA device, turns it
on with a real TOTP code over HTTPS; from then on destroying a version and suspending
versioning need a fresh code, while enabling versioning, plain deletes (delete markers) and
listing versions do not. Codes are computed here from the device's seed; the server's clock
is moved 30 s between them (`--test-clock`), so no test waits for a TOTP step."""

import base64
import hashlib
import hmac
import json
import struct
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY

STEP = 30


def totp(seed_b32, step):
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


class RootDevice:
    """The root user's virtual MFA device and the server clock its codes are read against."""

    def __init__(self, server):
        self.server = server
        iam = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
        dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"root-{uuid.uuid4().hex[:6]}")["VirtualMFADevice"]
        self.serial = dev["SerialNumber"]
        self.seed = dev["Base32StringSeed"].decode()
        self.offset = 0
        now = int(time.time()) // STEP
        raw = server.client_for(ACCESS_KEY, SECRET_KEY, service="iam", parameter_validation=False)
        raw.enable_mfa_device(SerialNumber=self.serial, AuthenticationCode1=totp(self.seed, now - 2),
                              AuthenticationCode2=totp(self.seed, now - 1))

    def header(self):
        """`SERIAL CODE` with the code of the next step (the server's clock moves there)."""
        self.offset += STEP
        self.server.move_clock(self.offset)
        return f"{self.serial} {totp(self.seed, (int(time.time()) + self.offset) // STEP)}"


def test_seed000_mfa_delete(timed_server):
    srv = timed_server
    s3 = srv.client_for(ACCESS_KEY, SECRET_KEY, https=True)
    b = f"mfa-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=b)
    device = RootDevice(srv)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
    s3.put_object(Bucket=b, Key="k", Body=b"two")
    # Turning MFA Delete on needs a valid code.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    assert err(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=b, MFA=f"{device.serial} 000000",
                                 VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    assert err(e) == ("AccessDenied", 403)
    assert "MFADelete" not in s3.get_bucket_versioning(Bucket=b)
    code = device.header()
    s3.put_bucket_versioning(Bucket=b, MFA=code,
                             VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    v = s3.get_bucket_versioning(Bucket=b)
    assert (v["Status"], v["MFADelete"]) == ("Enabled", "Enabled")
    # Destroying a version: refused without a code, with a wrong one and with a used one.
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="k", VersionId=v1)
    assert err(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="k", VersionId=v1, MFA=code)  # replayed
    assert err(e) == ("AccessDenied", 403)
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k", "VersionId": v1}]})
    assert [(x["Key"], x["Code"]) for x in r["Errors"]] == [("k", "AccessDenied")]
    assert s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read() == b"one"
    # What MFA Delete leaves alone: plain deletes (a marker), listing, re-enabling.
    marker = s3.delete_object(Bucket=b, Key="k")
    assert marker["DeleteMarker"] is True
    assert len(s3.list_object_versions(Bucket=b)["Versions"]) == 2
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    # With a fresh code the version goes.
    s3.delete_object(Bucket=b, Key="k", VersionId=v1, MFA=device.header())
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k", VersionId=v1)
    assert err(e) == ("NoSuchVersion", 404)
    # Suspending versioning: refused without a code, done with one.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    assert err(e) == ("AccessDenied", 403)
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=b, MFA=device.header(), VersioningConfiguration={"Status": "Suspended"})
    v = s3.get_bucket_versioning(Bucket=b)
    assert (v["Status"], v["MFADelete"]) == ("Suspended", "Enabled")
    # The aws CLI, as seed 000 runs it: --mfa "SERIAL CODE".
    vid = s3.list_object_versions(Bucket=b)["Versions"][0]["VersionId"]
    r = srv.aws("s3api", "delete-object", "--bucket", b, "--key", "k", "--version-id", vid, check=False, https=True)
    assert r.returncode != 0 and b"AccessDenied" in r.stderr
    srv.aws("s3api", "delete-object", "--bucket", b, "--key", "k", "--version-id", vid,
            "--mfa", device.header(), https=True)
    # Turning it off needs a code too.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Disabled"})
    assert err(e) == ("AccessDenied", 403)
    s3.put_bucket_versioning(Bucket=b, MFA=device.header(),
                             VersioningConfiguration={"Status": "Enabled", "MFADelete": "Disabled"})
    assert s3.get_bucket_versioning(Bucket=b)["MFADelete"] == "Disabled"
    s3.delete_object(Bucket=b, Key="k", VersionId=marker["VersionId"])


def test_mfa_delete_is_the_root_users_and_needs_https(timed_server):
    srv = timed_server
    s3 = srv.client_for(ACCESS_KEY, SECRET_KEY, https=True)
    b = f"mfa-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=b)
    device = RootDevice(srv)
    # The header over plain HTTP is refused.
    with pytest.raises(ClientError) as e:
        srv.client().put_bucket_versioning(Bucket=b, MFA=device.header(),
                                           VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    assert err(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=b, MFA="no-space-here",
                                 VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    assert err(e) == ("InvalidRequest", 400)
    s3.put_bucket_versioning(Bucket=b, MFA=device.header(),
                             VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    vid = s3.put_object(Bucket=b, Key="k", Body=b"x")["VersionId"]
    # An IAM user allowed everything, sending the root's valid code, still cannot.
    iam = srv.client_for(ACCESS_KEY, SECRET_KEY, service="iam")
    name = f"admin{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    admin = srv.client_for(k["AccessKeyId"], k["SecretAccessKey"], https=True)
    with pytest.raises(ClientError) as e:
        admin.delete_object(Bucket=b, Key="k", VersionId=vid, MFA=device.header())
    assert err(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        admin.put_bucket_versioning(Bucket=b, MFA=device.header(), VersioningConfiguration={"Status": "Suspended"})
    assert err(e) == ("AccessDenied", 403)
    assert admin.delete_object(Bucket=b, Key="k")["DeleteMarker"] is True
    assert s3.get_object(Bucket=b, Key="k", VersionId=vid)["Body"].read() == b"x"
    # MFA Delete survives a restart.
    srv.stop()
    srv.start()
    srv.move_clock(device.offset)
    s3 = srv.client_for(ACCESS_KEY, SECRET_KEY, https=True)
    assert s3.get_bucket_versioning(Bucket=b)["MFADelete"] == "Enabled"
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="k", VersionId=vid)
    assert err(e) == ("AccessDenied", 403)
