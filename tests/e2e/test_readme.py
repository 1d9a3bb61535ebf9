"""The README's examples run as written (issue 9 §8): every block marked `<!-- example -->`,
in order, in one shell from a fresh directory, against a server on its first start there
(dev root key, generated root credentials), with `coffer` and `aws` on PATH as the README
says. Only the port differs: the README's 127.0.0.1:9000 is this test server's."""
import os
import re
import subprocess

from conftest import BIN, ROOT, Server


class FirstStart(Server):
    """A server started as a newcomer starts it: nothing configured but its port."""

    def env(self):
        env = super().env()
        for k in ("COFFER_ROOT_ACCESS_KEY", "COFFER_ROOT_SECRET_KEY", "COFFER_ROOT_KEY", "COFFER_ACCOUNT_ID"):
            env.pop(k, None)
        return env


def example_blocks(text):
    return re.findall(r"<!-- example -->\n```(sh|python)\n(.*?)```", text, flags=re.S)


def test_readme_examples_run_as_written(tmp_path):
    readme = (ROOT / "README.md").read_text()
    blocks = example_blocks(readme)
    assert len(blocks) >= 5, "the README's examples are marked <!-- example -->"
    script = ["set -euo pipefail"]
    for lang, body in blocks:
        if lang == "python":
            script.append(f"python3 - <<'PYTHON'\n{body}PYTHON")
        else:
            script.append(body)
    server = FirstStart(tmp_path / "coffer-data").start()
    try:
        text = "\n".join(script).replace("127.0.0.1:9000", f"127.0.0.1:{server.port}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("COFFER_")}
        venv = ROOT / ".venv" / "bin"
        env.update(PATH=f"{BIN.parent}:{venv}:{env['PATH']}", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null", HOME=str(tmp_path))
        r = subprocess.run(["bash", "-c", text], cwd=tmp_path, env=env, capture_output=True, timeout=300)
        out, err = r.stdout.decode(), r.stderr.decode()
        assert r.returncode == 0, f"README examples failed:\n{err}\n{out}"
        assert '"ServerSideEncryption": "AES256"' in out
        assert "hello\n" in out                        # the SSE-KMS object read back
        assert '"eventName": "Decrypt"' in out or "Decrypt" in out
        assert "DenyUnencryptedPuts" in out and "Deny" in out
        assert re.search(r"Account \d{12} created", out)
        assert "AssumedRoleUser" in out
    finally:
        server.stop()
