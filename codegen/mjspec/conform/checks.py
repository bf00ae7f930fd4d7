"""Checks over one answer, as plain functions: no I/O, failures are data.

`check_ok_answer` judges a 200 answer of the operation: Content-Type, shape (an
array of objects), meaning (only asked-for tasks, every known asked-for task),
and every required field path of every task (`observe_task`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, Literal

from mjspec.conform.fastcheck import FastTasks
from mjspec.conform.fields import FieldSpec, json_type, type_matches

FieldStatus = Literal["ok", "absent", "missing", "null", "wrong_type"]

# Names of the checks, as they appear in reports (severities: `severity.py`).
FIELD = "field"
SHAPE = "shape"
CONTENT_TYPE = "content_type"
UNREQUESTED_TASK = "unrequested_task"
MISSING_KNOWN_TASK = "missing_known_task"
ERROR_AS_200 = "error_as_200"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FieldObservation:
    """One field path seen (or looked for) in one task."""

    path: str
    """The spec path, e.g. `buttons[].style`."""
    location: str
    """Where in the task, e.g. `buttons[3].style`."""
    status: FieldStatus
    value: Any = None
    task_id: Any = None
    """The `id` of the task it was seen in, whatever its type."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """A check that did not hold, before it is tied to a request."""

    check: str
    message: str
    field: str | None = None
    key: str = ""
    """Tells findings of one check apart: the defect of a field, the Content-Type seen."""


@dataclasses.dataclass(slots=True, kw_only=True)
class AnswerVerdict:
    """What one 200 answer showed."""

    observations: list[FieldObservation] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    tasks_checked: int = 0
    error_answer: bool = False
    """The body is an error object the profile allows in a 200 answer (the C# fork's)."""
    returned: set[str] = dataclasses.field(default_factory=set)
    """The ids of the tasks in the answer."""
    counts: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    """ok/absent counts per path of the tasks that took the fast path (no observations)."""


def is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class NotAnObject:
    """Stands for a field whose array item is not an object (`buttons: ["U5"]`)."""

    def __init__(self, item: Any) -> None:
        self.item = item

    def __repr__(self) -> str:
        return f"an item that is not an object: {self.item!r}"


def _locate(task: Any, steps: Sequence[str]) -> Iterator[tuple[str, bool, Any]]:
    """(location, present, value) of every place the steps reach.

    A parent field that is missing, null or not a container yields nothing: the
    parent's own observation reports it. An array item that should be an object and
    is not has no observation of its own, so each field under it is reported there,
    with a `NotAnObject` value.
    """
    spots: list[tuple[str, Any]] = [("", task)]
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        following: list[tuple[str, Any]] = []
        for location, value in spots:
            if step == "[]":
                if isinstance(value, list):
                    following.extend((f"{location}[{i}]", item) for i, item in enumerate(value))
                continue
            where = f"{location}.{step}" if location else step
            if not isinstance(value, dict):
                if index > 0 and steps[index - 1] == "[]":
                    yield where, True, NotAnObject(value)
                continue
            if step in value:
                following.append((where, value[step]))
            elif last:
                yield where, False, None
        spots = following
    for location, value in spots:
        yield location, True, value


def _locate_plain(task: Any, steps: Sequence[str]) -> Iterator[tuple[str, bool, Any]]:
    """`_locate` for a path without arrays (most fields): plain dictionary lookups."""
    value = task
    for index, step in enumerate(steps):
        if not isinstance(value, dict):
            return
        if step not in value:
            if index == len(steps) - 1:
                yield ".".join(steps), False, None
            return
        value = value[step]
    yield ".".join(steps), True, value


Located = dict[tuple[int, tuple[str, ...]], list[tuple[str, bool, Any]]]
"""Where each path was found in each task of one answer, shared by the profiles judging it."""


def observe_task(
    task: dict[str, Any], fields: Sequence[FieldSpec], located: Located | None = None
) -> list[FieldObservation]:
    """Every documented field path of one task: ok, absent, missing, null or the wrong type.

    `located` caches the walks, keyed by the task object: several profiles judging the
    same decoded answer walk it once.
    """
    observations = []
    task_id = task.get("id")
    for spec in fields:
        key = (id(task), spec.steps)
        spots = located.get(key) if located is not None else None
        if spots is None:
            locate = _locate if "[]" in spec.steps else _locate_plain
            spots = list(locate(task, spec.steps))
            if located is not None:
                located[key] = spots
        for location, present, value in spots:
            status: FieldStatus
            if not present:
                status = "missing" if spec.required else "absent"
            elif isinstance(value, NotAnObject):
                status = "wrong_type"
            elif value is None and "null" not in spec.types:
                status = "null"
            elif type_matches(value, spec.types):
                status = "ok"
            else:
                status = "wrong_type"
            observations.append(
                FieldObservation(
                    path=spec.path, location=location, status=status, value=value, task_id=task_id
                )
            )
    return observations


def describe(observation: FieldObservation, spec: FieldSpec, task_id: object) -> str:
    where = f"{observation.location} of task {task_id!r}"
    if observation.status == "missing":
        return f"{where} is missing (documented: required {spec.type_name})"
    if observation.status == "absent":
        return f"{where} is absent (documented: optional {spec.type_name})"
    if observation.status == "null":
        return f"{where} is null (documented: {spec.type_name}, not nullable)"
    if isinstance(observation.value, NotAnObject):
        item = observation.value.item
        parent = observation.location.rpartition(".")[0]
        return (
            f"{parent} of task {task_id!r} is a JSON {json_type(item)} ({item!r:.60}), "
            f"documented: an object with a required {spec.type_name} {spec.path.rpartition('.')[2]}"
        )
    shown = repr(observation.value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return (
        f"{where} is a JSON {json_type(observation.value)} ({shown}), documented: {spec.type_name}"
    )


def _content_type_problem(content_type: str | None) -> Problem | None:
    if is_json_media_type(content_type):
        return None
    return Problem(
        check=CONTENT_TYPE,
        key=str(content_type),
        message=f"a 200 answer has Content-Type {content_type or '(none)'!r}, "
        "documented: application/json",
    )


def check_fast(
    *,
    content_type: str | None,
    content: bytes,
    fast: FastTasks,
    requested: Collection[str] | None,
    known: Collection[str],
) -> AnswerVerdict | None:
    """`check_ok_answer` for an answer whose every task decodes cleanly; None otherwise.

    Then every documented field of every task conforms: only counts, returned ids and
    which tasks came back remain to be judged.
    """
    tasks = fast.decode(content)
    if tasks is None:
        return None
    verdict = AnswerVerdict(tasks_checked=len(tasks))
    problem = _content_type_problem(content_type)
    if problem is not None:
        verdict.problems.append(problem)
    fast.count(tasks, verdict.counts)
    ids = [fast.task_id(task) for task in tasks]
    _judge_returned(verdict, [i for i in ids if isinstance(i, str)], requested, known)
    return verdict


def _judge_returned(
    verdict: AnswerVerdict,
    ids: Sequence[str],
    requested: Collection[str] | None,
    known: Collection[str],
) -> None:
    returned = set(ids)
    verdict.returned = returned
    if requested is None:
        return
    for task_id in dict.fromkeys(ids):
        if task_id not in requested:
            verdict.problems.append(
                Problem(
                    check=UNREQUESTED_TASK,
                    message=f"task {task_id!r} came back but was not asked for",
                )
            )
    for task_id in sorted(set(requested) & set(known) - returned):
        verdict.problems.append(
            Problem(
                check=MISSING_KNOWN_TASK,
                key=task_id,
                message=f"task {task_id!r} is known to the server (--task-id) and was "
                "asked for, but did not come back",
            )
        )


def check_ok_answer(
    *,
    content_type: str | None,
    body: Any,
    fields: Sequence[FieldSpec],
    requested: Collection[str] | None,
    known: Collection[str],
    error_schemas: Sequence[Mapping[str, Any]] = (),
    located: Located | None = None,
    fast: FastTasks | None = None,
) -> AnswerVerdict:
    """Judge a decoded 200 answer.

    `requested` is None when the request was not a valid list of string ids
    (negative cases): then which tasks came back is not judged. `error_schemas` are
    the error objects a profile allows in a 200 answer: fine for bad input, a failure
    for a valid request.
    """
    verdict = AnswerVerdict()
    problem = _content_type_problem(content_type)
    if problem is not None:
        verdict.problems.append(problem)
    if isinstance(body, dict) and any(_matches(body, schema) for schema in error_schemas):
        verdict.error_answer = True
        if requested is not None:
            verdict.problems.append(
                Problem(
                    check=ERROR_AS_200,
                    message="a valid request was answered HTTP 200 with an error object: "
                    f"{short(body)}",
                )
            )
        return verdict
    if isinstance(body, dict):
        verdict.problems.append(
            Problem(
                check=SHAPE,
                message="the 200 body is a single JSON object, not an array of tasks "
                "(the documentation page's example shows one object; the contract is an array)",
            )
        )
        return verdict
    if not isinstance(body, list):
        verdict.problems.append(
            Problem(
                check=SHAPE,
                message=f"the 200 body is a JSON {json_type(body)}, documented: an array of tasks",
            )
        )
        return verdict
    by_path = {spec.path: spec for spec in fields}
    returned: list[str] = []
    for index, task in enumerate(body):
        if not isinstance(task, dict):
            verdict.problems.append(
                Problem(
                    check=SHAPE,
                    message=f"element {index} of the 200 array is a JSON {json_type(task)}, "
                    "documented: a task object",
                )
            )
            continue
        verdict.tasks_checked += 1
        task_id = task.get("id")
        converted = fast.convert(task) if fast is not None else None
        if fast is not None and converted is not None:  # conforms: counted, not walked
            fast.count([converted], verdict.counts)
        for observation in () if converted is not None else observe_task(task, fields, located):
            verdict.observations.append(observation)
            if observation.status not in ("ok", "absent"):
                spec = by_path[observation.path]
                verdict.problems.append(
                    Problem(
                        check=FIELD,
                        field=observation.path,
                        key=observation.status,
                        message=describe(observation, spec, task_id),
                    )
                )
        if isinstance(task_id, str):
            returned.append(task_id)
    _judge_returned(verdict, returned, requested, known)
    return verdict


def _matches(value: Any, schema: Mapping[str, Any]) -> bool:
    from jsonschema import Draft202012Validator

    return bool(Draft202012Validator(dict(schema)).is_valid(value))


def short(value: Any, limit: int = 120) -> str:
    """A JSON value in at most `limit` characters, for a message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."
