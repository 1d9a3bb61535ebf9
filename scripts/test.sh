#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit/integration tests, then the end-to-end
# suite against the real binary with the real aws CLI and boto3 (installed into .venv by
# scripts/setup-test-env.sh, pinned).
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
./scripts/setup-test-env.sh
command -v curl >/dev/null || { echo "curl is required for the presigned URL tests"; exit 1; }
COFFER_BIN="$PWD/target/debug/coffer" .venv/bin/python -m pytest -q tests/e2e "$@"
