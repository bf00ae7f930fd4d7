"""The compatibility matrix of a run: rows of fields and checks, a column per profile (pure).

Every report format (terminal, Markdown, HTML) prints this one structure, so they
always agree. A cell's `state` is what a reader needs at a glance: `ok`, `fail`,
`warn`, `unseen` (nothing to judge), or `na` (the row does not apply to the profile);
its `text` says what was seen (`null in 23 of 61`, `refused (401)`).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from mjspec.conform.report import BAD_STATUSES, Report
from mjspec.conform.severity import CHECKS

State = Literal["ok", "fail", "warn", "unseen", "na"]
RowKind = Literal["field", "auth", "media", "check"]


@dataclasses.dataclass(frozen=True, slots=True)
class Cell:
    state: State
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    kind: RowKind
    label: str
    cells: dict[str, Cell]
    detail: str = ""
    """What the row is (the field's documented type, the check's meaning)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Matrix:
    profiles: list[str]
    verdicts: dict[str, str]
    rows: list[Row]
    summary: str


# Checks shown as rows even when nothing was found, so every profile gets a cell.
_ALWAYS = ("server_error", "error_answer", "missing_known_task")


def _field_cell(status: str, bad: int, seen: int) -> Cell:
    if status in BAD_STATUSES:
        return Cell("fail", f"{status.replace('_', ' ')} in {bad} of {seen}")
    if status == "ok":
        return Cell("ok", f"ok ({seen})")
    if status == "absent":
        return Cell("ok", f"absent ({seen})")
    return Cell("unseen", "unseen")


def build(report: Report) -> Matrix:
    names = list(report.profiles)
    rows: list[Row] = []
    # Fields: every documented path of any profile, in the order the profiles list them.
    paths: dict[str, str] = {}
    for result in report.profiles.values():
        for field in result.fields:
            paths.setdefault(field.path, field.type_name)
    by_profile = {
        name: {f.path: f for f in result.fields} for name, result in report.profiles.items()
    }
    for path, type_name in paths.items():
        cells: dict[str, Cell] = {}
        details = []
        for name in names:
            found_field = by_profile[name].get(path)
            if found_field is None:
                cells[name] = Cell("na", "not documented")
                continue
            cells[name] = _field_cell(found_field.status, found_field.bad, found_field.seen)
            kind = "required" if found_field.required else "optional"
            details.append(f"{name}: {kind} {found_field.type_name}")
        rows.append(Row("field", path, cells, detail="; ".join(details) or type_name))
    # Ways of sending the token, as probed once each.
    for probe in report.auth:
        seen = f"accepted ({probe.status})" if probe.accepted else f"refused ({probe.status})"
        cells = {}
        for name in names:
            if name not in probe.declared_by:
                cells[name] = Cell("na", seen)
            else:
                cells[name] = Cell("ok" if probe.accepted else "fail", seen)
        rows.append(Row("auth", f"auth: {probe.way}", cells, detail="the token sent this way"))
    # Request media types, as the probes found them.
    for media in report.media:
        cells = {}
        for name in names:
            declared = name in media.declared_by
            parsed = media.status is not None and 200 <= media.status < 300
            seen = f"parsed ({media.status})" if parsed else f"rejected ({media.status})"
            if declared:
                cells[name] = Cell("ok" if parsed else "warn", seen)
            else:
                cells[name] = Cell("ok", f"{seen}, not declared")
        rows.append(Row("media", f"body: {media.media_type}", cells, detail="request media type"))
    # Checks other than the per-field one: counts of distinct findings per profile.
    found: dict[str, dict[str, tuple[int, int]]] = {}
    for name, result in report.profiles.items():
        for finding in result.failures:
            if finding.check != "field":
                fail, warn = found.setdefault(finding.check, {}).get(name, (0, 0))
                found[finding.check][name] = (fail + 1, warn)
        for finding in result.warnings:
            if finding.check != "field":
                fail, warn = found.setdefault(finding.check, {}).get(name, (0, 0))
                found[finding.check][name] = (fail, warn + 1)
    order = [c for c in CHECKS if c in found or c in _ALWAYS]
    order += sorted(c for c in found if c not in CHECKS)
    for check in order:
        cells = {}
        for name in names:
            fail, warn = found.get(check, {}).get(name, (0, 0))
            if fail:
                cells[name] = Cell("fail", f"failing ({fail})")
            elif warn:
                cells[name] = Cell("warn", f"warning ({warn})")
            else:
                cells[name] = Cell("ok", "ok")
        meaning = CHECKS[check].meaning if check in CHECKS else ""
        rows.append(Row("check", check, cells, detail=meaning))
    verdicts: dict[str, str] = {name: r.verdict for name, r in report.profiles.items()}
    return Matrix(profiles=names, verdicts=verdicts, rows=rows, summary=report.summary())
