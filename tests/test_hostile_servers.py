"""The hostile servers themselves: each misbehaves as documented and stops, leaving no thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import msgspec
import pytest

from tests.helpers_conform import hang_guard
from tests.hostile_servers import KINDS, HostileServer, Kind, hostile

GUARD = 30.0
DRIP = 0.02  # seconds between two dripped bytes

REQUEST = (
    b"POST /mj/task/list-by-condition HTTP/1.1\r\nHost: x\r\nmj-api-secret: s3cret\r\n"
    b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
)


def _exchange(
    base_url: str, *, seconds: float = 1.0, until: Callable[[bytes], bool] | None = None
) -> bytes:
    """Send REQUEST and read what comes back for at most `seconds`, until it closes or
    what came back satisfies `until`."""
    host, port = base_url.removeprefix("http://").split(":")
    received = b""
    deadline = time.monotonic() + seconds
    with socket.create_connection((host, int(port)), timeout=seconds) as sock:
        sock.sendall(REQUEST)
        while time.monotonic() < deadline and not (until and until(received)):
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
    return received


def _body_of_at_least(count: int) -> Callable[[bytes], bool]:
    return lambda got: len(got.partition(b"\r\n\r\n")[2]) >= count


def _guarded(action: Callable[[], HostileServer]) -> HostileServer:
    """Run `action`; fail (rather than hang) if it has not returned in GUARD seconds."""
    with hang_guard(GUARD, "the client's call"):
        return action()


@pytest.mark.parametrize("kind", KINDS)
def test_every_server_records_the_request_and_stops_leaving_no_thread(kind: Kind) -> None:
    before = set(threading.enumerate())

    def serve_one() -> HostileServer:
        with hostile(kind, size=10_000) as server:
            try:
                _exchange(server.base_url, seconds=0.2)
            except ConnectionResetError:
                assert kind == "reset"
        return server

    server = _guarded(serve_one)
    assert set(threading.enumerate()) <= before, "leaving the block stopped every thread"
    (seen,) = server.requests
    assert (seen.method, seen.target) == ("POST", "/mj/task/list-by-condition")
    assert seen.headers["mj-api-secret"] == "s3cret"


def test_hang_answers_nothing() -> None:
    with hostile("hang") as server:
        assert _exchange(server.base_url, seconds=0.2) == b""
        assert server.body_bytes_sent == 0


def test_drip_sends_a_json_head_then_the_body_a_byte_at_a_time() -> None:
    with hostile("drip", interval=DRIP) as server:
        received = _exchange(server.base_url, seconds=GUARD, until=_body_of_at_least(3))
    sent = server.body_bytes_sent  # final once the server stopped
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Type: application/json" in head
    assert b"Content-Length: 1000000" in head
    assert body.startswith(b"[ ")
    assert 3 <= len(body) <= sent < 1000, "a few bytes of a million, then the server stopped"


def test_drip_head_sends_the_head_a_byte_at_a_time_too() -> None:
    with hostile("drip", interval=DRIP, drip_head=True) as server:
        received = _exchange(server.base_url, seconds=GUARD, until=lambda got: len(got) >= 3)
    assert 3 <= len(received) < len(b"HTTP/1.1 200 OK\r\n"), "part of the status line only"
    assert b"HTTP/1.1 200 OK".startswith(received)
    assert server.body_bytes_sent == 0


def test_reset_closes_with_rst() -> None:
    with hostile("reset") as server, pytest.raises(ConnectionResetError):
        _exchange(server.base_url)


def test_garbage_is_not_http() -> None:
    with hostile("garbage") as server:
        received = _exchange(server.base_url)
    assert received and not received.startswith(b"HTTP/")


def test_html_500_is_a_500_html_page() -> None:
    with hostile("html_500") as server:
        received = _exchange(server.base_url)
    assert received.startswith(b"HTTP/1.1 500 ")
    assert b"text/html" in received and b"<html>" in received


@pytest.mark.parametrize("size", [2, 61, 1_000_003])
def test_huge_is_a_chunked_json_array_of_exactly_size_bytes(size: int) -> None:
    with hostile("huge", size=size) as server:
        received = _exchange(server.base_url, seconds=5)
    head, _, chunked = received.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    body = b""
    while True:
        length_line, _, chunked = chunked.partition(b"\r\n")
        length = int(length_line, 16)
        if length == 0:
            break
        body += chunked[:length]
        chunked = chunked[length + 2 :]
    assert len(body) == size
    assert isinstance(msgspec.json.decode(body), list)


def test_redirect_points_at_another_origin_that_records_what_arrives() -> None:
    with hostile("redirect", status=308) as server:
        received = _exchange(server.base_url)
        assert server.target is not None
        location = f"{server.target.base_url}/mj/task/list-by-condition"
        assert received.startswith(b"HTTP/1.1 308 ")
        assert f"Location: {location}\r\n".encode() in received
        assert server.target.base_url != server.base_url
        assert _exchange(server.target.base_url).endswith(b"\r\n\r\n[]")
    assert server.target.received_headers[0]["mj-api-secret"] == "s3cret"
