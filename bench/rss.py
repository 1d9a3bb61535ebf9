#!/usr/bin/env python3
"""Streams one large object (default 5 GiB) into and out of a release `coffer server` and
samples the server's RSS: memory must not grow with object size.

Usage: bench/rss.py [--gib 5]   (builds nothing: run `cargo build --release` first)
"""

import argparse
import datetime
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import rawsig  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
AK, SK = "AKIARSSBENCH", "rss-bench-secret"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gib", type=float, default=5.0)
    args = ap.parse_args()
    size = int(args.gib * 1024 ** 3)
    data_dir = tempfile.mkdtemp(prefix="coffer-rss-")
    port = 9311
    env = dict(os.environ, COFFER_ROOT_ACCESS_KEY=AK, COFFER_ROOT_SECRET_KEY=SK)
    proc = subprocess.Popen([os.path.join(ROOT, "target/release/coffer"), "server", "--data", data_dir,
                             "--listen", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        while proc.stdout.readline().strip() != b"Ready.":
            pass
        signer = rawsig.Signer(f"http://127.0.0.1:{port}", AK, SK)
        assert signer.request("PUT", "/rss").status_code == 200
        samples = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(rss_kib(proc.pid))
                time.sleep(0.1)

        base = rss_kib(proc.pid)
        t = threading.Thread(target=sample)
        t.start()
        h, *_ = signer._sign("PUT", "/rss/big", [], {"content-length": str(size)}, "UNSIGNED-PAYLOAD",
                             datetime.datetime.now(datetime.timezone.utc))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.putrequest("PUT", "/rss/big", skip_host=True, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        conn.endheaders()
        chunk = os.urandom(1024 * 1024)
        t0 = time.time()
        sent = 0
        while sent < size:
            n = min(len(chunk), size - sent)
            conn.send(chunk[:n])
            sent += n
        resp = conn.getresponse()
        resp.read()
        put_s = time.time() - t0
        assert resp.status == 200, resp.status
        put_peak = max(samples)
        h, *_ = signer._sign("GET", "/rss/big", [], {}, "UNSIGNED-PAYLOAD", datetime.datetime.now(datetime.timezone.utc))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.putrequest("GET", "/rss/big", skip_host=True, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        t0 = time.time()
        got = 0
        while True:
            b = resp.read(1024 * 1024)
            if not b:
                break
            got += len(b)
        get_s = time.time() - t0
        assert got == size, (got, size)
        stop.set()
        t.join()
        peak = max(samples)
        print(f"object: {size / 1024 ** 3:.2f} GiB")
        print(f"RSS before: {base / 1024:.1f} MiB, peak during PUT: {put_peak / 1024:.1f} MiB, "
              f"peak overall: {peak / 1024:.1f} MiB, growth: {(peak - base) / 1024:.1f} MiB")
        print(f"PUT {size / put_s / 1e6:.0f} MB/s, GET {size / get_s / 1e6:.0f} MB/s")
        if (peak - base) / 1024 >= 100:
            print("FAIL: RSS grew by 100 MiB or more")
            sys.exit(1)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
