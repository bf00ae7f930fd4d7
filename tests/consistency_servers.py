"""Servers whose answers are well typed and wrong: mutations of `tests.conform_servers`.

Every task these servers send has every documented field, of the documented type; what is
wrong is only visible by comparing answers with each other or a task's fields with each
other. They serve `PROOF_TASKS`: the first of the reference server's default tasks
(`refdata`, from the spec's `x-known-values`) in each status, which differ from each other
in every stable field, so that a value copied from another task always shows.

- `batched_copy`: asked for several ids, each task after the first is a copy of the first,
  its id excepted (the classic batched-query bug); asked for one id, the right task.
- `stale_copy(field)`: the same, for one field only.
- `duplicated`: the first task of every answer comes back twice.
- `INVARIANT_MUTANTS`: one per invariant of `mjspec.conform.invariants`, each breaking
  only that one, in every task whose status it is about.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from mjspec.serve.refdata import task_dicts
from tests.conform_servers import Mutation, Reply
from tests.helpers_conform import checkout_profiles

Edit = Callable[[dict[str, Any]], None]


def one_per_status(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first task of each status: every status and field seen, in few requests."""
    return list({task["status"]: task for task in reversed(tasks)}.values())[::-1]


def proof_tasks() -> dict[str, dict[str, Any]]:
    """The reference server's tasks, one per status, each with a mask of its own (else `""`)."""
    tasks = one_per_status(task_dicts(checkout_profiles()["doc"].document))
    for n, task in enumerate(tasks):
        task["maskBase64"] = f"bWFzay0{n:03d}"
    return {task["id"]: task for task in tasks}


PROOF_TASKS = proof_tasks()


def _tasks(reply: Reply) -> list[dict[str, Any]]:
    body = reply.body
    return [t for t in body if isinstance(t, dict)] if isinstance(body, list) else []


def stale_copy(field: str | None = None) -> Mutation:
    """Several ids asked: every task after the first gets the first's `field` (None: all but id)."""

    def mutate(reply: Reply) -> Reply:
        tasks = _tasks(reply)
        if len(tasks) > 1:
            first = tasks[0]
            for task in tasks[1:]:
                if field is None:
                    task.update({k: copy.deepcopy(v) for k, v in first.items() if k != "id"})
                else:
                    task[field] = copy.deepcopy(first[field])
        return reply

    return mutate


batched_copy = stale_copy()


def duplicated(reply: Reply) -> Reply:
    tasks = _tasks(reply)
    if tasks:
        reply.body = [*reply.body, copy.deepcopy(tasks[0])]
    return reply


@dataclasses.dataclass(frozen=True, slots=True)
class InvariantMutant:
    check: str
    """The invariant's check, which must report it."""
    field: str
    """The field its finding must name."""
    status: str
    """The tasks it breaks."""
    edit: Edit

    def mutation(self) -> Mutation:
        def mutate(reply: Reply) -> Reply:
            for task in _tasks(reply):
                if task.get("status") == self.status:
                    self.edit(task)
            return reply

        return mutate


def _set(**values: Any) -> Edit:
    def edit(task: dict[str, Any]) -> None:
        task.update(values)

    return edit


def _finished_before_start(task: dict[str, Any]) -> None:
    task["finishTime"] = task["startTime"] - 1_000


def _started(task: dict[str, Any]) -> None:
    task["startTime"] = task["submitTime"] + 1_000


INVARIANT_MUTANTS = (
    InvariantMutant("invariant_success_image", "imageUrl", "SUCCESS", _set(imageUrl="")),
    InvariantMutant("invariant_success_progress", "progress", "SUCCESS", _set(progress="99%")),
    InvariantMutant("invariant_failure_reason", "failReason", "FAILURE", _set(failReason="")),
    InvariantMutant("invariant_failure_progress", "progress", "FAILURE", _set(progress="100%")),
    InvariantMutant("invariant_time_order", "startTime", "SUCCESS", _finished_before_start),
    InvariantMutant("invariant_not_started", "startTime", "NOT_START", _started),
)
