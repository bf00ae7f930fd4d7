"""The reference server: the generated FastAPI stub filled in with a task store.

`create_app` builds the ASGI app; `serve_in_thread` runs it with uvicorn on a free port of
127.0.0.1 (tests, `mjspec conform` without --base-url); `serve` runs it in the foreground.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from mjapi._http import ResponseDecoder
from mjapi.errors import ContractError
from mjapi.models import Task
from mjapi.server import DEFAULT_MAX_BODY_BYTES, Problem, create_router
from mjspec.errors import UsageError
from mjspec.refdata import default_tasks
from mjspec.spec import default_spec_path, load_spec

DEFAULT_MAX_IDS = 1000
# python-multipart logs every malformed part it skips; bad input is answered, not logged.
logging.getLogger("python_multipart").setLevel(logging.ERROR)
logging.getLogger("multipart").setLevel(logging.ERROR)
_TASKS_FILE = ResponseDecoder[list[Task]]("tasks file", list[Task], is_array=True)


class TaskStore:
    """Implements `mjapi.server.Service` over tasks held in memory."""

    def __init__(self, tasks: Sequence[Task], *, max_ids: int = DEFAULT_MAX_IDS) -> None:
        self._tasks = {task.id: task for task in tasks}
        self._max_ids = max_ids

    @property
    def ids(self) -> list[str]:
        return list(self._tasks)

    async def list_by_condition(self, ids: list[str] | None = None) -> list[Task]:
        if not ids:
            return []
        if len(ids) > self._max_ids:
            raise Problem(
                413, "too_many_ids", f"{len(ids)} ids asked for; the limit is {self._max_ids}"
            )
        wanted = dict.fromkeys(ids)
        return [self._tasks[i] for i in wanted if i in self._tasks]


def load_tasks(path: Path) -> list[Task]:
    """Tasks from a JSON file (an array of tasks, as a real server answers); checked."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the tasks file: {exc.strerror}") from None
    try:
        return _TASKS_FILE.decode_content(content)
    except ContractError as exc:
        where = f"task {exc.task_id!r} (item {exc.index})" if exc.index is not None else "the file"
        field = f", field `{exc.field}`" if exc.field else ""
        raise UsageError(f"{path}: {where}{field}: {exc.reason}") from None


def create_app(
    tasks: Sequence[Task],
    *,
    token: str | None = None,
    max_ids: int = DEFAULT_MAX_IDS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The reference server's app; with a token, every request needs `Authorization: Bearer`."""
    app = FastAPI(title="mjspec reference server", openapi_url=None, docs_url=None, redoc_url=None)
    store = TaskStore(tasks, max_ids=max_ids)
    app.state.store = store
    app.include_router(create_router(store, max_body_bytes=max_body_bytes))

    async def problem_for_http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
        response = Problem(status, "http_error", str(detail)).response()
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)  # keeps `Allow` on 405 (RFC 9110)
        return response

    app.add_exception_handler(HTTPException, problem_for_http_error)
    app.add_exception_handler(RequestValidationError, problem_for_http_error)
    if token is not None:
        expected = token.encode()

        @app.middleware("http")
        async def require_token(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            # compare_digest runs whatever the scheme, so timing says nothing about the token
            matches = hmac.compare_digest(given.strip().encode(), expected)
            if not (matches and scheme.lower() == "bearer"):
                return Problem(
                    401, "unauthorized", "send the token as `Authorization: Bearer <token>`"
                ).response()
            return await call_next(request)

    return app


def build_app(tasks_file: Path | None, token: str | None) -> tuple[FastAPI, list[str]]:
    tasks = load_tasks(tasks_file) if tasks_file else default_tasks(load_spec(default_spec_path()))
    app = create_app(tasks, token=token)
    return app, app.state.store.ids


@dataclass(frozen=True, slots=True)
class RunningServer:
    base_url: str
    task_ids: list[str]


@contextmanager
def serve_app_in_thread(app: Any) -> Iterator[str]:
    """Run any ASGI app with uvicorn on a free port of 127.0.0.1; yield its base URL."""
    # With protocol 0, asyncio does not set TCP_NODELAY on accepted connections and every
    # small response waits for Nagle's algorithm (about 40 ms a request).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="error", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        if not server.started:
            raise UsageError("the server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def serve_in_thread(
    tasks_file: Path | None = None, *, token: str | None = None
) -> Iterator[RunningServer]:
    """Run the reference server on a free port of 127.0.0.1 until the block ends."""
    app, ids = build_app(tasks_file, token)
    with serve_app_in_thread(app) as base_url:
        yield RunningServer(base_url=base_url, task_ids=ids)


def serve(host: str, port: int, tasks_file: Path | None, token: str | None) -> None:
    """Run the reference server in the foreground until interrupted."""
    app, ids = build_app(tasks_file, token)
    auth = "a token is required (Authorization: Bearer <token>)" if token else "no token required"
    print(f"mjspec reference server on http://{host}:{port}: {len(ids)} tasks, {auth}")
    print(f"task ids: {' '.join(ids[:5])} ... {ids[-1]}" if len(ids) > 5 else f"task ids: {ids}")
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=True)
