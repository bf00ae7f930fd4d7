"""The kit's HTTP transport and the environment: proxies and CA bundle apply, ~/.netrc and
cookies never; one kept-alive connection per origin, renewed when the server closes it;
answers decoded and bounded.

Where `requests` would behave otherwise, a plain `requests.Session` does the same first,
so the test is seen to be able to fail.
"""

from __future__ import annotations

import gzip
import shutil
import ssl
import subprocess
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests

from mjspec.conform.session import one_line
from mjspec.conform.transport import AnswerTooLarge, BoundedTransport, TransportError
from tests.helpers_http import Reply, stub_server

PATH = "/mj/task/list-by-condition"


def _transport(max_bytes: int = 1024) -> BoundedTransport:
    return BoundedTransport(deadline=10, max_bytes=max_bytes, connect_timeout=3)


def _post(url: str, body: dict[str, list[str]] | None = None) -> requests.PreparedRequest:
    return requests.Request("POST", url, json={"ids": []} if body is None else body).prepare()


def test_netrc_credentials_are_never_sent_to_a_server_under_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password s3cret-from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    with stub_server(Reply()) as stub, requests.Session() as plain, _transport() as kit:
        plain.post(stub.base_url + PATH, json={"ids": []}, timeout=10)
        kit.send(_post(stub.base_url + PATH))
    by_plain, by_kit = (seen.headers.get("authorization") for seen in stub.requests)
    assert by_plain is not None and by_plain.startswith("Basic ")  # requests reads ~/.netrc
    assert by_kit is None


def test_the_environments_proxy_carries_the_requests_unless_no_proxy_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = f"http://mj.example.invalid{PATH}"
    with stub_server(Reply()) as stub:
        proxy = stub.base_url
        for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.replace("http://", "http://user:pa%20ss@"))
        with _transport() as kit:
            answer = kit.send(_post(target, {"ids": ["1"]}))
        assert answer.content == b"[]"
        assert [(seen.method, seen.path) for seen in stub.requests] == [("POST", target)]
        assert stub.requests[0].headers["proxy-authorization"] == "Basic dXNlcjpwYSBzcw=="
        monkeypatch.setenv("NO_PROXY", "mj.example.invalid")
        with _transport() as kit:
            assert kit.environment(target)[0] is None


def test_the_environment_is_read_once_per_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with _transport() as kit:
        first = kit.environment("https://a.example/x")
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9999")
        again = kit.environment("https://a.example/y")
        other = kit.environment("https://b.example/x")
    assert first == again == ("127.0.0.1:3128", "/etc/ssl/certs/ca-certificates.crt")
    assert other[0] == "127.0.0.1:9999"


def test_a_proxy_the_transport_cannot_use_is_one_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "socks5://127.0.0.1:1080")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with _transport() as kit, pytest.raises(TransportError, match="only http:// proxies"):
        kit.send(_post(f"http://mj.example.invalid{PATH}"))


@contextmanager
def _server(handle: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class _Cookies(BaseHTTPRequestHandler):
    """Sets a session cookie on every answer; keeps each request's Cookie header."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[str | None]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append(self.headers.get("Cookie"))
        self.send_response(200)
        self.send_header("Set-Cookie", "session=granted; Path=/")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_cookie_a_server_sets_is_never_sent_back() -> None:
    """A session cookie from one answer would let the next probe (without credentials)
    pass for an authenticated one."""
    _Cookies.seen = []
    with _server(_Cookies) as base_url:
        with requests.Session() as plain:
            for _ in range(2):
                plain.post(base_url + PATH, json={"ids": []}, timeout=10)
        with _transport() as kit:
            for _ in range(2):
                kit.send(_post(base_url + PATH))
    assert _Cookies.seen == [None, "session=granted", None, None]


def test_one_connection_is_kept_per_origin_and_renewed_when_the_server_closes_it() -> None:
    with stub_server(Reply()) as stub, _transport() as kit:
        for _ in range(3):
            assert kit.send(_post(stub.base_url + PATH)).status == 200
        assert stub.closed_connections == 0  # three requests, one connection, still open
        stub.serve(Reply(drop=True))
        with pytest.raises(TransportError):
            kit.send(_post(stub.base_url + PATH))  # the server closes it without an answer
        stub.serve(Reply(body=b'[{"id": "1"}]'))
        assert kit.send(_post(stub.base_url + PATH)).content == b'[{"id": "1"}]'


class _Coded(BaseHTTPRequestHandler):
    """Answers a JSON body in the Content-Encoding the path names (`/gzip`, `/deflate`,
    `/raw-deflate`, `/br`)."""

    protocol_version = "HTTP/1.1"
    body = b'[{"id": "1", "prompt": "' + b"x" * 5000 + b'"}]'

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        coding = self.path.strip("/")
        if coding == "gzip":
            data = gzip.compress(self.body)
        elif coding == "deflate":
            data = zlib.compress(self.body)
        elif coding == "raw-deflate":
            squeeze = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            data, coding = squeeze.compress(self.body) + squeeze.flush(), "deflate"
        else:
            data = self.body  # a coding the transport does not undo: left as it came
        self.send_response(200)
        self.send_header("Content-Encoding", coding)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br"])
def test_an_encoded_answer_is_decoded_and_its_decoded_size_bounded(coding: str) -> None:
    with _server(_Coded) as base_url:
        with _transport(max_bytes=10_000) as kit:
            assert kit.send(_post(f"{base_url}/{coding}")).content == _Coded.body
        if coding == "br":
            return
        with _transport(max_bytes=1_000) as kit, pytest.raises(AnswerTooLarge, match="1000"):
            kit.send(_post(f"{base_url}/{coding}"))  # a few hundred bytes on the wire


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a certificate of its own; (base URL, the cert)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a certificate with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, check=False, timeout=60,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"openssl cannot make a certificate here: {made.stderr[-200:]!r}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Cookies)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_https_is_verified_against_the_environments_ca_bundle(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, cert = tls_server
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with _transport() as kit, pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
        kit.send(_post(base_url + PATH))  # certifi's authorities do not know it
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with _transport() as kit:
        assert [kit.send(_post(base_url + PATH)).status for _ in range(2)] == [200, 200]


class _Short(BaseHTTPRequestHandler):
    """Declares a longer body than it sends, then closes the connection."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_answer_cut_short_is_no_answer_said_in_one_line() -> None:
    with _server(_Short) as base_url, _transport() as kit, pytest.raises(TransportError) as cut:
        kit.send(_post(base_url + PATH))
    assert one_line(cut.value) == "the answer ended before its declared length"
