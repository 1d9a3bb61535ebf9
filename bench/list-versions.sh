#!/usr/bin/env bash
# ListObjectVersions stays a range scan: the time of one page follows its size, not the
# number of versions in the bucket. Starts a release server on a fresh data directory, fills
# a bucket with 1,000 versions and one with 100,000 (5 versions each of 20,000 keys, by
# `coffer bench --versioning`), then times pages of each (median of 20 requests).
# Usage: bench/list-versions.sh   (after `cargo build --release`; needs the test venv)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${COFFER_BIN:-target/release/coffer}
PORT=${PORT:-9700}
D=$(mktemp -d)
trap 'kill $PID 2>/dev/null; rm -rf "$D"' EXIT
export COFFER_ROOT_ACCESS_KEY=AKIABENCHVERSIONS001 COFFER_ROOT_SECRET_KEY=bench-versions-secret
export COFFER_ROOT_KEY=Y29mZmVyLWUyZS1yb290LWtleS0zMi1ieXRlcyEhISE=
"$BIN" server --data "$D" --listen 127.0.0.1:$PORT --tls-listen 127.0.0.1:$((PORT+1)) --kms-quota off >"$D/out" 2>"$D/err" &
PID=$!
for _ in $(seq 100); do grep -q Ready. "$D/out" 2>/dev/null && break; sleep 0.2; done
fill() { # bucket keys rounds
  for _ in $(seq "$3"); do
    AWS_ACCESS_KEY_ID=$COFFER_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$COFFER_ROOT_SECRET_KEY \
      "$BIN" bench --endpoint http://127.0.0.1:$PORT --bucket "$1" --versioning --large-count 0 \
      --small-count "$2" --small-size 16 >/dev/null
  done
}
fill v1k 200 5
fill v100k 20000 5
.venv/bin/python - "$PORT" <<'PY'
import statistics, sys, time
import boto3
from botocore.config import Config
port = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                  aws_access_key_id="AKIABENCHVERSIONS001", aws_secret_access_key="bench-versions-secret",
                  config=Config(s3={"addressing_style": "path"}))
def median_ms(**kw):
    ts = []
    for _ in range(20):
        t = time.perf_counter(); s3.list_object_versions(**kw); ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000
print(f"{'bucket':<8} {'versions':>8} {'page':>5} {'first page ms':>14} {'middle page ms':>15}")
for b, n, middle in (("v1k", 1000, "small/100"), ("v100k", 100000, "small/5000")):
    for page in (100, 1000):
        first = median_ms(Bucket=b, Prefix="small/", MaxKeys=page)
        mid = median_ms(Bucket=b, Prefix="small/", MaxKeys=page, KeyMarker=middle)
        print(f"{b:<8} {n:>8} {page:>5} {first:>14.2f} {mid:>15.2f}")
PY
