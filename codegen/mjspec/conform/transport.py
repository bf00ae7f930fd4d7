"""The kit's HTTP/1.1 client: every answer bounded by a total deadline and a maximum size.

Servers under test are not trusted. A read timeout restarts with every byte, so a server
that drips its answer a byte a second never times out; an answer may be endless. Every
request therefore runs in a worker thread that the caller waits for with a total
deadline (connection, head and body), and the body is read in chunks, counted as it
arrives, and refused past the size limit (decompressed bytes are counted, so a small
gzip bomb cannot slip through). Redirects are never followed: whatever a server
answers is the answer under test, and a credential is never sent to another origin.

Requests are prepared by `requests` (`PreparedRequest`: schemathesis' serialized cases,
multipart included, and the raw probes) and sent over the standard library's
`http.client`, one kept-alive connection per origin: a run sends dozens of small requests
to one server, and `requests`' sending machinery (its adapters, urllib3's pool, cookie
jars) cost about a millisecond of CPU each, more than the rest of a request. Nothing is
kept between requests but the connection: no cookies, and never `~/.netrc`: its
credentials are not for servers under test, and the only credential a run sends is the
token it was given. The environment is read once per origin: the proxies (`HTTP_PROXY`,
`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`; an `http://` proxy, with CONNECT for `https://`)
and the CA bundle (`REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, else certifi's) apply as usual.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import http.client
import os
import select
import ssl
import threading
import time
import zlib
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from requests import PreparedRequest

CHUNK = 64 * 1024
GRACE = 2.0
"""Seconds a worker's socket waits past the caller's deadline before it times out itself."""
DECODED = ("gzip", "x-gzip", "deflate")
"""The content codings answers are decoded from."""
ACCEPTED = "gzip, deflate"
"""The Accept-Encoding every request sends unless its case sets its own: what is decoded
(`requests`' default would also name br and zstd when their modules are installed)."""


class TransportError(Exception):
    """No answer: the request could not be sent or its answer not read (the cause is
    chained); `request` is what was sent, for the reproduction."""

    def __init__(self, message: str, request: PreparedRequest | None = None) -> None:
        super().__init__(message)
        self.request = request


class AnswerTooSlow(TransportError):
    """No complete answer within the deadline."""


class AnswerTooLarge(TransportError):
    """An answer over the size limit; it was not read further."""


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """A whole answer: its status line, its headers in order, its decoded body."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    content: bytes
    elapsed: float
    http_version: str

    def header(self, name: str) -> str | None:
        """The first value of a header (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def header_lists(self) -> dict[str, list[str]]:
        """Every header's values, by lower-case name."""
        found: dict[str, list[str]] = {}
        for key, value in self.headers:
            found.setdefault(key.lower(), []).append(value)
        return found


@dataclasses.dataclass(frozen=True, slots=True)
class _Route:
    """Where a request's connection goes: the origin, or a proxy in front of it."""

    scheme: str
    host: str
    port: int
    proxy: tuple[str, int, str | None] | None  # host, port, Proxy-Authorization
    bundle: str | None


class BoundedTransport:
    """Sends prepared requests, each answer bounded; one connection per origin."""

    def __init__(self, *, deadline: float, max_bytes: int, connect_timeout: float = 10.0) -> None:
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.connect_timeout = connect_timeout
        self._routes: dict[tuple[str, str], _Route] = {}
        self._idle: dict[_Route, http.client.HTTPConnection] = {}
        self._contexts: dict[str | None, ssl.SSLContext] = {}

    def __enter__(self) -> BoundedTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for connection in self._idle.values():
            connection.close()
        self._idle.clear()

    def environment(self, url: str) -> tuple[str | None, str | None]:
        """The proxy and CA bundle the environment gives `url`'s origin (read once)."""
        route = self._route(url)
        proxy = None if route.proxy is None else f"{route.proxy[0]}:{route.proxy[1]}"
        return proxy, route.bundle

    def _route(self, url: str) -> _Route:
        parts = urlsplit(url)
        origin = (parts.scheme, parts.netloc)
        found = self._routes.get(origin)
        if found is None:
            from requests.utils import get_environ_proxies

            scheme = parts.scheme.lower()
            if scheme not in ("http", "https") or not parts.hostname:
                raise TransportError(f"not an http:// or https:// URL: {url}")
            proxies = get_environ_proxies(url)
            proxy_url = proxies.get(scheme) or proxies.get("all")
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            found = self._routes[origin] = _Route(
                scheme=scheme,
                host=parts.hostname,
                port=parts.port or (443 if scheme == "https" else 80),
                proxy=_proxy(proxy_url) if proxy_url else None,
                bundle=bundle or None,
            )
        return found

    def send(self, request: PreparedRequest) -> Answer:
        """The whole answer to `request`; TransportError (AnswerTooSlow, AnswerTooLarge)
        when there is none within the bounds."""
        url = request.url or ""
        route = self._route(url)
        attempt = _Attempt(self._idle.pop(route, None))

        def work() -> None:
            try:
                answer = self._exchange(route, attempt, request)
            except BaseException as exc:  # handed to the waiting thread
                attempt.close_all()  # here, once a read cut short has returned
                attempt.outcome = exc
            else:
                attempt.outcome = answer
            attempt.finish()

        worker = threading.Thread(target=work, name="mjspec-request", daemon=True)
        worker.start()
        try:
            worker.join(self.deadline)
        except BaseException:  # Ctrl-C while waiting: the worker's socket is shut down too
            attempt.take()
            raise
        if not attempt.take():  # too late: whatever the worker still holds is shut or closed
            raise AnswerTooSlow(
                f"no complete answer within {self.deadline:g} s (--request-timeout)", request
            )
        outcome = attempt.outcome
        if isinstance(outcome, BaseException):
            raise _transport_error(outcome, request)
        assert outcome is not None
        answer, kept = outcome
        if kept is not None:
            self._idle[route] = kept
        return answer

    def _exchange(
        self, route: _Route, attempt: _Attempt, request: PreparedRequest
    ) -> tuple[Answer, http.client.HTTPConnection | None]:
        """Send and read, in the worker thread; a kept connection the server closed since
        is replaced by a new one (before anything of this request was answered)."""
        reused = attempt.reused
        if reused is not None and _dropped(reused):
            reused.close()
            reused = None
        connection = reused or self._connect(route, attempt)
        started = time.perf_counter()
        try:
            response = self._request(route, connection, request)
        except (
            http.client.RemoteDisconnected,
            ConnectionResetError,
            ConnectionAbortedError,
            BrokenPipeError,
            ssl.SSLEOFError,
            ssl.SSLZeroReturnError,
        ):
            if reused is None:
                raise
            connection.close()  # closed by the server as it was reused: once more, anew
            connection = self._connect(route, attempt)
            response = self._request(route, connection, request)
        try:
            content = self._read(response)
        finally:
            response.close()  # whole, or refused: either way nothing more is read of it
        answer = Answer(
            status=response.status,
            reason=response.reason,
            headers=tuple(response.getheaders()),
            content=content,
            elapsed=time.perf_counter() - started,
            http_version="1.0" if response.version == 10 else "1.1",
        )
        if response.will_close:
            connection.close()
            return answer, None
        return answer, connection

    def _connect(self, route: _Route, attempt: _Attempt) -> http.client.HTTPConnection:
        """A new connection, held by `attempt` while it opens: a caller that gives up during
        a TLS handshake or a CONNECT shuts it down, and nothing is sent on it."""
        host, port = (route.proxy[0], route.proxy[1]) if route.proxy else (route.host, route.port)
        connection: http.client.HTTPConnection
        if route.scheme == "https":
            context = self._contexts.get(route.bundle)
            if context is None:
                context = self._contexts[route.bundle] = _tls_context(route.bundle)
            connection = http.client.HTTPSConnection(
                host, port, timeout=self.connect_timeout, context=context
            )
            if route.proxy is not None:
                tunnel = {"Proxy-Authorization": route.proxy[2]} if route.proxy[2] else None
                connection.set_tunnel(route.host, route.port, headers=tunnel)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
        attempt.hold(connection)
        try:
            connection.connect()
        except BaseException:
            connection.close()  # a CONNECT or handshake that failed leaves its socket open
            raise
        attempt.hold(connection)  # given up meanwhile: closed here, nothing sent
        if connection.sock is not None:
            # Past the caller's deadline: that decides (a read timing out first, on a loaded
            # machine, would say "timed out" where the finding is the deadline); this only
            # ends a worker whose socket was never shut down.
            connection.sock.settimeout(self.deadline + GRACE)
        return connection

    def _request(
        self, route: _Route, connection: http.client.HTTPConnection, request: PreparedRequest
    ) -> http.client.HTTPResponse:
        """Send the request; an answer the server gives before it has read the whole body
        (a 413, then closing) is still read."""
        from requests.utils import urldefragauth

        target = request.path_url  # origin form: the path and the query
        headers = dict(request.headers)
        if route.proxy is not None and route.scheme == "http":
            target = urldefragauth(request.url or target)  # absolute form, to the proxy
            if route.proxy[2]:
                headers["Proxy-Authorization"] = route.proxy[2]
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body is not None and not isinstance(body, bytes):
            raise TransportError("a streamed request body (the kit sends whole bodies)")
        names = {name.lower() for name in headers}
        connection.putrequest(
            request.method or "GET",
            target,
            skip_host="host" in names,
            skip_accept_encoding="accept-encoding" in names,
        )
        for name, value in headers.items():
            connection.putheader(name, value)
        if body and "content-length" not in names and "transfer-encoding" not in names:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        if body:
            # the server stopped reading: what it answered, if anything, is read next
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.send(body)
        return connection.getresponse()

    def _read(self, response: http.client.HTTPResponse) -> bytes:
        """The whole body, decoded and bounded (what it is refused for, the caller names
        the request of: `_transport_error`)."""
        declared = response.getheader("content-length", "") or ""
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise AnswerTooLarge(
                f"the answer declares {int(declared)} bytes, over the limit of {self.max_bytes} "
                "(--max-response-bytes)"
            )
        decoders = _decoders(response.getheader("content-encoding", "") or "")
        chunks: list[bytes] = []
        received = 0
        while True:
            chunk = response.read(CHUNK)  # closes the answer (not the connection) at its end
            last = not chunk
            if last and response.length:  # the server closed before the length it declared
                raise http.client.IncompleteRead(b"", response.length)
            received += len(chunk)
            for decoder in decoders:
                chunk = decoder.feed(chunk, self.max_bytes, last=last)
            # what came over the wire, and each coding's stream, count against the limit
            if max([received, *(decoder.produced for decoder in decoders)]) > self.max_bytes:
                raise AnswerTooLarge(
                    f"the answer is over the limit of {self.max_bytes} bytes (--max-response-bytes)"
                )
            chunks.append(chunk)
            if last:
                for decoder in decoders:
                    decoder.finished()
                return b"".join(chunks)


class _Attempt:
    """One request's worker and its caller: the connections the worker holds, what it
    ended with, and which of the two came first (the worker, or the caller's deadline)."""

    def __init__(self, reused: http.client.HTTPConnection | None) -> None:
        self.reused = reused
        self.outcome: BaseException | tuple[Answer, http.client.HTTPConnection | None] | None
        self.outcome = None
        self._held: list[http.client.HTTPConnection] = [] if reused is None else [reused]
        self._lock = threading.Lock()
        self._finished = False
        self._abandoned = False

    def hold(self, connection: http.client.HTTPConnection) -> http.client.HTTPConnection:
        """A connection the worker opens (again once it is open); closed at once when the
        caller gave up meanwhile (a connect or CONNECT slower than the deadline: the
        request is never sent)."""
        with self._lock:
            if connection not in self._held:
                self._held.append(connection)
            abandoned = self._abandoned
        if abandoned:
            connection.close()
            raise AnswerTooSlow("the caller gave up while the connection opened")
        return connection

    def close_all(self) -> None:
        for connection in self._held:
            connection.close()

    def finish(self) -> None:
        """The worker is done; if the caller gave up meanwhile, nothing is kept."""
        with self._lock:
            self._finished = True
            abandoned = self._abandoned
        if abandoned:
            self.close_all()

    def take(self) -> bool:
        """The caller's side: True when the worker finished in time; otherwise the
        connections it holds are shut down under it (its blocked read returns; it closes
        them as it ends)."""
        with self._lock:
            if self._finished:
                return True
            self._abandoned = True
            held = list(self._held)
        for connection in held:
            _abort(connection)
        return False


def _transport_error(error: BaseException, request: PreparedRequest) -> BaseException:
    """What the caller raises for what ended the worker: a TransportError when the wire
    or the answer failed (the cause chained), anything else as it is."""
    if isinstance(error, TransportError):
        error.request = request
        return error
    if isinstance(error, zlib.error):
        found = TransportError(f"the answer's body does not decode: {error}", request)
    elif isinstance(error, (OSError, http.client.HTTPException, ValueError)):
        found = TransportError(str(error) or type(error).__name__, request)
    else:
        return error
    found.__cause__ = error
    return found


class _Decoder:
    """One content coding undone, at most `limit` bytes out per call (a bomb stops early):
    gzip (every member of it), zlib-wrapped deflate or, as some servers send it, raw."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._gzip = coding in ("gzip", "x-gzip")
        self._zlib = self._fresh()
        self._started = False  # raw deflate is tried only on a stream's first bytes
        self._members = 0  # gzip members ended; what follows the last one may be padding
        self._open = False  # the current stream (a gzip member) has begun and not ended
        self._pending = b""
        self.produced = 0
        """Bytes decoded so far."""

    def _fresh(self, wbits: int | None = None) -> zlib._Decompress:
        return zlib.decompressobj(wbits or (16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS))

    def feed(self, data: bytes, max_bytes: int, *, last: bool) -> bytes:
        """The next decoded bytes; past `max_bytes` in all (`produced`), one byte over and
        no more."""
        limit = max_bytes - self.produced + 1
        out = b""
        self._pending += data
        while self._pending and len(out) < limit:
            out += self._step(limit - len(out))
            if not (last or self._zlib.unconsumed_tail or self._zlib.eof):
                break  # the rest comes with the next read
        if last and len(out) < limit:
            out += self._zlib.flush()
        self.produced += len(out)
        return out

    def finished(self) -> None:
        """At the body's end: no stream (no gzip member) left unfinished (a limit reached
        was refused before)."""
        if self._open and not self._zlib.eof:
            raise TransportError(f"the answer's body ends inside its {self.coding} stream")

    def _step(self, limit: int) -> bytes:
        data, self._pending = self._pending, b""
        try:
            out = self._zlib.decompress(data, limit)
        except zlib.error:
            if self._gzip and self._members:
                return b""  # not another member: ignored after a whole one, as gzip does
            if self.coding != "deflate" or self._started:
                raise
            self._zlib = self._fresh(-zlib.MAX_WBITS)  # `deflate` without its zlib header
            out = self._zlib.decompress(data, limit)
        self._started = self._open = True
        self._pending = self._zlib.unconsumed_tail
        if self._zlib.eof and self._zlib.unused_data:
            if not self._gzip:
                return out  # after the end of one deflate stream: nothing more to read
            self._pending += self._zlib.unused_data  # the next gzip member
            self._members += 1
            self._zlib = self._fresh()
            self._open = False
        return out


def _decoders(codings: str) -> list[_Decoder]:
    """Decoders for a Content-Encoding, last applied first; none when one is not known."""
    names = [name.strip().lower() for name in codings.split(",") if name.strip()]
    names = [name for name in names if name != "identity"]
    if any(name not in DECODED for name in names):
        return []  # left as it came, as urllib3 leaves a coding it cannot undo
    return [_Decoder(name) for name in reversed(names)]


def _proxy(url: str) -> tuple[str, int, str | None]:
    """A proxy URL's host, port and Proxy-Authorization (its credentials, if any).

    A URL that does not parse is one TransportError naming it with its password masked (the
    proxy comes from the environment: nobody checked it before)."""
    from mjspec.urls import shown

    full = url if "://" in url else f"http://{url}"
    try:
        parts = urlsplit(full)
    except ValueError as exc:
        raise TransportError(f"the proxy {shown(full)} is not a URL: {exc}") from None
    try:
        port = parts.port or 80
    except ValueError:
        raise TransportError(f"the proxy's port is not a port number: {shown(full)}") from None
    if parts.scheme.lower() != "http" or not parts.hostname:
        raise TransportError(f"only http:// proxies are supported, not {parts.scheme}://")
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    return parts.hostname, port, authorization


def _tls_context(bundle: str | None) -> ssl.SSLContext:
    if bundle is None:
        import certifi

        bundle = certifi.where()
    if os.path.isdir(bundle):  # `requests` takes a folder of certificates there too
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """Whether a kept connection was closed (or written to) by the server since."""
    sock = connection.sock
    if sock is None:
        return True
    poller = select.poll()  # not select.select: no limit on the descriptor's number
    try:
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _abort(connection: http.client.HTTPConnection) -> None:
    """Shut a connection's socket down under a read blocked in another thread (closing it
    would wait for that read: forever, against a server that drips)."""
    import socket

    sock = connection.sock
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
