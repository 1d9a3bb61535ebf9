#!/usr/bin/env bash
# Installs the pinned real clients the end-to-end tests use: Debian's rclone and s3cmd (as
# root, or through sudo), the AWS SDK for JavaScript v3 (npm ci, from package-lock.json), and
# .venv with the aws CLI, boto3 and pytest. Idempotent: installs only what is missing or
# changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# The JS SDK, exactly as package-lock.json pins it.
js="$root/tests/e2e/js"
js_stamp="$js/node_modules/.lock.sha256"
js_want="$(sha256sum "$js/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$js_stamp" || "$(cat "$js_stamp")" != "$js_want" ]]; then
  npm ci --prefix "$js" --no-audit --no-fund --loglevel=error >/dev/null
  echo "$js_want" > "$js_stamp"
fi

# Debian packages, pinned to bookworm's versions.
debs=(rclone=1.60.1+dfsg-2+b5 s3cmd=2.3.0-1)
missing=()
for d in "${debs[@]}"; do
  name="${d%%=*}" version="${d#*=}"
  have="$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)"
  [[ "$have" == "$version" ]] || missing+=("$d")
done
if ((${#missing[@]})); then
  sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv="$root/.venv"
req="$root/tests/e2e/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
