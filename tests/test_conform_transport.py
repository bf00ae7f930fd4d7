"""The kit's HTTP session and the environment: proxies and CA bundle apply, ~/.netrc never.

Each test has a plain `requests.Session` do the same first, where it differs, so the test
is seen to be able to fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from mjspec.conform.transport import BoundedSession
from tests.helpers_http import Reply, stub_server


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
    with stub_server(Reply()) as stub, requests.Session() as plain, _session() as kit:
        plain.post(stub.base_url + "/mj/task/list-by-condition", json={"ids": []}, timeout=10)
        kit.post(stub.base_url + "/mj/task/list-by-condition", json={"ids": []})
    by_plain, by_kit = (seen.headers.get("authorization") for seen in stub.requests)
    assert by_plain is not None and by_plain.startswith("Basic ")  # requests reads ~/.netrc
    assert by_kit is None


def test_the_environments_proxy_carries_the_requests_unless_no_proxy_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = "http://mj.example.invalid/mj/task/list-by-condition"
    with stub_server(Reply()) as stub:
        proxy = stub.base_url
        for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        with _session() as kit:
            answer = kit.post(target, json={"ids": ["1"]})
        assert answer.json() == []
        assert [(seen.method, seen.path) for seen in stub.requests] == [("POST", target)]
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
