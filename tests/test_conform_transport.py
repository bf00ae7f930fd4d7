"""The kit's HTTP transport and the environment: proxies and CA bundle apply, ~/.netrc and
cookies never; one kept-alive connection per origin, renewed when the server closes it;
answers decoded and bounded.

Where `requests` would behave otherwise, a plain `requests.Session` does the same first,
so the test is seen to be able to fail.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import random
import shutil
import socket
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from mjspec.conform import transport
from mjspec.conform.session import one_line
from mjspec.conform.transport import AnswerTooLarge, AnswerTooSlow, BoundedTransport, TransportError
from tests.helpers_http import Reply, stub_server, wait_until

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
def _server(
    handle: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None
) -> Iterator[str]:
    """A server on 127.0.0.1 answering with `handle`, over TLS with `tls`; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handle)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
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


class _Counting(BaseHTTPRequestHandler):
    """Counts the connections it accepts; answers `[]`, and with `quiet_close` closes each
    connection after its answer without saying so (no `Connection: close`)."""

    protocol_version = "HTTP/1.1"
    opened = 0
    closed = 0
    requests = 0
    quiet_close = False

    def setup(self) -> None:
        super().setup()
        type(self).opened += 1

    def finish(self) -> None:
        """Counted closed once the client can see it: the server would shut the socket
        down only after this returns, and a test that waits for the count must not send
        before the end is on the wire."""
        super().finish()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        type(self).closed += 1

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).requests += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")
        self.close_connection = type(self).quiet_close

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def counting() -> type[_Counting]:
    """A class of the test's own: a connection an earlier test's server kept open ends when
    it ends (its thread may count it closed later, under load after this test began)."""

    class Counting(_Counting):
        opened = closed = requests = 0
        quiet_close = False

    return Counting


def test_one_connection_is_kept_per_origin(counting: type[_Counting]) -> None:
    with _server(counting) as base_url, _transport() as kit:
        for _ in range(3):
            assert kit.send(_post(base_url + PATH)).status == 200
    assert (counting.opened, counting.requests) == (1, 3)


def test_a_kept_connection_the_server_closed_is_renewed_before_the_request(
    counting: type[_Counting], monkeypatch: pytest.MonkeyPatch
) -> None:
    counting.quiet_close = True
    sent: list[object] = []
    request = BoundedTransport._request

    def recording(self: BoundedTransport, route: Any, connection: Any, prepared: Any) -> Any:
        sent.append(connection)
        return request(self, route, connection, prepared)

    monkeypatch.setattr(BoundedTransport, "_request", recording)
    with _server(counting) as base_url, _transport() as kit:
        for _ in range(3):
            assert kit.send(_post(base_url + PATH)).status == 200
            assert wait_until(lambda: counting.closed == counting.opened)  # closed on its side
    assert (counting.opened, counting.requests) == (3, 3)
    assert len(sent) == len(set(map(id, sent))) == 3  # never sent on the closed one


def test_a_kept_connection_found_closed_on_sending_is_renewed_once(
    counting: type[_Counting], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server closes between the check and the request: sent again on a new one."""
    counting.quiet_close = True
    monkeypatch.setattr(transport, "_dropped", lambda connection: False)
    with _server(counting) as base_url, _transport() as kit:
        assert kit.send(_post(base_url + PATH)).status == 200
        assert wait_until(lambda: counting.closed == 1)  # the server's side is shut down
        assert kit.send(_post(base_url + PATH)).status == 200
    assert (counting.opened, counting.requests) == (2, 2)


def test_a_server_that_closes_without_an_answer_is_no_answer_and_the_next_gets_one() -> None:
    with stub_server(Reply(drop=True)) as stub, _transport() as kit:
        with pytest.raises(TransportError) as dropped:
            kit.send(_post(stub.base_url + PATH))
        assert one_line(dropped.value) == "the server closed the connection without an answer"
        stub.serve(Reply(body=b'[{"id": "1"}]'))
        assert kit.send(_post(stub.base_url + PATH)).content == b'[{"id": "1"}]'


def test_a_connection_slower_than_the_deadline_sends_nothing(
    counting: type[_Counting], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller gives up while the connection opens (DNS, a handshake, a CONNECT): the
    worker closes the connection it then gets instead of sending the request on it."""
    connect = http.client.HTTPConnection.connect

    def slow(self: http.client.HTTPConnection) -> None:
        time.sleep(0.6)
        connect(self)

    monkeypatch.setattr(http.client.HTTPConnection, "connect", slow)
    with _server(counting) as base_url:
        kit = BoundedTransport(deadline=0.2, max_bytes=1024, connect_timeout=3)
        with pytest.raises(AnswerTooSlow):
            kit.send(_post(base_url + PATH))
        # the connection the worker got too late ends without a request on it
        assert wait_until(lambda: counting.closed == 1)
    assert counting.requests == 0


class _Early(BaseHTTPRequestHandler):
    """Answers 413 after the request's head, without reading its body, and closes."""

    def do_POST(self) -> None:
        self.send_response(413)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "19")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b'{"error": "length"}')
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_answer_given_before_the_body_was_read_is_the_answer() -> None:
    with _server(_Early) as base_url, _transport() as kit:
        answer = kit.send(_post(base_url + PATH, {"ids": ["x" * 1000] * 5000}))
    assert (answer.status, answer.content) == (413, b'{"error": "length"}')


class _Coded(BaseHTTPRequestHandler):
    """Answers a JSON body in the Content-Encoding the path names (`/gzip`, `/deflate`,
    `/raw-deflate`, `/br`)."""

    protocol_version = "HTTP/1.1"
    body = b'[{"id": "1", "prompt": "' + b"x" * 5000 + b'"}]'

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        coding = self.path.strip("/")
        if coding == "gzip-members":  # one body as two gzip members, sent in chunks
            half = len(self.body) // 2
            data = gzip.compress(self.body[:half]) + gzip.compress(self.body[half:])
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(data), 100):
                piece = data[start : start + 100]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
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


@pytest.mark.parametrize("coding", ["gzip", "gzip-members", "deflate", "raw-deflate", "br"])
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
    with _server(_Cookies, context) as base_url:
        yield base_url, cert


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


def _decode(data: bytes, codings: str, *, limit: int = 10**6, cut: int = 7) -> bytes:
    """What `_read` makes of a body arriving `cut` bytes at a time."""
    decoders = transport._decoders(codings)
    out = b""
    pieces = [data[start : start + cut] for start in range(0, len(data), cut)] + [b""]
    for piece in pieces:
        for decoder in decoders:
            piece = decoder.feed(piece, limit, last=not piece)
            if decoder.produced > limit:
                raise AnswerTooLarge("over")
        out += piece
    for decoder in decoders:
        decoder.finished()
    return out


BODY = b'[{"id": "1", "prompt": "' + bytes(range(32, 127)) * 40 + b'"}]'


@pytest.mark.parametrize("cut", [1, 7, 100, 10_000])
def test_a_gzip_body_decodes_whole_at_any_read_boundary(cut: int) -> None:
    half = len(BODY) // 2
    members = gzip.compress(BODY[:half]) + gzip.compress(BODY[half:])
    assert _decode(members, "gzip", cut=cut) == BODY
    assert _decode(gzip.compress(BODY) + b"\0" * 20, "gzip", cut=cut) == BODY  # padding
    assert _decode(gzip.compress(zlib.compress(BODY)), "deflate, gzip", cut=cut) == BODY
    assert _decode(b"", "gzip", cut=cut) == b""


def test_a_body_cut_inside_its_stream_or_broken_after_its_start_is_no_answer() -> None:
    with pytest.raises(TransportError, match="ends inside its gzip stream"):
        _decode(gzip.compress(BODY)[:-30], "gzip")
    with pytest.raises(TransportError, match="ends inside its gzip stream"):
        _decode(gzip.compress(BODY[:100]) + gzip.compress(BODY[100:])[:-30], "gzip")
    broken = bytearray(zlib.compress(BODY))
    broken[40:60] = b"\xff" * 20
    with pytest.raises((zlib.error, TransportError)):
        _decode(bytes(broken), "deflate")  # not read again as raw deflate from its middle


def test_each_codings_stream_counts_against_the_limit_not_cut_silently() -> None:
    """Twice gzipped: the inner stream (a little larger than the body, which does not
    compress) is read whole or refused, never cut short before its checksum."""
    body = random.Random(0).randbytes(10_000)
    inner = gzip.compress(body)
    assert len(inner) > len(body)
    twice = gzip.compress(inner)
    assert _decode(twice, "gzip, gzip", limit=len(inner)) == body
    with pytest.raises(AnswerTooLarge):
        _decode(twice, "gzip, gzip", limit=len(inner) - 1)


def test_a_ca_folder_and_a_bad_proxy_port_are_taken_as_requests_takes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(transport._tls_context(str(tmp_path)), ssl.SSLContext)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:port")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with _transport() as kit, pytest.raises(TransportError, match="not a port number"):
        kit.send(_post(f"http://mj.example.invalid{PATH}"))


@pytest.mark.parametrize(
    ("proxy", "said"),
    [
        ("http://u:pw-s3cret@127.0.0.1:port", "port is not a port number: http://u:***@"),
        ("http://u:pw-s3cret@[oops", "is not a URL: Invalid IPv6 URL"),
    ],
    ids=["a bad port", "not a URL"],
)
def test_a_proxy_url_that_does_not_parse_is_one_error_without_its_password(
    monkeypatch: pytest.MonkeyPatch, proxy: str, said: str
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with _transport() as kit, pytest.raises(TransportError) as caught:
        kit.send(_post(f"http://mj.example.invalid{PATH}"))
    assert said in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_every_request_accepts_only_the_codings_the_transport_decodes() -> None:
    """A raw probe as `requests` would send it, and a case whatever modules `requests`
    finds installed (with brotli, its default would name br)."""
    from mjspec.conform.session import Session
    from mjspec.masking import Masker

    with stub_server(Reply()) as stub, _transport() as kit:
        session = Session(
            http=kit,
            base_url=stub.base_url,
            path=PATH,
            headers={},
            credentials={},
            masker=Masker(None),
        )
        assert session.raw("POST", {}, {}, body={"ids": []}) is not None
    (seen,) = stub.requests
    assert seen.headers["accept-encoding"] == transport.ACCEPTED == "gzip, deflate"
    assert seen.headers["user-agent"].startswith("python-requests/")


def test_the_deadline_decides_even_when_the_caller_wakes_late(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a loaded machine the caller may wake after its deadline: the worker's own socket
    timeout must not have fired first and turned the deadline into 'timed out'."""
    join = threading.Thread.join

    def late(self: threading.Thread, timeout: float | None = None) -> None:
        if self.name == "mjspec-request" and timeout is not None:
            time.sleep(timeout + 0.3)
            timeout = 0
        join(self, timeout)

    monkeypatch.setattr(threading.Thread, "join", late)
    with stub_server(Reply(delay=5)) as stub:
        kit = BoundedTransport(deadline=0.3, max_bytes=1024, connect_timeout=3)
        with pytest.raises(AnswerTooSlow):
            kit.send(_post(stub.base_url + PATH))


def test_a_generated_case_accepts_only_the_codings_decoded_whatever_requests_would_say(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """schemathesis sends `requests`' default headers, whose Accept-Encoding names br and
    zstd when their modules are installed: the kit sends what it decodes instead."""
    from schemathesis.transport import prepare

    from mjspec.conform import Settings, run
    from tests.helpers_conform import checkout_profiles

    monkeypatch.setitem(prepare.get_default_headers(), "Accept-Encoding", "gzip, br, zstd")
    spec = checkout_profiles()["doc"].document
    with stub_server(Reply()) as stub:
        run(Settings(spec=spec, base_url=stub.base_url, max_examples=1, seed=1))
    cases = [seen for seen in stub.requests if "x-schemathesis-testcaseid" in seen.headers]
    assert len(cases) > 5
    assert {seen.headers.get("accept-encoding") for seen in cases} == {transport.ACCEPTED}
