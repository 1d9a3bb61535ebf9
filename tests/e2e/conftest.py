"""End-to-end fixtures: a real `coffer server` on a free port with a temp data dir, driven by
the real aws CLI and boto3 (both pinned in requirements.txt)."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("COFFER_BIN", ROOT / "target" / "debug" / "coffer"))
ACCESS_KEY = "AKIAE2ETESTROOT00001"
SECRET_KEY = "e2e-secret-key/with+symbols0123456789AB"
ROOT_KEY_B64 = "Y29mZmVyLWUyZS1yb290LWtleS0zMi1ieXRlcyEhISE="  # 32 bytes, test only
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One coffer process over one data directory; can be killed and restarted."""

    def __init__(self, data_dir, extra_env=None):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.tls_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.https_endpoint = f"https://127.0.0.1:{self.tls_port}"
        self.extra_env = extra_env or {}
        self.proc = None
        self.log = self.data_dir.parent / f"server-{self.port}.log"
        self.start_args = []

    def env(self):
        env = dict(os.environ)
        env.update(
            COFFER_ROOT_ACCESS_KEY=ACCESS_KEY,
            COFFER_ROOT_SECRET_KEY=SECRET_KEY,
            COFFER_ROOT_KEY=ROOT_KEY_B64,
            COFFER_ACCOUNT_ID="111122223333",
        )
        env.update(self.extra_env)
        return env

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [str(BIN), "server", "--data", str(self.data_dir), "--listen", f"127.0.0.1:{self.port}",
             "--tls-listen", f"127.0.0.1:{self.tls_port}", "--region", REGION, *self.start_args],
            stdout=subprocess.PIPE, stderr=logf, env=self.env(),
        )
        deadline = time.time() + 30
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            lines.append(line)
            if line.strip() == "Ready.":
                self.banner = "".join(lines)
                return self
        raise RuntimeError(f"server did not start: {''.join(lines)} {self.log.read_text()}")

    def move_clock(self, seconds):
        """Moves a `--test-clock` server's clock to `seconds` from the wall clock."""
        import urllib.request
        req = urllib.request.Request(
            f"{self.endpoint}/_coffer/test-clock?offset-ms={int(seconds * 1000)}", method="PUT")
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def coffer(self, *args):
        """Runs a `coffer` admin command against this server's data directory."""
        r = subprocess.run([str(BIN), *args, "--data", str(self.data_dir)], env=self.env(),
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"coffer {' '.join(args)} failed: {r.stderr.decode()}")
        return r.stdout.decode()

    def new_account(self, email=None):
        """`coffer account create`: (account id, root access key, root secret key)."""
        import re
        out = self.coffer("account", "create", *(["--email", email] if email else []))
        acct = re.search(r"Account (\d{12}) created", out).group(1)
        ak = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", out).group(1)
        sk = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", out).group(1)
        return acct, ak, sk

    def client_for(self, access_key, secret_key, service="s3", https=False, **config):
        cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config)
        endpoint = self.https_endpoint if https else self.endpoint
        verify = str(self.data_dir / "tls" / "cert.pem") if https else None
        return boto3.client(service, endpoint_url=endpoint, aws_access_key_id=access_key,
                            aws_secret_access_key=secret_key, region_name=REGION, config=cfg, verify=verify)

    def client(self, **config):
        cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config)
        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, region_name=REGION, config=cfg,
        )

    def aws(self, *args, check=True, input=None, https=False):
        """Runs the real aws CLI (from the venv) against this server (`https`: over TLS,
        trusting the server's self-signed certificate)."""
        env = self.env()
        env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                   AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        aws = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "aws"
        endpoint = ["--endpoint-url", self.https_endpoint if https else self.endpoint]
        if https:
            endpoint += ["--ca-bundle", str(self.data_dir / "tls" / "cert.pem")]
        r = subprocess.run([str(aws), *endpoint, *args], env=env,
                           capture_output=True, input=input, timeout=600)
        if check and r.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {r.stderr.decode()}")
        return r

    def rclone(self, *args, check=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
        """Runs Debian's rclone (scripts/setup-test-env.sh) with a remote `coffer:` here."""
        env = dict(os.environ)
        # rclone can't take a CA bundle over plain HTTP (and needs none here).
        env.pop("AWS_CA_BUNDLE", None)
        env.update(RCLONE_CONFIG="/dev/null", RCLONE_CONFIG_COFFER_TYPE="s3",
                   RCLONE_CONFIG_COFFER_PROVIDER="Other", RCLONE_CONFIG_COFFER_ENDPOINT=self.endpoint,
                   RCLONE_CONFIG_COFFER_ACCESS_KEY_ID=access_key,
                   RCLONE_CONFIG_COFFER_SECRET_ACCESS_KEY=secret_key,
                   RCLONE_CONFIG_COFFER_REGION=REGION)
        r = subprocess.run(["rclone", "--retries", "1", "--low-level-retries", "1", *args],
                           env=env, capture_output=True, timeout=300)
        if check and r.returncode != 0:
            raise AssertionError(f"rclone {' '.join(args)} failed: {r.stderr.decode()}")
        return r

    def s3cmd(self, *args, check=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
        """Runs Debian's s3cmd against this server (path-style, plain HTTP)."""
        cfg = self.data_dir.parent / f"s3cmd-{self.port}-{access_key}.cfg"
        host = f"127.0.0.1:{self.port}"
        cfg.write_text("[default]\n"
                       f"access_key = {access_key}\nsecret_key = {secret_key}\n"
                       f"host_base = {host}\nhost_bucket = {host}\n"
                       f"bucket_location = {REGION}\nuse_https = False\nsignature_v2 = False\n")
        r = subprocess.run(["s3cmd", "-c", str(cfg), *args], capture_output=True, timeout=300)
        if check and r.returncode != 0:
            raise AssertionError(f"s3cmd {' '.join(args)} failed: {r.stdout.decode()}{r.stderr.decode()}")
        return r


@pytest.fixture(scope="session")
def tmp_root():
    d = tempfile.mkdtemp(prefix="coffer-e2e-")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def server(tmp_root):
    s = Server(tmp_root / "shared-data").start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def s3(server):
    return server.client()


@pytest.fixture
def bucket(s3):
    name = f"b-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def timed_server(tmp_root):
    """A server of its own whose clock the test moves (`--test-clock`)."""
    s = Server(tmp_root / f"data-{uuid.uuid4().hex[:8]}")
    s.start_args = ["--test-clock"]
    s.start()
    yield s
    s.stop()


@pytest.fixture
def fresh_server(tmp_root):
    """A server of its own, for tests that kill or tamper with it."""
    s = Server(tmp_root / f"data-{uuid.uuid4().hex[:8]}").start()
    yield s
    s.stop()
