"""What one task's fields must say of each other, beyond their types (pure, as data).

Every field well typed is necessary, not sufficient: a SUCCESS task without an image is
well typed and wrong. These are the semantics of a few named fields (`status`,
`progress`, `imageUrl`, `failReason` and the three times), each invariant a named check
whose severity is in the one table (`severity.py`, warnings by default) and which a
profile may turn off (`x-mjspec-severities`) where its family bends it by design.

An invariant is skipped for a task whose fields it reads are absent, null or of another
JSON type: the field checks report those, and guessing here would only repeat them.
A time is "set" when it is a positive integer: real servers send null, `0` or nothing
for a time that has not come (Java and C# null, new-api `0`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from typing import Any

TERMINAL = ("SUCCESS", "FAILURE")
"""Statuses a task never leaves: its every field is settled (`consistency.py`)."""
TIMES = ("submitTime", "startTime", "finishTime")

Applies = Callable[[Mapping[str, Any]], bool]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Invariant:
    """One rule over a task's fields: its check's name, the field it blames, its meaning."""

    check: str
    field: str
    """The field a finding names (the one whose value contradicts the others)."""
    description: str
    applies: Applies
    """Whether the rule says anything of the task (a FAILURE rule of a SUCCESS task: no)."""
    broken: Callable[[Mapping[str, Any]], str | None]
    """What is wrong with a task the rule applies to, shown after its id; None: it holds."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Broken:
    """An invariant a task does not hold."""

    check: str
    field: str
    task_id: str
    message: str


def _text(task: Mapping[str, Any], name: str) -> str | None:
    value = task.get(name)
    return value if isinstance(value, str) else None


def _time(task: Mapping[str, Any], name: str) -> int | None:
    """A time that is set: a positive integer (null, 0, absent or a wrong type: unset)."""
    value = task.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _status(task: Mapping[str, Any]) -> str | None:
    return _text(task, "status")


def _status_and(status: str, field: str = "", *, text: bool = False) -> Applies:
    """A rule of the tasks in `status` that carry `field` (with `text`: as a string)."""

    def applies(task: Mapping[str, Any]) -> bool:
        if _status(task) != status or (field and field not in task):
            return False
        return not text or _text(task, field) is not None

    return applies


def _two_times_set(task: Mapping[str, Any]) -> bool:
    return sum(_time(task, name) is not None for name in TIMES) >= 2


# What each rule finds wrong with a task it applies to (`Invariant.applies` said so).


def _success_image(task: Mapping[str, Any]) -> str | None:
    url = task["imageUrl"]
    if url is None or url == "":
        return f"is SUCCESS with imageUrl {'null' if url is None else repr(url)}"
    return None


def _success_progress(task: Mapping[str, Any]) -> str | None:
    progress = task["progress"]
    if progress == "100%":
        return None
    return f'is SUCCESS with progress {progress!r} (documented: "100%" on success)'


def _failure_reason(task: Mapping[str, Any]) -> str | None:
    reason = task["failReason"]
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        return f"is FAILURE with failReason {'null' if reason is None else repr(reason)}"
    return None


def _failure_progress(task: Mapping[str, Any]) -> str | None:
    if task["progress"] == "100%":
        return 'is FAILURE with progress "100%" (a client takes "100%" for done)'
    return None


def _time_order(task: Mapping[str, Any]) -> str | None:
    times = [(name, _time(task, name)) for name in TIMES]
    set_ = [(name, value) for name, value in times if value is not None]
    for (before, early), (after, late) in itertools.pairwise(set_):
        if early > late:
            return f"has {before} {early} after {after} {late}"
    return None


def _not_started(task: Mapping[str, Any]) -> str | None:
    for name in ("startTime", "finishTime"):
        value = _time(task, name)
        if value is not None:
            return f"is NOT_START with {name} {value} (documented: null, 0 or absent before it)"
    return None


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        check="invariant_success_image",
        field="imageUrl",
        description="a SUCCESS task has a non-empty imageUrl (its result)",
        applies=_status_and("SUCCESS", "imageUrl"),
        broken=_success_image,
    ),
    Invariant(
        check="invariant_success_progress",
        field="progress",
        description='a SUCCESS task reports progress "100%"',
        applies=_status_and("SUCCESS", "progress", text=True),
        broken=_success_progress,
    ),
    Invariant(
        check="invariant_failure_reason",
        field="failReason",
        description="a FAILURE task says why in a non-empty failReason",
        applies=_status_and("FAILURE", "failReason"),
        broken=_failure_reason,
    ),
    Invariant(
        check="invariant_failure_progress",
        field="progress",
        description='a FAILURE task does not report progress "100%"',
        applies=_status_and("FAILURE", "progress", text=True),
        broken=_failure_progress,
    ),
    Invariant(
        check="invariant_time_order",
        field="startTime",
        description="submitTime <= startTime <= finishTime, wherever they are set",
        applies=_two_times_set,
        broken=_time_order,
    ),
    Invariant(
        check="invariant_not_started",
        field="startTime",
        description="a NOT_START task has neither a startTime nor a finishTime",
        applies=_status_and("NOT_START"),
        broken=_not_started,
    ),
)


def judge_task(
    task: Mapping[str, Any], invariants: tuple[Invariant, ...] = INVARIANTS
) -> tuple[list[str], list[Broken]]:
    """The checks of the invariants that say something of `task` (held or not), and those
    it breaks; a task without a string id: none."""
    task_id = task.get("id")
    if not isinstance(task_id, str):
        return [], []
    applied: list[str] = []
    broken: list[Broken] = []
    for invariant in invariants:
        if not invariant.applies(task):
            continue
        applied.append(invariant.check)
        what = invariant.broken(task)
        if what is not None:
            message = f"task {task_id!r} {what}: {invariant.description}"
            broken.append(
                Broken(
                    check=invariant.check, field=invariant.field, task_id=task_id, message=message
                )
            )
    return applied, broken


def applicable(task: Mapping[str, Any]) -> list[str]:
    """The checks of the invariants that say something of `task` (judged, held or not)."""
    return judge_task(task)[0]


def broken_invariants(
    task: Mapping[str, Any], invariants: tuple[Invariant, ...] = INVARIANTS
) -> list[Broken]:
    """Every invariant `task` does not hold (a task without a string id: none)."""
    return judge_task(task, invariants)[1]
