"""Compare a run's answers with each other (pure): the same task, asked alone and together.

A run asks for the known ids alone and together, in the fixed probes and in the
generated cases, so every task is seen in several answers. A server that fills a batched
answer from the wrong rows (each task a copy of another, the id excepted) answers every
request with well-typed tasks, and only a comparison shows it. Per profile, a `Tracker`
keeps each task id's first sighting (its values and the answer it came in) and its first
sighting in a terminal status, and compares every later sighting with them:

- a field marked `x-mjspec-stable: true` in the profile's spec (id, action, prompt,
  submitTime, ...) never changes during a task's life: it must be equal in every answer;
- once a task has ended (`invariants.TERMINAL`: SUCCESS, FAILURE) every documented field
  is settled and must be equal in every later answer, but for a field marked
  `x-mjspec-stable: false` (one a family varies from answer to answer: new-api's
  `imageUrl?rand=`);
- a task that comes back more than once in one answer is a duplicate.

Only top-level fields are compared, each as a whole JSON value (`buttons` with its
buttons), strictly: `1`, `1.0` and `true` differ. The answers are the 200 answers to
valid requests; an answer's repeated task is compared once.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Generic, TypeVar

from mjspec.conform.fields import FieldSpec
from mjspec.conform.invariants import TERMINAL

Origin = TypeVar("Origin")
"""Where a sighting came from (the judge's exchange); opaque here."""


class _Absent:
    def __repr__(self) -> str:
        return "absent"


ABSENT: Any = _Absent()
"""The value of a field a task does not have."""


@dataclasses.dataclass(frozen=True, slots=True)
class Compared:
    """A top-level field and how stable its spec says it is."""

    name: str
    stable: bool | None
    """True: never changes; None: settled once the task ends; False: may differ anywhere."""


def compared_fields(fields: Sequence[FieldSpec]) -> tuple[Compared, ...]:
    """The top-level documented fields of a profile, with their stability."""
    return tuple(Compared(f.path, f.stable) for f in fields if len(f.steps) == 1)


@dataclasses.dataclass(frozen=True, slots=True)
class Difference(Generic[Origin]):
    """One field of one task, different in two answers."""

    task_id: str
    field: str
    before: Any
    after: Any
    first: Origin
    """The earlier answer."""
    then: Origin
    """The later answer."""
    settled: bool
    """The field may change while the task runs; it differs after the task ended."""


@dataclasses.dataclass(frozen=True, slots=True)
class Duplicate:
    """A task that came back `count` times in one answer, asked for `asked` times."""

    task_id: str
    count: int
    asked: int


@dataclasses.dataclass(slots=True)
class _Sighting(Generic[Origin]):
    values: dict[str, Any]
    origin: Origin


def same(a: Any, b: Any) -> bool:
    """JSON values equal, types included (Python's `1 == 1.0 == True` is not JSON's)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class Tracker(Generic[Origin]):
    """Every task id's first sighting (and first in a terminal status), for one profile."""

    def __init__(self, fields: Sequence[FieldSpec]) -> None:
        compared = compared_fields(fields)
        self._names = tuple(c.name for c in compared)
        self._stable = tuple(c.name for c in compared if c.stable is True)
        self._settling = tuple(c.name for c in compared if c.stable is None)
        self._first: dict[str, _Sighting[Origin]] = {}
        self._settled: dict[str, _Sighting[Origin]] = {}
        self._again: set[str] = set()
        self.answers = 0
        """Answers that held at least one task."""
        self.comparisons = 0
        """Sightings of a task compared with its earlier ones."""

    @property
    def tasks_compared(self) -> int:
        """Task ids seen in more than one answer."""
        return len(self._again)

    def observe(
        self, tasks: Sequence[Any], origin: Origin, asked: Collection[str] = ()
    ) -> tuple[list[Difference[Origin]], list[Duplicate]]:
        """Compare one answer's tasks with the answers before it; remember what is new."""
        firsts: dict[str, Mapping[str, Any]] = {}
        counts: Counter[str] = Counter()
        for task in tasks:
            if isinstance(task, dict) and isinstance(task.get("id"), str):
                counts[task["id"]] += 1
                firsts.setdefault(task["id"], task)
        asked_counts = Counter(asked)
        duplicates = [
            Duplicate(task_id, count, asked_counts[task_id])
            for task_id, count in counts.items()
            if count > 1
        ]
        if firsts:
            self.answers += 1
        differences: list[Difference[Origin]] = []
        for task_id, task in firsts.items():
            values = {name: task.get(name, ABSENT) for name in self._names}
            ended = task.get("status") in TERMINAL
            first = self._first.get(task_id)
            if first is None:
                sighting = _Sighting(values, origin)
                self._first[task_id] = sighting
                if ended:
                    self._settled[task_id] = sighting
                continue
            self._again.add(task_id)
            self.comparisons += 1
            differences += self._compare(task_id, self._stable, first, values, origin, False)
            settled = self._settled.get(task_id)
            if settled is not None:
                differences += self._compare(task_id, self._settling, settled, values, origin, True)
            elif ended:
                self._settled[task_id] = _Sighting(values, origin)
        return differences, duplicates

    @staticmethod
    def _compare(
        task_id: str,
        names: Sequence[str],
        earlier: _Sighting[Origin],
        values: Mapping[str, Any],
        origin: Origin,
        settled: bool,
    ) -> list[Difference[Origin]]:
        return [
            Difference(
                task_id, name, earlier.values[name], values[name], earlier.origin, origin, settled
            )
            for name in names
            if not same(earlier.values[name], values[name])
        ]
