"""Hostile HTTP servers on 127.0.0.1, for testing that a client stays bounded and discreet.

Each kind misbehaves in one way a server nobody vouches for can:

    hang      reads the request and never answers
    drip      sends a valid `200 application/json` head, then the body one byte per
              `interval` seconds (default 1), for about 11 days; with `drip_head=True`
              the head comes a byte per `interval` too
    reset     reads the request and closes the connection with a TCP RST (SO_LINGER 0)
    garbage   reads the request and answers bytes that are not HTTP, then closes
    html_500  answers `500 text/html` with a small error page
    huge      answers `200 application/json`, chunked, a valid JSON array of `size` bytes
              (default 300 MB) generated on the fly, never held in memory
    deep      answers `200 application/json`, one task whose extra field is an array
              nested 100,000 deep (200 kB): valid JSON no recursive decoder reads to the end
    redirect  answers `307` (or `status`) with a `Location` on another origin: a second
              server on another port (`server.target`) that answers `200 []` and records
              every request, so a test can assert no credential reached it

    with hostile("drip") as server:
        client.get(server.base_url + "/x")          # must give up on its own
    with hostile("redirect") as server:
        ...
        assert server.target.received_headers == []

Every server records the requests it read (`requests`, `received_headers`, header names
lower-cased) and counts the bytes it sent after the head (`body_bytes_sent`, chunk
framing included), so a test can check that a client stopped reading early. A server
answers every connection it accepts the same way, one request each.

Standard library only: one accepting thread and one thread per connection, each looking
at a stop event at least every 50 ms, so leaving the block stops every thread and closes
every socket within a fraction of a second, whatever the client did.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = [
    "DEEP",
    "HUGE_BYTES",
    "KINDS",
    "HostileServer",
    "Kind",
    "Received",
    "hostile",
    "nested_json",
]

Kind = Literal["hang", "drip", "reset", "garbage", "html_500", "huge", "deep", "redirect"]
KINDS: tuple[Kind, ...] = get_args(Kind)
"""Every kind `hostile` serves."""

HUGE_BYTES = 300 * 1000 * 1000
"""The default body size of `huge`: 300 MB."""

_TICK = 0.05  # how often every loop looks at the stop event
_MAX_HEAD = 64 * 1024
_DRIP_BYTES = 1000 * 1000  # the Content-Length `drip` declares: ~11 days at a byte a second
_ITEM = b'{"id":"1730621826053455","status":"SUCCESS","progress":"100%"}'
_GARBAGE = b"\x00\xff\xfeSSH-2.0-not-http \x16\x03\x01\x02\x00 \xde\xad\xbe\xef\r\n\r\n"
_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n"
    b"<body><h1>Internal Server Error</h1><p>upstream exploded</p></body></html>\n"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Received:
    """A request head as a hostile server read it; header names are lower-cased."""

    method: str
    target: str
    headers: dict[str, str]


@dataclass(slots=True, kw_only=True)
class HostileServer:
    """A running hostile server: where it listens and what it saw and sent."""

    kind: str
    base_url: str
    requests: list[Received] = field(default_factory=list)
    body_bytes_sent: int = 0
    target: HostileServer | None = None  # `redirect` only: the other origin it sends to

    @property
    def received_headers(self) -> list[dict[str, str]]:
        """The headers of every request received, in order."""
        return [request.headers for request in self.requests]


@contextmanager
def hostile(
    kind: Kind,
    *,
    size: int = HUGE_BYTES,
    interval: float = 1.0,
    drip_head: bool = False,
    status: int = 307,
) -> Iterator[HostileServer]:
    """Serve `kind` on a free port of 127.0.0.1 until the block ends.

    `size` is the body of `huge` in bytes, `interval` the seconds between two bytes of
    `drip` (`drip_head`: of its head too), `status` the redirect status of `redirect`
    (301, 302, 303, 307 or 308).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown hostile server {kind!r}; choose one of: {', '.join(KINDS)}")
    if kind == "redirect":
        with _serve("target") as target, _serve(kind, status=status, target=target) as server:
            yield server
    else:
        with _serve(kind, size=size, interval=interval, drip_head=drip_head) as server:
            yield server


@contextmanager
def _serve(
    kind: str,
    *,
    size: int = HUGE_BYTES,
    interval: float = 1.0,
    drip_head: bool = False,
    status: int = 307,
    target: HostileServer | None = None,
) -> Iterator[HostileServer]:
    stopping = threading.Event()
    lock = threading.Lock()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(_TICK)
    server = HostileServer(
        kind=kind, base_url=f"http://127.0.0.1:{listener.getsockname()[1]}", target=target
    )
    workers: list[threading.Thread] = []

    def sent(count: int) -> None:
        with lock:
            server.body_bytes_sent += count

    def handle(conn: socket.socket) -> None:
        try:
            conn.settimeout(_TICK)
            head = _read_request(conn, stopping)
            if head is None:
                return
            with lock:
                server.requests.append(head)
            _BEHAVIOURS[kind](
                _Conn(conn, stopping, sent),
                head,
                _Options(
                    size=size,
                    interval=interval,
                    drip_head=drip_head,
                    status=status,
                    target=target,
                ),
            )
        except OSError:
            pass  # the client went away: expected of a client that gives up
        finally:
            conn.close()

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=handle, args=(conn,), name=f"hostile-{kind}")
            workers.append(worker)
            worker.start()

    acceptor = threading.Thread(target=accept, name=f"hostile-{kind}-accept")
    acceptor.start()
    try:
        yield server
    finally:
        stopping.set()
        with contextlib.suppress(OSError):  # wakes the acceptor now, not at its next tick
            listener.shutdown(socket.SHUT_RDWR)
        acceptor.join(timeout=30)
        listener.close()
        for worker in workers:
            worker.join(timeout=30)


@dataclass(frozen=True, slots=True)
class _Options:
    size: int
    interval: float
    drip_head: bool
    status: int
    target: HostileServer | None


class _Conn:
    """A connection that writes in small steps, giving up as soon as the server stops."""

    __slots__ = ("_sent", "_sock", "stopping")

    def __init__(
        self, sock: socket.socket, stopping: threading.Event, sent: Callable[[int], None]
    ) -> None:
        self._sock = sock
        self._sent = sent
        self.stopping = stopping

    @property
    def sock(self) -> socket.socket:
        return self._sock

    def write(self, data: bytes, *, body: bool = False) -> bool:
        """Send all of `data`; False when the server is stopping first."""
        view = memoryview(data)
        while view:
            if self.stopping.is_set():
                return False
            try:
                count = self._sock.send(view)
            except TimeoutError:
                continue
            view = view[count:]
            if body:
                self._sent(count)
        return True

    def hold(self) -> None:
        """Keep the connection open, answering nothing, until the server stops."""
        self.stopping.wait()


def _read_request(conn: socket.socket, stopping: threading.Event) -> Received | None:
    """The request head (its body read and dropped), or None if the client left first."""
    data = b""
    while b"\r\n\r\n" not in data:
        if stopping.is_set() or len(data) > _MAX_HEAD:
            return None
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            return None
        data += chunk
    raw_head, _, rest = data.partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    method, target, *_ = (*lines[0].split(" "), "", "")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    remaining = int(headers.get("content-length", "0") or 0) - len(rest)
    while remaining > 0 and not stopping.is_set():
        try:
            chunk = conn.recv(min(remaining, 65536))
        except TimeoutError:
            continue
        if not chunk:
            break
        remaining -= len(chunk)
    return Received(method=method, target=target, headers=headers)


def _head(status: str, *headers: str) -> bytes:
    return (
        "\r\n".join((f"HTTP/1.1 {status}", *headers, "Connection: close")) + "\r\n\r\n"
    ).encode()


def _hang(conn: _Conn, head: Received, options: _Options) -> None:
    conn.hold()


def _drip(conn: _Conn, head: Received, options: _Options) -> None:
    length = _DRIP_BYTES
    answer = _head("200 OK", "Content-Type: application/json", f"Content-Length: {length}")
    if options.drip_head:
        for offset in range(len(answer)):
            if not conn.write(answer[offset : offset + 1]) or conn.stopping.wait(options.interval):
                return
    elif not conn.write(answer):
        return
    body = b"[" + b" " * (length - 2) + b"]"
    for offset in range(length):
        if not conn.write(body[offset : offset + 1], body=True):
            return
        if conn.stopping.wait(options.interval):
            return


def _reset(conn: _Conn, head: Received, options: _Options) -> None:
    # SO_LINGER on with a zero timeout: close() sends RST instead of FIN
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _garbage(conn: _Conn, head: Received, options: _Options) -> None:
    conn.write(_GARBAGE, body=True)


def _html_500(conn: _Conn, head: Received, options: _Options) -> None:
    conn.write(
        _head(
            "500 Internal Server Error",
            "Content-Type: text/html; charset=utf-8",
            f"Content-Length: {len(_HTML)}",
        )
    )
    conn.write(_HTML, body=True)


def _huge(conn: _Conn, head: Received, options: _Options) -> None:
    if not conn.write(
        _head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked")
    ):
        return
    for piece in _huge_body(options.size):
        if not conn.write(b"%x\r\n%b\r\n" % (len(piece), piece), body=True):
            return
    conn.write(b"0\r\n\r\n")


def _huge_body(size: int, block: int = 256 * 1024) -> Iterator[bytes]:
    """A JSON array of exactly `size` bytes (at least 2): items, then spaces, then `]`."""
    items = max((size - 2) // (len(_ITEM) + 1), 0)
    per_block = max(block // (len(_ITEM) + 1), 1)
    full = b"," + b",".join([_ITEM] * per_block)  # a block that follows an item
    yield b"[" + (_ITEM if items else b"")
    left = items - 1 if items else 0
    while left >= per_block:
        yield full
        left -= per_block
    if left:
        yield b"," + b",".join([_ITEM] * left)
    padding = size - 2 - (items * len(_ITEM) + max(items - 1, 0))
    while padding > 0:
        step = min(padding, block)
        yield b" " * step
        padding -= step
    yield b"]"


DEEP = 100_000
"""How deep `nested_json` nests by default: past any recursive decoder."""


def nested_json(levels: int = DEEP) -> bytes:
    """An empty JSON array inside `levels` arrays: valid JSON, past a decoder's recursion."""
    return b"[" * levels + b"]" * levels


_DEEP_BODY = b'[{"id": "1730621826053455", "x": ' + nested_json() + b"}]"


def _deep(conn: _Conn, head: Received, options: _Options) -> None:
    length = f"Content-Length: {len(_DEEP_BODY)}"
    if conn.write(_head("200 OK", "Content-Type: application/json", length)):
        conn.write(_DEEP_BODY, body=True)


def _redirect(conn: _Conn, head: Received, options: _Options) -> None:
    assert options.target is not None
    location = options.target.base_url + head.target
    reason = {301: "Moved Permanently", 302: "Found", 303: "See Other", 308: "Permanent Redirect"}
    conn.write(
        _head(
            f"{options.status} {reason.get(options.status, 'Temporary Redirect')}",
            f"Location: {location}",
            "Content-Length: 0",
        )
    )


def _target(conn: _Conn, head: Received, options: _Options) -> None:
    conn.write(_head("200 OK", "Content-Type: application/json", "Content-Length: 2"))
    conn.write(b"[]", body=True)


_BEHAVIOURS = {
    "hang": _hang,
    "drip": _drip,
    "reset": _reset,
    "garbage": _garbage,
    "html_500": _html_500,
    "huge": _huge,
    "deep": _deep,
    "redirect": _redirect,
    "target": _target,
}
