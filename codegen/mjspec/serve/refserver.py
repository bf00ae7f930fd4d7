"""The reference server and the families' stand-ins: a task store behind one profile's wire.

`create_app` builds the ASGI app for a profile. For `doc` it is the generated FastAPI stub
filled in with the task store (JSON and multipart bodies, `{"error", "message"}` 4xx
answers). For any other profile it is a stand-in of that family, derived from the profile:
its request media types only, the token accepted only its ways, and every refusal in the
family's form (`errorbody`), a 401 with the profile's `WWW-Authenticate` challenges.
`serve_in_thread` runs one on a free port of 127.0.0.1 (tests, `mjspec conform` without
--base-url); `serve` runs it in the foreground, binding the socket before it says anything,
and raises every mistake (port, host, tasks file) as a one-line UsageError.

Tasks are held as JSON objects and served as they are (key order, nulls, extra fields).
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import logging
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import msgspec
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mjapi.server import DEFAULT_MAX_BODY_BYTES, Problem, create_router
from mjspec.errors import UsageError
from mjspec.profiles import DOC, OPERATION_PATH, AuthWay, Profile
from mjspec.serve.errorbody import (
    ErrorAnswer,
    bad_body_answer,
    error_answer,
    unsupported_media_type_status,
)
from mjspec.serve.standin import load_profile, served_tasks, task_problems

DEFAULT_MAX_IDS = 1000
MAX_PORT = 65535
BACKLOG = 2048
# python-multipart logs every malformed part it skips; bad input is answered, not logged.
logging.getLogger("python_multipart").setLevel(logging.ERROR)
logging.getLogger("multipart").setLevel(logging.ERROR)
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


class TooManyIds(Exception):
    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} ids asked for; the limit is {limit}")


class TaskStore:
    """Tasks (JSON objects) by id, encoded once; implements `mjapi.server.Service`."""

    def __init__(
        self, tasks: Sequence[Mapping[str, Any]], *, max_ids: int = DEFAULT_MAX_IDS
    ) -> None:
        self._tasks: dict[str, msgspec.Raw] = {}
        for task in tasks:
            self._tasks.setdefault(str(task["id"]), msgspec.Raw(msgspec.json.encode(task)))
        self._max_ids = max_ids

    @property
    def ids(self) -> list[str]:
        return list(self._tasks)

    def select(self, ids: Sequence[str] | None) -> list[msgspec.Raw]:
        """The known tasks among `ids`, each once, in the order asked; unknown ids left out."""
        if not ids:
            return []
        if len(ids) > self._max_ids:
            raise TooManyIds(len(ids), self._max_ids)
        return [self._tasks[i] for i in dict.fromkeys(ids) if i in self._tasks]

    def encode(self, ids: Sequence[str] | None) -> bytes:
        """The answer's body: the JSON array of `select(ids)`."""
        return msgspec.json.encode(self.select(ids))

    async def list_by_condition(self, ids: list[str] | None = None) -> list[Any]:
        try:
            return self.select(ids)
        except TooManyIds as exc:
            raise Problem(413, "too_many_ids", str(exc)) from None


def load_tasks(path: Path, profile: Profile | None = None) -> list[dict[str, Any]]:
    """Tasks from a JSON file (an array, as a real server answers), checked against a profile.

    The tasks are kept as they are; the first problem is a one-line UsageError naming the
    file, the task, its index and the field.
    """
    chosen = profile or load_profile(DOC)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the tasks file: {exc.strerror}") from None
    try:
        tasks: Any = msgspec.json.decode(content)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: {_not_json(content, exc)}") from None
    except RecursionError:
        raise UsageError(f"{path}: not usable: the JSON nests deeper than it can be read") from None
    problems = task_problems(tasks, chosen.document)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UsageError(f"{path}: {problems[0]}{more}")
    result: list[dict[str, Any]] = tasks
    return result


def _not_json(content: bytes, exc: Exception) -> str:
    """`not JSON at line L, column C: why` (columns count characters, from 1)."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as bad:
        offset: int | None = bad.start
        reason = f"not UTF-8 (byte 0x{content[bad.start]:02X})"
    else:
        text = str(exc)
        malformed = re.fullmatch(r"JSON is malformed: (.*) \(byte (\d+)\)", text)
        if malformed:
            reason, offset = malformed[1], int(malformed[2])
            if reason == "trailing characters":  # msgspec counts one past the character
                offset = max(offset - 1, 0)
        elif not content.strip():
            reason, offset = "the file is empty", len(content)
        elif "truncated" in text:
            reason, offset = "the file ends before the JSON does", len(content)
        else:
            reason, offset = text, None
    if offset is None:
        return f"not JSON: {reason}"
    before = content[:offset]
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    return f"not JSON at line {line}, column {column}: {reason}"


def _answer(answer: ErrorAnswer, headers: Mapping[str, str] | None = None) -> Response:
    response = Response(
        answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers
    )
    # raw, so that a name may repeat (one WWW-Authenticate field per challenge)
    response.raw_headers.extend((k.lower().encode(), v.encode()) for k, v in answer.headers)
    return response


def token_accepted(headers: Headers, ways: Sequence[AuthWay], expected: bytes) -> bool:
    """Whether the request carries the token one of `ways` (header names case-insensitive)."""
    accepted = False
    for way in ways:
        # Header values come decoded as latin-1: encoding them back gives the bytes sent.
        given = headers.get(way.header, "").encode("latin-1")
        scheme_ok = True
        if way.bearer:
            scheme, _, given = given.partition(b" ")
            given = given.strip()
            scheme_ok = scheme.lower() == b"bearer"
        # compare_digest runs for every way and whatever the scheme, so timing says nothing
        # about the token or about which way came close.
        accepted |= hmac.compare_digest(given, expected) and scheme_ok
    return accepted


def auth_hint(profile: Profile) -> str:
    """`Authorization: Bearer <token>` or `mj-api-secret: <token>`, the profile's ways."""
    shown = [
        f"`{w.header}: Bearer <token>`" if w.bearer else f"`{w.header}: <token>`"
        for w in profile.auth_ways
    ]
    return " or ".join(shown) or "no way to send a token"


def create_app(
    tasks: Sequence[Mapping[str, Any]],
    *,
    token: str | None = None,
    profile: Profile | None = None,
    max_ids: int = DEFAULT_MAX_IDS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The app of a profile's server (default `doc`); with a token, only its ways get in."""
    chosen = profile or load_profile(DOC)
    document = chosen.document
    app = FastAPI(title="mjspec reference server", openapi_url=None, docs_url=None, redoc_url=None)
    store = TaskStore(tasks, max_ids=max_ids)
    app.state.store = store
    app.state.profile = chosen
    if chosen.name == DOC:
        app.include_router(create_router(store, max_body_bytes=max_body_bytes))
    else:
        app.add_api_route(
            OPERATION_PATH, _standin_endpoint(store, chosen, max_body_bytes), methods=["POST"]
        )

    async def answer_http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        detail = str(exc.detail if isinstance(exc, HTTPException) else exc)
        found = error_answer(document, status, detail, error="http_error", path=request.url.path)
        # keeps `Allow` on 405 (RFC 9110)
        return _answer(found, exc.headers if isinstance(exc, HTTPException) else None)

    app.add_exception_handler(HTTPException, answer_http_error)
    app.add_exception_handler(RequestValidationError, answer_http_error)
    if token is not None:
        app.add_middleware(_RequireToken, token=token, profile=chosen)
    return app


class _RequireToken:
    """Refuse, with the profile's 401, any request that lacks the token its ways.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs
    every request through a task group and memory streams, which cost the reference server
    over half its throughput under load (`benchmarks/bench_load.py`).
    """

    def __init__(self, app: ASGIApp, *, token: str, profile: Profile) -> None:
        self.app = app
        self.expected = token.encode()
        self.ways = profile.auth_ways
        self.document = profile.document
        self.hint = f"send the token as {auth_hint(profile)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if token_accepted(headers, self.ways, self.expected):
            await self.app(scope, receive, send)
            return
        refused = error_answer(
            self.document,
            401,
            self.hint,
            error="unauthorized",
            path=scope["path"],
            invalid_token=any(way.header in headers for way in self.ways),
        )
        await _answer(refused)(scope, receive, send)


class _Refused(Exception):
    def __init__(self, answer: ErrorAnswer) -> None:
        self.answer = answer


class _Body(msgspec.Struct):
    ids: list[str] | None = None


def _standin_endpoint(
    store: TaskStore, profile: Profile, max_body_bytes: int
) -> Callable[[Request], Awaitable[Response]]:
    document = profile.document
    accepted = [m.split(";", 1)[0].strip().lower() for m in profile.request_media_types]

    async def list_by_condition(request: Request) -> Response:
        path = request.url.path
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        json_kind = "application/json" in accepted and (
            kind == "application/json"
            or (kind.startswith("application/") and kind.endswith("+json"))
        )
        try:
            if not json_kind and kind not in accepted:
                send = " or ".join(accepted)
                message = f"Content-Type {kind or 'none'!r} is not accepted; send {send}"
                status = unsupported_media_type_status(document)
                raise _Refused(error_answer(document, status, message, path=path))
            raw = await _read_limited(request, max_body_bytes, document, path)
            if json_kind:
                ids = _json_ids(raw, document, path)
            else:
                ids = await _form_ids(request, raw, document, path)
            return Response(store.encode(ids), media_type="application/json")
        except TooManyIds as exc:
            return _answer(error_answer(document, 413, str(exc), error="too_many_ids", path=path))
        except _Refused as refused:
            return _answer(refused.answer)

    return list_by_condition


async def _read_limited(
    request: Request, max_bytes: int, document: Mapping[str, Any], path: str
) -> bytes:
    def too_large() -> _Refused:
        message = f"the body is over the limit of {max_bytes} bytes"
        return _Refused(error_answer(document, 413, message, path=path))

    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _json_ids(raw: bytes, document: Mapping[str, Any], path: str) -> list[str] | None:
    if not raw.strip():
        raise _Refused(bad_body_answer(document, "the request has no body", path=path))
    try:
        return msgspec.json.decode(raw, type=_Body).ids
    except msgspec.ValidationError as exc:
        reason, _, where = str(exc).partition(" - at `")
        message = f"invalid body at `{where.rstrip('`')}`: {reason}" if where else reason
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        message = f"the body is not valid JSON: {exc}"
    except RecursionError:
        message = "the body is not valid JSON: it nests deeper than the decoder goes"
    raise _Refused(bad_body_answer(document, message, path=path))


async def _form_ids(
    request: Request, raw: bytes, document: Mapping[str, Any], path: str
) -> list[str]:
    """The `ids` of a form body (only for a profile that declares one)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    try:
        form = await Request(request.scope, receive=replay).form()
    except Exception as exc:  # starlette raises several kinds for a malformed form
        message = f"the form body cannot be parsed: {exc}"
        raise _Refused(bad_body_answer(document, message, path=path)) from None
    return [value for value in form.getlist("ids") if isinstance(value, str)]


def build_app(
    tasks_file: Path | None, token: str | None, profile: str | Profile = DOC
) -> tuple[FastAPI, list[str]]:
    chosen = profile if isinstance(profile, Profile) else load_profile(profile)
    tasks = load_tasks(tasks_file, chosen) if tasks_file else served_tasks(chosen)
    app = create_app(tasks, token=token, profile=chosen)
    return app, app.state.store.ids


def dump_tasks(tasks_file: Path | None, profile: str | Profile = DOC) -> bytes:
    """The JSON array of every task, exactly as the profile's server serves them."""
    app, ids = build_app(tasks_file, None, profile)
    store: TaskStore = app.state.store
    return store.encode(ids)


@dataclass(frozen=True, slots=True)
class RunningServer:
    base_url: str
    task_ids: list[str]
    profile: str = DOC
    token: str | None = field(default=None, repr=False)
    """The token the server requires (its profile's ways), None when it requires none."""


def server_config(app: Any, *, log_level: str, access_log: bool) -> uvicorn.Config:
    """How uvicorn runs every server here (`serve`, `serve_app_in_thread`)."""
    return uvicorn.Config(
        app, log_level=log_level, access_log=access_log, lifespan="off", backlog=BACKLOG
    )


# How often a stopping server looks at the connections it waits for (uvicorn: 0.1 s).
_SHUTDOWN_POLL = 0.005
_LOG = logging.getLogger("uvicorn.error")  # where uvicorn says what its server does


class PromptServer(uvicorn.Server):
    """uvicorn's server, stopped as soon as it is told: every `mjspec conform` without
    --base-url starts and stops one, and uvicorn's own takes 0.1 to 0.3 s to stop.

    Its main loop waits for `stop` (or a signal) instead of looking every 0.1 s, and its
    shutdown does what uvicorn's does, saying the same (close the listeners, ask every
    connection to close once its response is sent, wait for them, the app's tasks and the
    listeners within the graceful timeout, then cancel the tasks left) without first
    sleeping 0.1 s and then waiting 0.1 s at a time.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._woken: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None

    def stop(self) -> None:
        """Ask the server to stop, from any thread."""
        self.should_exit = True
        woken = self._woken
        if woken is not None:
            loop, event = woken
            with suppress(RuntimeError):  # the loop is already closed: it has stopped
                loop.call_soon_threadsafe(event.set)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self.stop()

    async def main_loop(self) -> None:
        event = asyncio.Event()
        self._woken = asyncio.get_running_loop(), event
        counter = 0
        while not await self.on_tick(counter):  # the date header, once a second
            counter = (counter + 1) % 864000
            with suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        _LOG.info("Shutting down")
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        try:
            grace = self.config.timeout_graceful_shutdown
            await asyncio.wait_for(self._drained(), timeout=grace)
        except TimeoutError:
            _LOG.error(
                "Cancel %s running task(s), timeout graceful shutdown exceeded", len(state.tasks)
            )
            for task in state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drained(self) -> None:
        """Until the connections (each closing once its answer is sent) and the app's tasks
        are done, then the listeners closed: what uvicorn waits for, looked at every 5 ms."""
        state = self.server_state
        if state.connections and not self.force_exit:
            _LOG.info("Waiting for connections to close. (CTRL+C to force quit)")
        while state.connections and not self.force_exit:
            await asyncio.sleep(_SHUTDOWN_POLL)
        if state.tasks and not self.force_exit:
            _LOG.info("Waiting for background tasks to complete. (CTRL+C to force quit)")
        while state.tasks and not self.force_exit:
            await asyncio.sleep(_SHUTDOWN_POLL)
        for server in self.servers:
            await server.wait_closed()


def start_in_thread(server: uvicorn.Server, sock: socket.socket) -> threading.Thread:
    """Run `server` on the bound socket `sock` in a daemon thread; the thread, once the
    server serves. One that has not started within 10 s is told to stop: a UsageError."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        thread.join(timeout=10)
        raise UsageError("the server did not start")
    return thread


@contextmanager
def serve_app_in_thread(app: Any) -> Iterator[str]:
    """Run any ASGI app with uvicorn on a free port of 127.0.0.1; yield its base URL."""
    # With protocol 0, asyncio does not set TCP_NODELAY on accepted connections and every
    # small response waits for Nagle's algorithm (about 40 ms a request).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        server = PromptServer(server_config(app, log_level="error", access_log=False))
        thread = start_in_thread(server, sock)
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.stop()
            thread.join(timeout=10)


@contextmanager
def serve_in_thread(
    tasks_file: Path | None = None, *, token: str | None = None, profile: str | Profile = DOC
) -> Iterator[RunningServer]:
    """Run a profile's server (default: the reference server) on a free loopback port."""
    app, ids = build_app(tasks_file, token, profile)
    name = app.state.profile.name
    with serve_app_in_thread(app) as base_url:
        yield RunningServer(base_url=base_url, task_ids=ids, profile=name, token=token)


def parse_port(text: str | int) -> int:
    """A TCP port from 0 (any free port) to 65535; UsageError otherwise."""
    try:
        port = int(text)
    except ValueError:
        raise UsageError(f"--port must be a number from 0 to 65535, not {text!r}") from None
    if not 0 <= port <= MAX_PORT:
        raise UsageError(f"--port must be from 0 to 65535 (0: any free port), not {port}")
    return port


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port and listening; a one-line UsageError when it cannot be.

    Binding before anything is announced is what lets `serve` print the real port of
    `--port 0`, and refuse a busy port before claiming to serve on it.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise UsageError(f"cannot listen on {host!r}: {reason}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        where = f"{_url_host(host)}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"cannot listen on {where}: the port is in use") from None
        if exc.errno == errno.EACCES:
            raise UsageError(f"cannot listen on {where}: permission denied") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise UsageError(f"cannot listen on {where}: not an address of this machine") from None
        raise UsageError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def serve(
    host: str,
    port: int | str,
    tasks_file: Path | None,
    token: str | None,
    profile: str | Profile = DOC,
) -> None:
    """Run a profile's server in the foreground until interrupted.

    Every mistake (the port, the host, the tasks file) is a UsageError raised before
    anything is printed; the banner comes once the socket is bound, with its real port.
    """
    number = parse_port(port)
    app, ids = build_app(tasks_file, token, profile)
    chosen: Profile = app.state.profile
    sock = listen(host, number)
    address, bound = sock.getsockname()[:2]
    auth = f"a token is required ({auth_hint(chosen)})" if token else "no token required"
    what = "reference server" if chosen.name == DOC else f"stand-in of {chosen.title}"
    shown = f"{' '.join(ids[:5])} ... {ids[-1]}" if len(ids) > 5 else " ".join(ids) or "none"
    where = f"http://{_url_host(host or address)}:{bound}"
    print(f"mjspec {what} on {where}: {len(ids)} tasks, {auth}")
    print(f"task ids: {shown}", flush=True)
    server = PromptServer(server_config(app, log_level="info", access_log=True))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn shut down, then raised the signal again for us: a clean stop
    finally:
        sock.close()
