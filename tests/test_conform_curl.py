"""Reproductions run as printed: the exact bytes, the credential from `$MJSPEC_TOKEN`.

Each curl line is run by a real shell and a real curl against a loopback server that
records what arrived.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mjspec.conform import Settings, run
from mjspec.conform.curl import render
from mjspec.conform.output import shorten
from tests.conform_servers import TASK_IDS, Reply, serve
from tests.helpers_conform import checkout_profiles

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
TOKEN = "sk-curl-5e6f7a8b9c0d"
PROFILES = checkout_profiles()


@contextmanager
def recorder() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    seen: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll, so that shutdown() returns at once rather than after half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/mj/task/list-by-condition", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def shell(command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MJSPEC_TOKEN": TOKEN}
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=env, timeout=30, check=False
    )


BODIES = {
    "json": b'{"ids": ["1730621826053455", "it\'s"]}',
    "non-ascii": '{"ids": ["任务-ü-🙂"]}'.encode(),
    "a NUL byte": b'{"ids": ["a\x00b"]}',
    "invalid UTF-8": b'{"ids": ["\xff\xfe"]}',
    "control and percent": b'{"ids": ["%s\\\\n\x01\r\n"]}',
}


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_a_printed_reproduction_sends_exactly_the_same_bytes(body: bytes) -> None:
    with recorder() as (url, seen):
        command = render(
            "POST",
            url,
            {"Content-Type": "application/json", "User-Agent": "x"},
            body,
            credentials=[("mj-api-secret", "$MJSPEC_TOKEN")],
        )
        assert TOKEN not in command
        done = shell(command)
        assert done.returncode == 0, done.stderr
    headers, received = seen[0]
    assert received == body
    assert headers["mj-api-secret"] == TOKEN
    assert headers["content-type"] == "application/json"


def test_the_reproductions_of_a_run_run_as_printed_and_show_the_same_answer() -> None:
    def fail_on_many(reply: Reply) -> Reply:
        if len(reply.ids) > 20:
            reply.status, reply.body = 500, {"error": "too many"}
        return reply

    with serve(fail_on_many, token=TOKEN) as server:
        report = run(
            Settings(
                spec=PROFILES["doc"].document,
                base_url=server.base_url,
                task_ids=tuple(TASK_IDS),
                token=TOKEN,
                profiles=(PROFILES["doc"],),
                max_examples=1,  # the probe of many ids is the one that fails
                seed=2,
            )
        )
        failing = [f for f in report.failures if f.check == "server_error"]
        assert failing and failing[0].reproduce
        command = failing[0].reproduce
        assert TOKEN not in json.dumps(report.as_dict())
        assert '"Authorization: Bearer $MJSPEC_TOKEN"' in command
        done = shell(command + " -s -o /dev/null -w '%{http_code}'")
    assert done.stdout == "500", (command, done.stdout, done.stderr)
    # Long in the report, short in the terminal.
    assert len(command) > 1000
    assert len(shorten(command)) < 500
    assert "the whole command is in the --report-json" in shorten(command)
