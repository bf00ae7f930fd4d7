"""Every user mistake is one clear line on stderr and exit 2, never a traceback, and every
command prints it the same way (`mjspec: error: ...`).

Each case runs the installed command in a subprocess, from a temporary directory, as a
user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "openapi.yaml"
BAD_TYPE = """\
openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    X: {type: strin}
"""

BAD_POINTER = "#/components/schemas/X/type"
CASES = [
    (["conform", "--spec", "{bad}", "--base-url", "http://127.0.0.1:1"], BAD_POINTER),
    (["conform", "--base-url", "http://127.0.0.1:1/?page=2"], "has a query string"),
    (["conform", "--base-url", "http://127.0.0.1:99999"], "Port out of range"),
    (["conform", "--base-url", "ftp://127.0.0.1:1"], "must start with http"),
    (["conform", "--base-url", "http://me:pw-secret@127.0.0.1:1"], "carries credentials"),
    (["conform", "--base-url", "http://no-such-host.invalid", "--task-id", "1"], "cannot resolve"),
    (["conform", "--base-url", "http://127.0.0.1:1", "--task-id", "1"], "connection refused"),
    (["conform", "--request-timeout", "0"], "--request-timeout"),
    (["conform", "--max-response-bytes", "lots"], "not a whole number"),
    (["conform", "--profile", "nope", "--base-url", "http://127.0.0.1:1"], "unknown profile"),
    (["conform", "--report-json", "/nonexistent/dir/r.json"], "no such directory"),
    (["generate", "--spec", "{bad}", "--check"], BAD_POINTER),
    (["generate", "--spec", "no/such.yaml"], "no such file"),
    (["profiles", "--spec", "{bad}"], BAD_POINTER),
    (["serve", "--port", "99999"], "--port must be from 0 to 65535"),
    (["serve", "--tasks", "{notjson}", "--port", "0"], "not JSON at line 1, column 2"),
    (["serve", "--profile", "nope"], "unknown profile"),
    (
        [
            "record",
            "--base-url",
            "http://no-such-host.invalid",
            "--task-id",
            "1",
            "--output",
            "o.json",
        ],
        "cannot resolve",
    ),
    (
        ["record", "--base-url", "http://127.0.0.1:1/?k=v", "--task-id", "1", "--output", "o.json"],
        "query",
    ),
    (["bogus"], "invalid choice"),
]


@pytest.mark.parametrize(("argv", "said"), CASES, ids=[" ".join(a[:3]) for a, _ in CASES])
def test_a_mistake_is_one_line_and_exit_2(argv: list[str], said: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_TYPE, "utf-8")
    not_json = tmp_path / "tasks.json"
    not_json.write_text("{not json", "utf-8")
    argv = [arg.replace("{bad}", str(bad)).replace("{notjson}", str(not_json)) for arg in argv]
    env = {k: v for k, v in os.environ.items() if k != "MJSPEC_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "mjspec.cli", *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mjspec: error: ")  # one format, whatever the command
    assert said in lines[0]
    assert "pw-secret" not in done.stdout + done.stderr  # a password in a URL is never shown
