"""The kit's HTTP session and the environment: proxies and CA bundle apply, ~/.netrc never.

Each test has a plain `requests.Session` do the same first, where it differs, so the test
is seen to be able to fail.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from mjspec.conform.transport import BoundedSession


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers `[]` to everything, keeping each request line and Authorization header."""

    seen: list[tuple[str, str | None]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.requestline, self.headers.get("Authorization")))
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _recording() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    seen: list[tuple[str, str | None]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)


def _session() -> BoundedSession:
    return BoundedSession(deadline=10, max_bytes=1024)


def test_netrc_credentials_are_never_sent_to_a_server_under_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password s3cret-from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    with _recording() as (url, seen), requests.Session() as plain, _session() as kit:
        plain.post(url + "/mj/task/list-by-condition", json={"ids": []}, timeout=10)
        kit.post(url + "/mj/task/list-by-condition", json={"ids": []})
    [(_, by_plain), (_, by_kit)] = seen
    assert by_plain is not None and by_plain.startswith("Basic ")  # requests reads ~/.netrc
    assert by_kit is None


def test_the_environments_proxy_carries_the_requests_unless_no_proxy_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = "http://mj.example.invalid/mj/task/list-by-condition"
    with _recording() as (proxy, seen):
        for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        with _session() as kit:
            answer = kit.post(target, json={"ids": ["1"]})
        assert answer.json() == []
        assert [line for line, _ in seen] == [f"POST {target} HTTP/1.1"]
        monkeypatch.setenv("NO_PROXY", "mj.example.invalid")
        with _session() as kit:
            settings = kit.merge_environment_settings(target, {}, None, None, None)
        assert "http" not in settings["proxies"]


def test_the_environment_is_read_once_per_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with _session() as kit:
        first = kit.merge_environment_settings("https://a.example/x", {}, None, None, None)
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9999")
        again = kit.merge_environment_settings("https://a.example/y", {}, None, None, None)
        other = kit.merge_environment_settings("https://b.example/x", {}, None, None, None)
    assert first["proxies"]["https"] == again["proxies"]["https"] == "http://127.0.0.1:3128"
    assert first["verify"] == "/etc/ssl/certs/ca-certificates.crt"
    assert other["proxies"]["https"] == "http://127.0.0.1:9999"
