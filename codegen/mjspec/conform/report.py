"""The result of a conformance run: dataclasses, the verdict, JSON and JUnit XML.

Verdicts and exit codes: `pass` (0), `fail` (1: a contract failure, or with
`--strict` any warning), `inconclusive` (2: nothing could be judged - no task
was ever checked, or every request was refused by authentication).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

Verdict = Literal["pass", "fail", "inconclusive"]
Severity = Literal["failure", "warning"]

BAD_STATUSES = ("missing", "null", "wrong_type")
EXIT_CODES: dict[Verdict, int] = {"pass": 0, "fail": 1, "inconclusive": 2}


@dataclasses.dataclass(slots=True, kw_only=True)
class Finding:
    """A check that did not hold on one request, with a command reproducing it."""

    check: str
    message: str
    field: str | None = None
    reproduce: str | None = None
    status_code: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "field": self.field,
            "message": self.message,
            "reproduce": self.reproduce,
            "status_code": self.status_code,
        }


@dataclasses.dataclass(slots=True, kw_only=True)
class FieldResult:
    """How one required field path fared over every task checked."""

    path: str
    type_name: str
    counts: dict[str, int] = dataclasses.field(
        default_factory=lambda: {"ok": 0, "missing": 0, "null": 0, "wrong_type": 0}
    )
    example: Any = None

    @property
    def status(self) -> str:
        for status in BAD_STATUSES:
            if self.counts[status]:
                return status
        return "ok" if self.counts["ok"] else "unseen"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "type": self.type_name,
            "counts": dict(self.counts),
            "example": self.example,
        }


@dataclasses.dataclass(slots=True, kw_only=True)
class Report:
    verdict: Verdict
    reason: str
    base_url: str
    tasks_checked: int
    requests: int
    seed: int | None
    duration: float
    fields: list[FieldResult]
    failures: list[Finding]
    warnings: list[Finding]
    strict: bool = False

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "base_url": self.base_url,
            "tasks_checked": self.tasks_checked,
            "requests": self.requests,
            "seed": self.seed,
            "strict": self.strict,
            "duration_seconds": round(self.duration, 3),
            "fields": {f.path: f.as_dict() for f in self.fields},
            "failures": [f.as_dict() for f in self.failures],
            "warnings": [w.as_dict() for w in self.warnings],
        }


def decide(
    *,
    tasks_checked: int,
    failures: list[Finding],
    warnings: list[Finding],
    strict: bool,
    auth_rejected: bool,
    statuses: Mapping[int, int] | None = None,
) -> tuple[Verdict, str]:
    """The verdict and a one-line reason."""
    if auth_rejected:
        return (
            "inconclusive",
            "authentication rejected: every request got 401 or 403; check --token "
            "and --auth-header",
        )
    if failures:
        return "fail", f"{len(failures)} contract failure(s)"
    if strict and warnings:
        return "fail", f"{len(warnings)} finding(s) outside the contract, failing under --strict"
    if tasks_checked == 0 and statuses and 200 not in statuses:
        seen = ", ".join(f"{code} x{count}" for code, count in sorted(statuses.items()))
        return (
            "inconclusive",
            f"the operation never answered 200 (it answered {seen}); check --base-url: "
            "the endpoint should be at <base-url>/mj/task/list-by-condition",
        )
    if tasks_checked == 0:
        return (
            "inconclusive",
            "no task was ever returned, so no field was checked; pass --task-id with ids "
            "the server knows",
        )
    suffix = f" ({len(warnings)} warning(s))" if warnings else ""
    return "pass", f"{tasks_checked} task(s) checked, every required field conforms{suffix}"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write through a sibling temporary file, so a reader never sees half a report."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_json(report: Report, path: Path) -> None:
    text = json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"
    _write_atomically(path, text.encode("utf-8"))


def junit_tree(report: Report) -> ET.ElementTree[ET.Element]:
    """One test case per field path and per check that failed; warnings as system-out."""
    suite = ET.Element("testsuite", name="mjspec conform", time=f"{report.duration:.3f}")
    counts = {"tests": 0, "failures": 0, "skipped": 0}

    def case(name: str, *, failure: str | None = None, skipped: str | None = None) -> None:
        element = ET.SubElement(suite, "testcase", classname="mjspec.conform", name=name)
        counts["tests"] += 1
        if failure is not None:
            ET.SubElement(element, "failure", message=failure.splitlines()[0]).text = failure
            counts["failures"] += 1
        elif skipped is not None:
            ET.SubElement(element, "skipped", message=skipped)
            counts["skipped"] += 1

    for result in report.fields:
        messages = [f.message for f in report.failures if f.field == result.path]
        if result.status in BAD_STATUSES:
            case(f"field {result.path}", failure="\n".join(messages) or result.status)
        elif result.status == "unseen":
            case(f"field {result.path}", skipped="never seen in any answer")
        else:
            case(f"field {result.path}")
    by_check: dict[str, list[Finding]] = {}
    for finding in report.failures:
        if finding.field is None:
            by_check.setdefault(finding.check, []).append(finding)
    for check, findings in sorted(by_check.items()):
        text = "\n\n".join(f"{f.message}\n{f.reproduce or ''}".strip() for f in findings)
        case(f"check {check}", failure=text)
    if report.verdict == "inconclusive":
        case("verdict", skipped=report.reason)
    else:
        case("verdict", failure=report.reason if report.verdict == "fail" else None)
    if report.warnings:
        ET.SubElement(suite, "system-out").text = "\n\n".join(
            f"warning [{w.check}] {w.message}\n{w.reproduce or ''}".strip() for w in report.warnings
        )
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("errors", "0")
    return ET.ElementTree(suite)


def write_junit(report: Report, path: Path) -> None:
    tree = junit_tree(report)
    ET.indent(tree)
    buffer = io.BytesIO()
    tree.write(buffer, encoding="utf-8", xml_declaration=True)
    _write_atomically(path, buffer.getvalue())
