#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit/integration tests, then the end-to-end
# suite against the real binary with real clients: the aws CLI and boto3 (.venv), rclone and
# s3cmd (Debian), the AWS SDKs for JavaScript and Rust — all pinned and installed by
# scripts/setup-test-env.sh and this script.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace --quiet
echo "== end-to-end (real server, aws CLI, boto3)"
cargo build --quiet --bin coffer
# The AWS SDK for Rust drives the server in one test; it is its own workspace so the heavy
# SDK stays out of the main build (a first build takes about 3 minutes on 2 cores).
cargo build --release --quiet --locked --manifest-path tests/sdk-rust/Cargo.toml --target-dir target/sdk-rust
./scripts/setup-test-env.sh
command -v curl >/dev/null || { echo "curl is required for the presigned URL tests"; exit 1; }
COFFER_BIN="$PWD/target/debug/coffer" .venv/bin/python -m pytest -q tests/e2e "$@"
