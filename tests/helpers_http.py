"""Real HTTP servers on 127.0.0.1 for the client and reference-server tests.

`stub_server` runs a standard-library server in a thread that records every request and
answers with a `Reply` (or a function of the request), so a test can serve any body,
status, delay or broken connection; `StubServer.serve` changes the answer of a running
server, so that one server can serve a whole module. `refusing_url` (a port held bound
but not listening for the block: refused, and no other process can take it meanwhile) and
`wait_until` are the small pieces around it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = [
    "Answer",
    "Reply",
    "Seen",
    "StubServer",
    "refusing_url",
    "stub_server",
    "wait_until",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """What the stub server answers. `delay` waits before answering (cut short when the
    server stops); `drop` closes the connection without any answer."""

    status: int = 200
    body: bytes = b"[]"
    content_type: str = "application/json"
    delay: float = 0.0
    drop: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Seen:
    """A request as the stub server received it; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Reply | Callable[[Seen], Reply]


@dataclass(slots=True, kw_only=True)
class StubServer:
    base_url: str
    requests: list[Seen] = field(default_factory=list)
    closed_connections: int = 0
    answer: Answer = Reply()
    """What the server answers each request from now on."""

    def serve(self, answer: Answer) -> StubServer:
        """Answer `answer` from now on, the requests seen so far forgotten."""
        self.answer = answer
        self.requests.clear()
        return self


@contextmanager
def refusing_url() -> Iterator[str]:
    """A URL of 127.0.0.1 whose port is bound but not listening: every connection is refused.

    Holding the port for the whole block means no other process can start listening on it
    meanwhile (a port merely found free could be taken before it is used).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def wait_until(condition: Callable[[], bool], *, timeout: float = 5.0) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@contextmanager
def stub_server(answer: Answer) -> Iterator[StubServer]:
    """Run a recording HTTP/1.1 server on 127.0.0.1 (port 0: the system picks a free one,
    read back from the bound socket) until the block ends."""
    stopping = threading.Event()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so that a client's close is observable

        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                method=self.command,
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length),
            )
            with lock:
                stub.requests.append(seen)
                answer = stub.answer
            reply = answer if isinstance(answer, Reply) else answer(seen)
            if reply.delay:
                stopping.wait(reply.delay)
            if reply.drop:
                self.close_connection = True
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def finish(self) -> None:
            super().finish()
            with lock:
                stub.closed_connections += 1

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a client that timed out and left makes the late write fail: expected

    server = Server(("127.0.0.1", 0), Handler)
    stub = StubServer(base_url=f"http://127.0.0.1:{server.server_address[1]}", answer=answer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield stub
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
