"""The findings ledger of one profile: findings kept once each, field tallies, counts.

A finding is kept once per (severity, check, field, key); of several requests showing
the same finding, the smallest is kept as its reproduction. Severities come from the
one table (`severity.py`) with the profile's overrides; nothing here decides them.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mjspec.conform.checks import MISSING_KNOWN_TASK, FieldObservation, NotAnObject
from mjspec.conform.fields import FieldSpec
from mjspec.conform.report import FieldResult, Finding
from mjspec.conform.session import Exchange, Masker
from mjspec.conform.severity import Severity, severity_of


@dataclasses.dataclass(slots=True)
class _Kept:
    finding: Finding
    severity: Severity
    size: int


class Ledger:
    """What one profile made of a run's exchanges."""

    def __init__(
        self, fields: Sequence[FieldSpec], severities: Mapping[str, Severity], masker: Masker
    ) -> None:
        self._results = {
            f.path: FieldResult(
                path=f.path,
                type_name=f.type_name,
                required=f.required,
                expected=f.expected,
                seen_in=f.seen_in,
            )
            for f in fields
        }
        self._severities = dict(severities)
        self._masker = masker
        self._kept: dict[tuple[str, ...], _Kept] = {}
        self.tasks_checked = 0
        self.statuses: Counter[int] = Counter()  # of the POSTs to the operation
        self.refused = 0
        self.exchanges = 0
        self.returned: set[str] = set()
        """Every task id seen in any answer."""
        self.asked: set[str] = set()
        """Every id asked for in a valid request that was answered 200."""
        self.judged: Counter[str] = Counter()
        """Per check of a task's invariants, the task sightings it said something of."""

    def severity(self, check: str) -> Severity:
        return severity_of(check, self._severities)

    def record(
        self,
        check: str,
        message: str,
        *,
        exchange: Exchange | None = None,
        key: str = "",
        field: str | None = None,
        status_code: int | None = None,
        reproduce: str | None = None,
        size: int | None = None,
        render: Callable[[], str] | None = None,
    ) -> Severity:
        """Keep a finding (the smallest request wins); returns its severity.

        A finding of several requests (a task that differs between two answers) gives
        their total `size` and a `render` of their reproductions, called only when kept.
        """
        severity = self.severity(check)
        if severity == "off":  # the profile's family does this by design
            return severity
        if size is None:
            size = exchange.size if exchange is not None else len(reproduce or "")
        ident = (severity, check, field or "", key)
        kept = self._kept.get(ident)
        if kept is not None and kept.size <= size:
            return severity
        if render is not None:
            reproduce = self._masker.text(render())
        elif exchange is not None:
            reproduce = exchange.reproduce()
        finding = Finding(
            check=check,
            message=self._masker.text(message),
            field=field,
            reproduce=reproduce,
            status_code=status_code if status_code is not None else _status(exchange),
        )
        self._kept[ident] = _Kept(finding, severity, size)
        return severity

    def observe(self, observation: FieldObservation) -> None:
        result = self._results.get(observation.path)
        if result is None:
            return
        result.counts[observation.status] += 1
        bad = observation.status not in ("ok", "absent")
        if result.example is None or (bad and result.example.get("status") in ("ok", "absent")):
            example: dict[str, Any] = {
                "status": observation.status,
                "task": observation.task_id,
                "location": observation.location,
            }
            if isinstance(observation.value, NotAnObject):
                example["value"] = observation.value.item
            elif observation.status not in ("missing", "absent"):
                example["value"] = observation.value
            # A server may echo the credentials into a field; reports never carry them.
            result.example = self._masker.value(example)

    def count(self, counts: Mapping[str, Mapping[str, int]]) -> None:
        """Tallies of tasks that took the fast path: every field ok or absent."""
        for path, tally in counts.items():
            result = self._results.get(path)
            if result is not None:
                for status, number in tally.items():
                    result.counts[status] += number

    def field_results(self) -> list[FieldResult]:
        return list(self._results.values())

    def never_returned(self, known: Sequence[str]) -> list[str]:
        """Ids given as known that no answer ever held, even asked alone: mistyped?"""
        return [t for t in known if t in self.asked and t not in self.returned]

    def findings(
        self, *, strict: bool, known: Sequence[str] = ()
    ) -> tuple[list[Finding], list[Finding]]:
        """(failures, warnings); under `strict` every warning is a failure too.

        A known id that never came back in any answer is the user's doubt, not the
        server's failure (`never_returned`); one that came back alone but went missing
        from a larger answer stays a failure.
        """
        never = set(self.never_returned(known))
        kept = [
            k
            for key, k in self._kept.items()
            if not (k.finding.check == MISSING_KNOWN_TASK and key[3] in never)
        ]
        failures = [k.finding for k in kept if k.severity == "failure"]
        warnings = [k.finding for k in kept if k.severity == "warning"]
        if self.tasks_checked == 0:
            # The server knew none of the ids: that is "inconclusive", not a missing task.
            failures = [f for f in failures if f.check != MISSING_KNOWN_TASK]
        if strict:
            return failures + warnings, []  # under --strict they are failures, listed once
        return failures, warnings


def _status(exchange: Exchange | None) -> int | None:
    return exchange.status if exchange is not None else None
