"""Test servers for `mjspec conform`, written with the standard library only.

`serve()` runs a correct implementation of `POST /mj/task/list-by-condition` on a
free port of 127.0.0.1 in a background thread. A `Mutation` (a function over the
`Reply` the correct server would send) breaks one thing; it can be swapped while
the server runs, so one server process serves many mutants in turn.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.parser
import email.policy
import hmac
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from mjspec.spec import copy_tree

PATH = "/mj/task/list-by-condition"
MAX_BODY = 1 << 20
MAX_IDS = 1000

HASH = "3785da15-4f70-4034-9128-f3ff1ac634fa"


def _button(custom_id: str, label: str, emoji: str = "") -> dict[str, Any]:
    return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": 2}


def _task(task_id: str, **fields: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "id": task_id,
        "action": "IMAGINE",
        "customId": "",
        "botType": "MID_JOURNEY",
        "prompt": "pig --v 6.1",
        "promptEn": "pig --v 6.1",
        "description": "Submit success",
        "state": "",
        "submitTime": 1730621826053,
        "startTime": 1730621828024,
        "finishTime": 1730621855817,
        "imageUrl": f"https://cdn.example.com/attachments/{task_id}.png",
        "status": "SUCCESS",
        "progress": "100%",
        "failReason": "",
        "buttons": [],
        "maskBase64": "",
        "properties": {"finalPrompt": "pig --v 6.1", "finalZhPrompt": ""},
    }
    task.update(fields)
    return task


TASKS: dict[str, dict[str, Any]] = {
    t["id"]: t
    for t in [
        _task(
            "1730621826053455",
            buttons=[
                *[_button(f"MJ::JOB::upsample::{n}::{HASH}", f"U{n}") for n in range(1, 5)],
                _button(f"MJ::JOB::reroll::0::{HASH}::SOLO", "", "\U0001f504"),
                *[_button(f"MJ::JOB::variation::{n}::{HASH}", f"V{n}") for n in range(1, 5)],
            ],
        ),
        _task(
            "1730621826053456",
            action="UPSCALE",
            status="IN_PROGRESS",
            progress="42%",
            finishTime=0,
            description="Task in progress",
        ),
        _task(
            "1730621826053457",
            status="FAILURE",
            progress="0%",
            failReason="Banned prompt detected",
            description="Task failed",
            imageUrl="",
        ),
        _task(
            "1730621826053458",
            status="NOT_START",
            progress="0%",
            startTime=0,
            finishTime=0,
            imageUrl="",
            description="Waiting",
        ),
        _task(
            "1730621826053459",
            prompt="一只可爱的小猪 --v 6.1",
            promptEn="a cute little pig --v 6.1",
            botType="NIJI_JOURNEY",
            properties={
                "finalPrompt": "a cute little pig --v 6.1",
                "finalZhPrompt": "一只可爱的小猪",
                "notifyHook": None,
                "flags": 0,
            },
            videoUrl="",
        ),
    ]
}
TASK_IDS = list(TASKS)


def private_tasks() -> dict[str, dict[str, Any]]:
    """The default tasks under ids nobody could guess (not the spec's example ids)."""
    renamed = [dict(task, id=f"private-{n}") for n, task in enumerate(TASKS.values())]
    return {task["id"]: task for task in renamed}


@dataclasses.dataclass(slots=True, kw_only=True)
class Reply:
    """What the server is about to send: the mutation's input and output."""

    ids: list[str]
    media_type: str = "application/json"
    """The media type of the request."""
    status: int = 200
    content_type: str = "application/json"
    body: Any = None


Mutation = Callable[[Reply], Reply]


def together(mutations: Iterable[Mutation]) -> Mutation:
    """One mutation that applies each of `mutations` in turn."""
    chain = list(mutations)

    def mutate(reply: Reply) -> Reply:
        for mutation in chain:
            reply = mutation(reply)
        return reply

    return mutate


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _parse_ids(content_type: str, raw: bytes) -> list[str]:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _BadRequest(400, f"malformed JSON: {exc}") from None
        if not isinstance(data, dict):
            raise _BadRequest(400, "the body must be a JSON object")
        ids = data.get("ids")
    elif media_type == "multipart/form-data":
        ids = _multipart_ids(content_type, raw)
    else:
        raise _BadRequest(415, f"unsupported content type {media_type!r}")
    if ids is None:
        return []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _BadRequest(400, "ids must be an array of strings")
    if len(ids) > MAX_IDS:
        raise _BadRequest(413, f"too many ids (limit {MAX_IDS})")
    return ids


def _multipart_ids(content_type: str, raw: bytes) -> list[str]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    boundary = message.get_boundary()
    if boundary is None:
        raise _BadRequest(400, "multipart body without a boundary")
    if raw.strip() == f"--{boundary}--".encode():
        return []  # no parts at all: no ids
    if not message.is_multipart() or message.defects:
        raise _BadRequest(400, "malformed multipart body")
    ids: list[str] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise _BadRequest(400, "a multipart part without a name")
        if name != "ids":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            raise _BadRequest(400, "malformed multipart part")
        try:
            ids.append(payload.decode("utf-8"))
        except UnicodeDecodeError:
            raise _BadRequest(400, "ids must be UTF-8 text") from None
    return ids


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else every answer waits for a delayed ACK

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, content_type: str, body: Any) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _other_method(self) -> None:
        family = self.server.family
        if family is not None and getattr(family, "any_method", False):
            self._send(200, "application/json", [])
        else:
            self.send_error(501)

    do_GET = do_PUT = do_DELETE = _other_method

    def do_POST(self) -> None:
        self.server.requests += 1
        family = self.server.family
        if family is not None:
            family.handle(self)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._send(413, "application/json", {"error": "too_large", "message": "body too large"})
            return
        raw = self.rfile.read(length)
        if self.path.split("?", 1)[0] != PATH:
            self._send(404, "application/json", {"error": "not_found", "message": self.path})
            return
        token = self.server.token
        if token is not None:
            sent = self.headers.get(self.server.auth_header) or ""
            expected = f"Bearer {token}" if self.server.auth_header == "Authorization" else token
            if not hmac.compare_digest(sent.encode(), expected.encode()):
                self._send(401, "application/json", {"error": "unauthorized", "message": "bad key"})
                return
        try:
            ids = _parse_ids(self.headers.get("Content-Type") or "", raw)
        except _BadRequest as exc:
            status = self.server.bad_input_status or exc.status
            self._send(status, "application/json", {"error": "bad_request", "message": exc.message})
            return
        store = self.server.tasks
        # a plain tree copy (`copy.deepcopy` took a tenth of a judged run's CPU)
        tasks = [copy_tree(store[i]) for i in dict.fromkeys(ids) if i in store]
        media_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        reply = Reply(ids=ids, media_type=media_type, body=tasks)
        mutation = self.server.mutation
        if mutation is not None:
            reply = mutation(reply)
        self._send(reply.status, reply.content_type, reply.body)


class Family(Protocol):
    """Answers like one real server family (see tests/family_servers.py)."""

    def handle(self, handler: _Handler) -> None: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    family: Family | None = None
    mutation: Mutation | None = None
    token: str | None = None
    auth_header: str = "Authorization"
    bad_input_status: int | None = None
    tasks: dict[str, dict[str, Any]] = TASKS
    requests: int = 0


@dataclasses.dataclass(slots=True)
class RunningServer:
    base_url: str
    task_ids: list[str]
    _server: _Server

    def set_mutation(self, mutation: Mutation | None) -> None:
        self._server.mutation = mutation

    @property
    def requests(self) -> int:
        return self._server.requests


@contextlib.contextmanager
def serve(
    mutation: Mutation | None = None,
    *,
    token: str | None = None,
    auth_header: str = "Authorization",
    bad_input_status: int | None = None,
    tasks: dict[str, dict[str, Any]] | None = None,
    family: Family | None = None,
) -> Iterator[RunningServer]:
    """Run the correct server (or a mutant) on a free port of 127.0.0.1.

    `bad_input_status` replaces the 4xx the server gives to bad input (a mutant);
    `tasks` replaces the default store, keyed by id.
    """
    server = _Server(("127.0.0.1", 0), _Handler)
    server.family = family
    if tasks is not None:
        server.tasks = tasks
    server.mutation = mutation
    server.bad_input_status = bad_input_status
    server.token = token
    server.auth_header = auth_header
    # polled every 50 ms, so that shutdown() returns at once rather than after up to 0.5 s
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield RunningServer(f"http://{host!s}:{port}", list(server.tasks), server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


if __name__ == "__main__":  # pragma: no cover - manual runs and benchmarks
    import sys
    import time

    with serve() as running:
        print(running.base_url, " ".join(running.task_ids), flush=True)
        if len(sys.argv) > 1:
            time.sleep(float(sys.argv[1]))
        else:
            threading.Event().wait()
