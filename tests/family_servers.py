"""Servers that answer like each real family, written by hand from the facts page.

These are the tests' own oracle: they are NOT derived from the profiles (the overlays or
`mjspec serve --profile`), so a profile that says something its family does not do is
caught by them. Each family has its tasks, its way of reading the token, its media types
and its error answers (`../shared/facts/implementations.md`):

- new-api (Go): `buttons` null when none, `properties` null when not stored, customId,
  botType, maskBase64 always `""`, `videoUrl`/`videoUrls`, a just-submitted task with
  status `""`, "100%" on failure; Bearer optional, `sk-` stripped, `mj-api-secret`
  fallback; 400 `{"description", "type", "code"}`.
- midjourney-proxy (Java): no customId, botType, buttons, maskBase64; nulls before start,
  finish and failure; `mj-api-secret` only; Spring's 400/415 JSON, 401 empty; numeric ids
  coerced to strings.
- midjourney-proxy (C#): no customId, maskBase64; nulls before start/finish; dozens of
  extra fields; raw `Authorization` or `Mj-Api-Secret`; 401 text/plain; a bad body
  answered HTTP 200 with `{"success": false, "code": -1, ...}`; ids trimmed, blanks and
  duplicates dropped.

`Deviation`s (a function over the answer's tasks or the whole reply) add one thing a
family does not do, to prove a profile catches it.

`family_host()` runs one server that answers as whichever family (token, deviation, ...)
a test tells it to, so a module starts one server rather than one per test.
"""

from __future__ import annotations

import copy
import dataclasses
import hmac
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mjspec.spec import copy_tree
from tests.conform_servers import TASKS, serve

if TYPE_CHECKING:
    from tests.conform_servers import _Handler

PATH = "/mj/task/list-by-condition"
FINISHED = ("SUCCESS", "FAILURE", "CANCEL")
NOT_STARTED = ("NOT_START", "SUBMITTED")

Answer = tuple[int, str, bytes]
"""(status, Content-Type, body) as sent."""
Deviation = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _json(status: int, body: Any) -> Answer:
    return status, "application/json", json.dumps(body, ensure_ascii=False).encode()


def _base_tasks() -> list[dict[str, Any]]:
    return [copy.deepcopy(task) for task in TASKS.values()]


# -- the tasks each family sends -----------------------------------------------------


def new_api_tasks() -> dict[str, dict[str, Any]]:
    tasks = _base_tasks()
    just_submitted = dict(copy.deepcopy(tasks[3]), id="1730621826053460")
    just_submitted.update(status="", progress="0%", imageUrl="", description="Submit success")
    tasks.append(just_submitted)
    for task in tasks:
        task.update(customId="", botType="", maskBase64="", videoUrl="", videoUrls=None)
        if not task["buttons"]:
            task["buttons"] = None
        if task["status"] in ("NOT_START", ""):
            task["properties"] = None
        if task["status"] == "FAILURE":
            task["progress"] = "100%"
        if task["status"] != "SUCCESS":
            task["imageUrl"] = f"https://relay.example.com/mj/image/{task['id']}?rand=7"
    return {t["id"]: t for t in tasks}


def java_tasks() -> dict[str, dict[str, Any]]:
    tasks = _base_tasks()
    for task in tasks:
        for absent in ("customId", "botType", "buttons", "maskBase64"):
            del task[absent]
        status = task["status"]
        if status in NOT_STARTED:
            task["startTime"] = None
            task["promptEn"] = None
        if status not in FINISHED:
            task["finishTime"] = None
        if not task["imageUrl"]:
            task["imageUrl"] = None
        if status == "NOT_START":
            task["progress"] = None
        if status == "FAILURE":
            task["progress"] = ""
        else:
            task["failReason"] = None
        if not task["state"]:
            task["state"] = None
        properties = {"notifyHook": None, "nonce": "1302547211321741343", "flags": 0}
        if status != "NOT_START":
            properties["finalPrompt"] = task["properties"]["finalPrompt"]
        task["properties"] = properties
    return {t["id"]: t for t in tasks}


def csharp_tasks() -> dict[str, dict[str, Any]]:
    tasks = _base_tasks()
    modal = dict(copy.deepcopy(tasks[1]), id="1730621826053461", status="MODAL", progress="0%")
    tasks.append(modal)
    for task in tasks:
        del task["customId"], task["maskBase64"]
        status = task["status"]
        if status in (*NOT_STARTED, "MODAL"):
            task["startTime"] = None
        if status not in FINISHED:
            task["finishTime"] = None
            task["failReason"] = None
        if not task["imageUrl"]:
            task["imageUrl"] = None
        if not task["state"]:
            task["state"] = None
        if status == "FAILURE":
            task["progress"] = ""
        properties = {"botType": task["botType"], "remix": False, "discordChannelId": "1"}
        if status != "NOT_START":
            properties["finalPrompt"] = task["properties"]["finalPrompt"]
        task["properties"] = properties
        task.update(
            displays={"submitTime": "2024-10-16 17:59:24", "status": status},
            isCompleted=status in FINISHED,
            seed="",
            mode="FAST",
            imageUrls=[],
            videoUrls=[],
            instanceId="1302547211321741343",
        )
    return {t["id"]: t for t in tasks}


# -- the families ----------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class FamilyServer:
    """Implements `conform_servers.Family`: one family's way of answering."""

    name: str
    tasks: dict[str, dict[str, Any]]
    token: str | None = None
    deviation: Deviation | None = None
    error_as_200: bool = False
    """A deviation of the reply as a whole: a bad body answered 200 (the C# fork's way)."""
    any_method: bool = False
    """Answer GET, PUT and DELETE on the path with 200 (no family does)."""

    # Per family: overridden by the subclasses.
    def authorized(self, headers: Any) -> bool:
        raise NotImplementedError

    def unauthorized(self) -> Answer:
        raise NotImplementedError

    def bad_request(self, status: int, message: str) -> Answer:
        raise NotImplementedError

    def parse_ids(self, data: Any) -> list[str] | None:
        """The ids of a decoded JSON body, or None when the family refuses it."""
        if not isinstance(data, dict):
            return None
        ids = data.get("ids")
        if ids is None:
            return []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return None
        return ids

    def handle(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        if handler.path.split("?", 1)[0] != PATH:
            self._send(handler, _json(404, {"message": "not found"}))
            return
        if self.token is not None and not self.authorized(handler.headers):
            self._send(handler, self.unauthorized())
            return
        media_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media_type != "application/json":
            self._send(handler, self.bad_request(415, f"Content type '{media_type}' not supported"))
            return
        try:
            data = json.loads(raw) if raw.strip() else None
        except (ValueError, UnicodeDecodeError):
            data = ...
        ids = self.parse_ids(data) if data is not ... else None
        if ids is None:
            answer = self.bad_request(400, "invalid request body")
            if self.error_as_200:
                answer = _json(200, {"success": False, "code": -1, "description": "bad body"})
            self._send(handler, answer)
            return
        tasks = [copy_tree(self.tasks[i]) for i in dict.fromkeys(ids) if i in self.tasks]
        if self.deviation is not None:
            tasks = self.deviation(tasks)
        self._send(handler, _json(200, tasks))

    @staticmethod
    def _send(handler: _Handler, answer: Answer) -> None:
        status, content_type, body = answer
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


class NewApi(FamilyServer):
    def authorized(self, headers: Any) -> bool:
        given = headers.get("Authorization") or ""
        if not given or given == "midjourney-proxy":
            given = headers.get("mj-api-secret") or ""
        given = given.removeprefix("Bearer ").removeprefix("sk-")
        expected = (self.token or "").removeprefix("sk-")
        return hmac.compare_digest(given.encode(), expected.encode())

    def unauthorized(self) -> Answer:
        return _json(401, {"error": {"message": "invalid token", "type": "new_api_error"}})

    def bad_request(self, status: int, message: str) -> Answer:
        # new-api refuses form data with 400, not 415.
        return _json(400, {"description": message, "type": "upstream_error", "code": 4})


class Java(FamilyServer):
    def authorized(self, headers: Any) -> bool:
        given = headers.get("mj-api-secret") or ""
        return hmac.compare_digest(given.encode(), (self.token or "").encode())

    def unauthorized(self) -> Answer:
        return 401, "", b""

    def bad_request(self, status: int, message: str) -> Answer:
        error = "Bad Request" if status == 400 else "Unsupported Media Type"
        body = {"timestamp": "2024-11-03T08:17:06.053+00:00", "status": status, "error": error}
        return _json(status, {**body, "path": "/mj/task/list-by-condition"})

    def parse_ids(self, data: Any) -> list[str] | None:
        # Spring coerces numeric ids to strings.
        if isinstance(data, dict) and isinstance(data.get("ids"), list):
            ids = data["ids"]
            if all(isinstance(i, str | int) and not isinstance(i, bool) for i in ids):
                return [str(i) for i in ids]
        return super().parse_ids(data)


class Csharp(FamilyServer):
    def authorized(self, headers: Any) -> bool:
        given = headers.get("Authorization") or headers.get("Mj-Api-Secret") or ""
        return hmac.compare_digest(given.encode(), (self.token or "").encode())

    def unauthorized(self) -> Answer:
        return 401, "text/plain; charset=utf-8", b"Authorization header missing."

    def bad_request(self, status: int, message: str) -> Answer:
        if status == 415:
            return 415, "text/plain; charset=utf-8", message.encode()
        return _json(200, {"success": False, "code": -1, "description": message})

    def parse_ids(self, data: Any) -> list[str] | None:
        ids = super().parse_ids(data)
        if ids is None:
            return None
        return list(dict.fromkeys(i.strip() for i in ids if i.strip()))


FAMILIES: dict[str, Callable[..., FamilyServer]] = {
    "new-api": lambda **kw: NewApi("new-api", new_api_tasks(), **kw),
    "midjourney-proxy-java": lambda **kw: Java("midjourney-proxy-java", java_tasks(), **kw),
    "midjourney-proxy-csharp": lambda **kw: Csharp("midjourney-proxy-csharp", csharp_tasks(), **kw),
}

# Fields each family sends differently from the document (what `doc` must name, exactly).
DEVIATING_FIELDS: dict[str, set[str]] = {
    "new-api": {"buttons", "properties"},
    "midjourney-proxy-java": {
        "customId",
        "botType",
        "promptEn",
        "state",
        "startTime",
        "finishTime",
        "imageUrl",
        "progress",
        "failReason",
        "buttons",
        "maskBase64",
        "properties.finalPrompt",
        "properties.finalZhPrompt",
    },
    "midjourney-proxy-csharp": {
        "customId",
        "maskBase64",
        "state",
        "startTime",
        "finishTime",
        "imageUrl",
        "failReason",
        "properties.finalPrompt",
        "properties.finalZhPrompt",
    },
}


def make_family(
    name: str,
    *,
    token: str | None = None,
    deviation: Deviation | None = None,
    error_as_200: bool = False,
    any_method: bool = False,
) -> FamilyServer:
    """The way the family `name` answers (with a token it enforces, a deviation, ...)."""
    return FAMILIES[name](
        token=token, deviation=deviation, error_as_200=error_as_200, any_method=any_method
    )


@dataclasses.dataclass(slots=True)
class _Switch:
    """Implements `conform_servers.Family` by handing each request to the current family."""

    current: FamilyServer | None = None

    @property
    def any_method(self) -> bool:
        return self.current is not None and self.current.any_method

    def handle(self, handler: _Handler) -> None:
        if self.current is None:
            FamilyServer._send(handler, _json(503, {"message": "no family is being served"}))
            return
        self.current.handle(handler)


@dataclasses.dataclass(frozen=True, slots=True)
class Served:
    """One family, as served by a `FamilyHost`: where, and the ids of its tasks."""

    base_url: str
    task_ids: list[str]


@dataclasses.dataclass(slots=True)
class FamilyHost:
    """One server that answers as whichever family it is told to, in turn.

    Starting and stopping a server per test costs more than the test; a module starts
    one host and each test says which family (token, deviation, ...) it serves.
    """

    base_url: str
    _switch: _Switch

    @contextmanager
    def serving(
        self,
        name: str,
        *,
        token: str | None = None,
        deviation: Deviation | None = None,
        error_as_200: bool = False,
        any_method: bool = False,
    ) -> Iterator[Served]:
        family = make_family(
            name,
            token=token,
            deviation=deviation,
            error_as_200=error_as_200,
            any_method=any_method,
        )
        if self._switch.current is not None:
            raise RuntimeError(f"the host already serves {self._switch.current.name}")
        self._switch.current = family
        try:
            yield Served(self.base_url, list(family.tasks))
        finally:
            self._switch.current = None


@contextmanager
def family_host() -> Iterator[FamilyHost]:
    """Run a `FamilyHost` on a free port of 127.0.0.1."""
    switch = _Switch()
    with serve(tasks={}, family=switch) as running:
        yield FamilyHost(running.base_url, switch)
