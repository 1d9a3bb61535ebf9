"""Denial of service on loopback, bounded in time and count: idle and trickling connections
are closed, stalled bodies fail with RequestTimeout, a listener full of idle sockets still
serves health checks and real requests, and nothing an unauthenticated client sends grows
memory without bound."""

import concurrent.futures
import http.client
import os
import secrets
import socket
import time
import uuid

import pytest
import requests

from conftest import Server


def rss_mib(server):
    for line in open(f"/proc/{server.proc.pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\0" * 8)
    return s


def closed_by_server(s, wait):
    """True once the server has closed `s` (EOF or reset) within `wait` seconds."""
    s.settimeout(wait)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def healthy(server, timeout=5):
    return requests.get(f"{server.endpoint}/health/live", timeout=timeout).status_code == 200


@pytest.fixture
def tight_server(tmp_root):
    s = Server(tmp_root / f"dos-{uuid.uuid4().hex[:8]}")
    s.start_args = ["--idle-timeout", "2", "--body-timeout", "2", "--max-connections", "3000"]
    s.start()
    yield s
    s.stop()


def test_slowloris_and_idle_connections_are_closed(tight_server):
    base = rss_mib(tight_server)
    slow = []
    for _ in range(1000):
        s = connect(tight_server.port)
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")  # never finished
        slow.append(s)
    idle = [connect(tight_server.port) for _ in range(500)]
    # Held by thousands of slow clients, the server still answers.
    assert healthy(tight_server)
    for s in slow[:50]:
        s.sendall(b"X-Trickle: 1\r\n")
    assert rss_mib(tight_server) - base < 150
    # Within the idle timeout (2 s here) both kinds are closed by the server.
    deadline = time.time() + 10
    for s in slow + idle:
        assert closed_by_server(s, max(0.1, deadline - time.time())), "a connection outlived the timeout"
        s.close()
    # A keep-alive connection left idle after a request is closed too.
    c = connect(tight_server.port)
    c.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
    assert c.recv(4096).startswith(b"HTTP/1.1 200")
    assert closed_by_server(c, 6)
    c.close()


def test_a_silent_tls_client_is_closed(tight_server):
    """A TLS connection that never sends its ClientHello does not hold a slot for ever."""
    held = [connect(tight_server.tls_port) for _ in range(200)]
    half = connect(tight_server.tls_port)
    half.sendall(b"\x16\x03\x01\x00\xa5")  # the first bytes of a ClientHello, then nothing
    deadline = time.time() + 10
    for s in held + [half]:
        assert closed_by_server(s, max(0.1, deadline - time.time()))
        s.close()


def test_a_full_listener_still_serves(tight_server, tmp_path):
    # More idle sockets than the connection limit (3000 here): the idlest give way.
    held = []
    for _ in range(4200):
        held.append(connect(tight_server.port))
    for _ in range(5):
        assert healthy(tight_server)
    s3 = tight_server.client()
    s3.create_bucket(Bucket="full")
    s3.put_object(Bucket="full", Key="k", Body=b"still here")
    assert s3.get_object(Bucket="full", Key="k")["Body"].read() == b"still here"
    for s in held:
        s.close()


def test_a_stalled_body_gets_request_timeout(tight_server):
    import datetime
    import rawsig
    from conftest import ACCESS_KEY, SECRET_KEY
    tight_server.client().create_bucket(Bucket="stall")
    signer = rawsig.Signer(tight_server.endpoint, ACCESS_KEY, SECRET_KEY)
    h, *_ = signer._sign("PUT", "/stall/k", [], {"content-length": "100000"}, "UNSIGNED-PAYLOAD",
                         datetime.datetime.now(datetime.timezone.utc))
    s = connect(tight_server.port)
    head = "PUT /stall/k HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    s.sendall(head.encode() + b"x" * 1000)
    s.settimeout(10)
    start = time.time()
    reply = b""
    try:
        while b"</Error>" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    assert b"400" in reply.split(b"\r\n")[0] and b"RequestTimeout" in reply, reply
    assert time.time() - start < 8
    assert closed_by_server(s, 5)
    s.close()
    # Nothing was stored and nothing was left behind.
    with pytest.raises(Exception):
        tight_server.client().head_object(Bucket="stall", Key="k")
    assert os.listdir(tight_server.data_dir / "objects" / "tmp") == []


def test_unknown_access_keys_do_not_grow_memory(server):
    def burst(n):
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for i in range(n):
            # Ids of AWS's shape and far longer ones (which no lookup should ever see).
            ak = "AKIA" + secrets.token_hex(30 if i % 2 else 2000).upper()
            c.request("GET", "/some-bucket", headers={
                # Today's scope, so that the request gets as far as the key lookup.
                "Authorization": f"AWS4-HMAC-SHA256 Credential={ak}/{time.strftime('%Y%m%d', time.gmtime())}"
                                 "/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
                "x-amz-date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
                "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
            r = c.getresponse()
            r.read()
            if r.getheader("connection", "").lower() == "close":
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            assert r.status == 403
        c.close()

    burst(2000)  # warm up
    before = rss_mib(server)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(burst, [2500] * 8))
    # (Before unknown ids stopped being cached this grew ~20 MiB; it must stay flat.)
    assert rss_mib(server) - before < 8, "20,000 unknown access key ids grew the server"
    # The server still knows the real ones.
    assert server.client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
