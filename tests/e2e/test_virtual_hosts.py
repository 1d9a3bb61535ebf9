"""Virtual-hosted–style addressing (issue 9 §7): with `--domain`, BUCKET.DOMAIN is that
bucket, and SDKs at their default settings (boto3 virtual, the JS SDK v3) work; a Host that
names neither the endpoint nor a bucket under a domain is refused instead of being read as
path style. Name resolution of the test domain is the tests' own (127.0.0.1)."""
import json
import os
import socket
import subprocess
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import rawsig
from conftest import ACCESS_KEY, ROOT, SECRET_KEY, Server

DOMAIN = "coffer.test"


@pytest.fixture(scope="module")
def vserver(tmp_root):
    s = Server(tmp_root / f"vhost-{uuid.uuid4().hex[:6]}", extra_env={"COFFER_DOMAIN": DOMAIN}).start()
    yield s
    s.stop()


@pytest.fixture
def resolve_test_domain(monkeypatch):
    real = socket.getaddrinfo

    def fake(host, *args, **kw):
        if isinstance(host, str) and (host == DOMAIN or host.endswith("." + DOMAIN)):
            host = "127.0.0.1"
        return real(host, *args, **kw)
    monkeypatch.setattr(socket, "getaddrinfo", fake)


def client(server, style):
    return boto3.client("s3", endpoint_url=f"http://{DOMAIN}:{server.port}", aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                        config=Config(s3={"addressing_style": style}, retries={"max_attempts": 1}))


def test_boto3_virtual_and_path_style(vserver, resolve_test_domain):
    b = f"vh-{uuid.uuid4().hex[:10]}"
    v = client(vserver, "virtual")
    seen = []
    v.meta.events.register("before-send.s3.*", lambda request, **_: seen.append(request.url))
    v.create_bucket(Bucket=b)
    v.put_object(Bucket=b, Key="a/b.txt", Body=b"virtual")
    assert v.get_object(Bucket=b, Key="a/b.txt")["Body"].read() == b"virtual"
    assert [o["Key"] for o in v.list_objects_v2(Bucket=b)["Contents"]] == ["a/b.txt"]
    assert all(f"//{b}.{DOMAIN}:" in u for u in seen), seen
    url = v.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "a/b.txt"})
    assert f"//{b}.{DOMAIN}:" in url and requests.get(url).content == b"virtual"
    # The apex takes path style, and both address the same bucket.
    p = client(vserver, "path")
    assert p.get_object(Bucket=b, Key="a/b.txt")["Body"].read() == b"virtual"
    # IP addresses stay path style.
    assert vserver.client().get_object(Bucket=b, Key="a/b.txt")["Body"].read() == b"virtual"
    # A browser form to the bucket's host, and a large object (not a bucket document).
    post = v.generate_presigned_post(b, "forms/${filename}", ExpiresIn=300)
    assert f"//{b}.{DOMAIN}:" in post["url"]
    r = requests.post(post["url"], data=post["fields"], files={"file": ("f.txt", b"form")}, timeout=30)
    assert r.status_code in (200, 204), r.text
    assert v.get_object(Bucket=b, Key="forms/f.txt")["Body"].read() == b"form"
    v.put_object(Bucket=b, Key="big", Body=b"x" * (3 << 20))
    r = v.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in ("a/b.txt", "forms/f.txt", "big")]})
    assert len(r["Deleted"]) == 3
    v.delete_bucket(Bucket=b)


def test_unknown_hosts_are_refused(vserver, server):
    for srv in (vserver, server):
        sg = rawsig.Signer(srv.endpoint, ACCESS_KEY, SECRET_KEY)
        # The Host is signed as sent: `photos.localhost` is neither endpoint nor under a domain.
        sg.host = f"photos.localhost:{srv.port}"
        r = sg.request("PUT", "/newkey", body=b"")
        assert r.status_code == 400 and "<Code>InvalidRequest</Code>" in r.text, r.text
        r = sg.request("GET", "/")
        assert r.status_code == 400, r.text
        # Nothing was created from the key.
        with pytest.raises(ClientError):
            srv.client().head_bucket(Bucket="newkey")
    sg = rawsig.Signer(vserver.endpoint, ACCESS_KEY, SECRET_KEY)
    sg.host = f"other.example:{vserver.port}"
    assert sg.request("GET", "/").status_code == 400
    # localhost and IPs are always the endpoint.
    sg.host = f"localhost:{vserver.port}"
    assert sg.request("GET", "/").status_code == 200


def test_js_sdk_v3_at_its_defaults(vserver):
    js = ROOT / "tests" / "e2e" / "js"
    env = dict(os.environ, ENDPOINT=f"http://{DOMAIN}:{vserver.port}", AWS_ACCESS_KEY_ID=ACCESS_KEY,
               AWS_SECRET_ACCESS_KEY=SECRET_KEY, BUCKET=f"js-{uuid.uuid4().hex[:10]}")
    env.pop("AWS_CA_BUNDLE", None)
    r = subprocess.run(["node", str(js / "sdk_check.mjs")], cwd=js, env=env, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    out = json.loads(r.stdout)
    assert "error" not in out, out
    steps = dict(s if isinstance(s, list) else (s, None) for s in out["steps"])
    assert steps["get"] == "hello from js" and steps["head"] == 13
    assert steps["list"] == ["big", "dir/hello.txt"] and steps["buckets"] is True
    assert "cleanup" in steps


def test_rust_sdk_at_its_defaults(vserver):
    """The AWS SDK for Rust (tests/sdk-rust, built by scripts/test.sh into its own target
    directory): virtual-hosted style and request checksums, as it comes."""
    binary = ROOT / "target" / "sdk-rust" / "release" / "coffer-sdk-rust-check"
    assert binary.exists(), "scripts/test.sh builds tests/sdk-rust first"
    env = dict(os.environ, ENDPOINT=f"http://{DOMAIN}:{vserver.port}", AWS_ACCESS_KEY_ID=ACCESS_KEY,
               AWS_SECRET_ACCESS_KEY=SECRET_KEY, BUCKET=f"rs-{uuid.uuid4().hex[:10]}")
    r = subprocess.run([str(binary)], env=env, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    assert r.stdout.decode().split("\n") == ["create", "put", "get hello from rust", "list 1", "cleanup", ""]


def test_boto3_at_its_defaults(vserver, server, resolve_test_domain):
    """No Config at all: botocore picks virtual hosting for a DNS endpoint and path style for
    an IP one, and its default checksums (CRC32 trailers) on writes."""
    for endpoint in (f"http://{DOMAIN}:{vserver.port}", server.endpoint):
        c = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY,
                         aws_secret_access_key=SECRET_KEY, region_name="us-east-1")
        b = f"def-{uuid.uuid4().hex[:10]}"
        c.create_bucket(Bucket=b)
        c.put_object(Bucket=b, Key="k", Body=b"defaults")
        assert c.get_object(Bucket=b, Key="k", ChecksumMode="ENABLED")["Body"].read() == b"defaults"
        c.upload_fileobj(__import__("io").BytesIO(os.urandom(9 << 20)), b, "big")
        assert c.head_object(Bucket=b, Key="big")["ContentLength"] == 9 << 20
        c.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k"}, {"Key": "big"}]})
        c.delete_bucket(Bucket=b)
