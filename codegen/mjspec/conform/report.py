"""The result of a conformance run: dataclasses, the verdict, JSON and JUnit XML.

Verdicts and exit codes: `pass` (0), `fail` (1: a contract failure, or with
`--strict` any warning), `inconclusive` (2: nothing could be judged - no task
was ever checked, or every request was refused by authentication).

One run judges its requests under one or more profiles: `Report.profiles` holds a
`ProfileResult` per profile, and the top level of the report repeats the first one
(the profile judged alone, or first), so readers of a single-profile report see
the same shape as before profiles existed.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from mjspec.files import write_atomically

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
        default_factory=lambda: {"ok": 0, "absent": 0, "missing": 0, "null": 0, "wrong_type": 0}
    )
    example: Any = None
    required: bool = True
    expected: bool = True
    """Required all the way from the task: a pass needs it seen at least once."""
    seen_in: str = ""

    @property
    def status(self) -> str:
        for status in BAD_STATUSES:
            if self.counts[status]:
                return status
        if self.counts["ok"]:
            return "ok"
        return "absent" if self.counts["absent"] else "unseen"

    @property
    def bad(self) -> int:
        """How many times the field was missing, null or of the wrong type."""
        return sum(self.counts[status] for status in BAD_STATUSES)

    @property
    def seen(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "type": self.type_name,
            "required": self.required,
            "counts": dict(self.counts),
            "example": self.example,
        }


@dataclasses.dataclass(slots=True, kw_only=True)
class AuthProbe:
    """One way of sending the token, tried once: did the server accept it?"""

    way: str
    """`Authorization: Bearer`, `mj-api-secret (raw)`."""
    status: int | None
    accepted: bool
    declared_by: list[str] = dataclasses.field(default_factory=list)
    """The profiles that say clients send the token this way."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "way": self.way,
            "status": self.status,
            "accepted": self.accepted,
            "declared_by": list(self.declared_by),
        }


@dataclasses.dataclass(slots=True, kw_only=True)
class MediaProbe:
    """How the server answered the first valid request of one media type."""

    media_type: str
    status: int | None
    declared_by: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "media_type": self.media_type,
            "status": self.status,
            "declared_by": list(self.declared_by),
        }


@dataclasses.dataclass(slots=True, kw_only=True)
class ProfileResult:
    """The verdict of one profile over the run's requests."""

    name: str
    title: str
    verdict: Verdict
    reason: str
    tasks_checked: int
    fields: list[FieldResult]
    failures: list[Finding]
    warnings: list[Finding]
    consistency: dict[str, int] | None = None
    """`{"tasks_compared", "answers", "comparisons"}`: the tasks seen in more than one
    answer, the answers that held tasks, the sightings compared; None when not compared."""
    judged: dict[str, int] = dataclasses.field(default_factory=dict)
    """Per invariant check, the task sightings it applied to (a FAILURE rule: the FAILURE
    tasks); a check absent here judged nothing, so its silence proves nothing."""

    def deviations(self) -> list[str]:
        """`buttons null in 23 of 61 tasks`, one per failing field (a summary for humans)."""
        found = []
        for result in self.fields:
            if result.status in BAD_STATUSES:
                what = result.status.replace("_", " ")
                found.append(f"{result.path} {what} in {result.bad} of {result.seen}")
        found += sorted({f.check for f in self.failures if f.check != "field"})
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "verdict": self.verdict,
            "reason": self.reason,
            "tasks_checked": self.tasks_checked,
            "fields": {f.path: f.as_dict() for f in self.fields},
            "failures": [f.as_dict() for f in self.failures],
            "warnings": [w.as_dict() for w in self.warnings],
            "consistency": self.consistency,
            "judged": dict(sorted(self.judged.items())),
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
    consistency: dict[str, int] | None = None
    """The first profile's `ProfileResult.consistency`."""
    strict: bool = False
    profile: str = "doc"
    profiles: dict[str, ProfileResult] = dataclasses.field(default_factory=dict)
    auth: list[AuthProbe] = dataclasses.field(default_factory=list)
    media: list[MediaProbe] = dataclasses.field(default_factory=list)
    interrupted: bool = False
    """Ctrl-C ended the run: the report holds what was found until then."""
    spec_sha256: str | None = None
    tool_version: str = dataclasses.field(default_factory=lambda: tool_version())

    @property
    def exit_code(self) -> int:
        """The verdict's code; judged under several profiles, 0 when the server passes any."""
        if len(self.profiles) <= 1:
            return EXIT_CODES[self.verdict]
        verdicts = {p.verdict for p in self.profiles.values()}
        best: tuple[Verdict, ...] = ("pass", "fail", "inconclusive")
        return EXIT_CODES[next(v for v in best if v in verdicts)]

    def summary(self) -> str:
        """`conforms to: new-api; not to: doc (buttons null in 23 of 61 tasks)`."""
        passing = [name for name, p in self.profiles.items() if p.verdict == "pass"]
        failing = [
            f"{name} ({', '.join(p.deviations()[:3]) or p.reason})"
            for name, p in self.profiles.items()
            if p.verdict == "fail"
        ]
        undecided = [name for name, p in self.profiles.items() if p.verdict == "inconclusive"]
        parts = [f"conforms to: {', '.join(passing) or 'none'}"]
        if failing:
            parts.append(f"not to: {'; '.join(failing)}")
        if undecided:
            parts.append(f"inconclusive: {', '.join(undecided)}")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": "mjspec",
            "tool_version": self.tool_version,
            "spec_sha256": self.spec_sha256,
            "interrupted": self.interrupted,
            "profile": self.profile,
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
            "consistency": self.consistency,
            "summary": self.summary(),
            "profiles": {name: p.as_dict() for name, p in self.profiles.items()},
            "auth": [probe.as_dict() for probe in self.auth],
            "media_types": [probe.as_dict() for probe in self.media],
        }


def consistency_line(consistency: Mapping[str, int] | None) -> str:
    """The consistency section in one line, for every report format."""
    if consistency is None:
        return "Consistency: not compared"
    return (
        f"Consistency: {consistency['tasks_compared']} task(s) compared across "
        f"{consistency['answers']} answer(s), {consistency['comparisons']} comparison(s) "
        "(stable fields always, every field once a task ended)"
    )


def tool_version() -> str:
    # not cached itself: `Report.tool_version`, a field of the same name, takes its
    # default from it, and mypy cannot type a decorated function referred to there
    return _installed_version()


@functools.cache
def _installed_version() -> str:
    """mjspec's version, looked up once (a lookup scans the installed distributions)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mjspec")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


def unseen_reason(unseen: list[FieldResult]) -> str:
    """`no answer showed buttons[].customId, ...: pass --task-id of a task with buttons`."""
    paths = ", ".join(f.path for f in unseen[:6]) + (" ..." if len(unseen) > 6 else "")
    hints = list(dict.fromkeys(f.seen_in or _default_hint(f.path) for f in unseen))
    return (
        f"no answer showed {paths}, so they were never checked; pass --task-id of "
        + "; of ".join(hints)
    )


def _default_hint(path: str) -> str:
    head = path.split("[]")[0].split(".")[0]
    if "[]" in path:
        return f"a task whose {head} is a non-empty array"
    if "." in path:
        return f"a task whose {head} is an object"
    return f"a task with {head}"


def decide(
    *,
    tasks_checked: int,
    failures: list[Finding],
    warnings: list[Finding],
    strict: bool,
    auth_rejected: bool,
    statuses: Mapping[int, int] | None = None,
    unseen: list[FieldResult] | None = None,
    never_returned: list[str] | None = None,
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
    if never_returned:
        shown = ", ".join(repr(i) for i in never_returned[:5])
        more = f" and {len(never_returned) - 5} more" if len(never_returned) > 5 else ""
        return (
            "inconclusive",
            f"never returned: {shown}{more} came back in no answer, even asked alone; "
            "is the --task-id right?",
        )
    if tasks_checked == 0:
        return (
            "inconclusive",
            "no task was ever returned, so no field was checked; pass --task-id with ids "
            "the server knows",
        )
    if unseen:
        return "inconclusive", unseen_reason(unseen)
    suffix = f" ({len(warnings)} warning(s))" if warnings else ""
    return (
        "pass",
        f"{tasks_checked} task(s) checked, every required field seen and conforming{suffix}",
    )


def write_json(report: Report, path: Path) -> None:
    text = json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text.encode("utf-8"))


def _junit_suite(result: ProfileResult, name: str, duration: float) -> ET.Element:
    """One test case per field path and per check that failed; warnings as system-out."""
    suite = ET.Element("testsuite", name=name, time=f"{duration:.3f}")
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    classname = f"mjspec.conform.{result.name}"

    def case(name: str, *, failure: str | None = None, skipped: str | None = None) -> None:
        element = ET.SubElement(suite, "testcase", classname=classname, name=name)
        counts["tests"] += 1
        if failure is not None:
            ET.SubElement(element, "failure", message=failure.splitlines()[0]).text = failure
            counts["failures"] += 1
        elif skipped is not None:
            ET.SubElement(element, "skipped", message=skipped)
            counts["skipped"] += 1

    for field in result.fields:
        messages = [
            f.message for f in result.failures if f.field == field.path and f.check == "field"
        ]
        if field.status in BAD_STATUSES:
            case(f"field {field.path}", failure="\n".join(messages) or field.status)
        elif field.status == "unseen":
            case(f"field {field.path}", skipped="never seen in any answer")
        else:
            case(f"field {field.path}")
    by_check: dict[str, list[Finding]] = {}
    for finding in result.failures:
        if finding.check != "field":  # checks beyond types name a field too: their own case
            by_check.setdefault(finding.check, []).append(finding)
    for check, findings in sorted(by_check.items()):
        text = "\n\n".join(f"{f.message}\n{f.reproduce or ''}".strip() for f in findings)
        case(f"check {check}", failure=text)
    if result.verdict == "inconclusive":
        case("verdict", skipped=result.reason)
    else:
        case("verdict", failure=result.reason if result.verdict == "fail" else None)
    if result.warnings:
        ET.SubElement(suite, "system-out").text = "\n\n".join(
            f"warning [{w.check}] {w.message}\n{w.reproduce or ''}".strip() for w in result.warnings
        )
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("errors", "0")
    return suite


def _top_result(report: Report) -> ProfileResult:
    return ProfileResult(
        name=report.profile,
        title=report.profile,
        verdict=report.verdict,
        reason=report.reason,
        tasks_checked=report.tasks_checked,
        fields=report.fields,
        failures=report.failures,
        warnings=report.warnings,
        consistency=report.consistency,
    )


def _junit_properties(report: Report, suite: ET.Element) -> None:
    properties = ET.Element("properties")
    values = {
        "mjspec_version": report.tool_version,
        "spec_sha256": report.spec_sha256 or "unknown",
        "base_url": report.base_url,
        "seed": str(report.seed),
        "interrupted": str(report.interrupted).lower(),
    }
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=value)
    suite.insert(0, properties)


def junit_suite(report: Report, result: ProfileResult, name: str) -> ET.Element:
    """The test suite of one profile's result in `report`, with the run's properties."""
    suite = _junit_suite(result, name, report.duration)
    _junit_properties(report, suite)
    return suite


def junit_tree(report: Report) -> ET.ElementTree[ET.Element]:
    """A test suite; judged under several profiles, a `testsuites` with one per profile."""
    if len(report.profiles) <= 1:
        return ET.ElementTree(junit_suite(report, _top_result(report), "mjspec conform"))
    root = ET.Element("testsuites", name="mjspec conform")
    for name, result in report.profiles.items():
        root.append(junit_suite(report, result, f"mjspec conform [{name}]"))
    return junit_suites(root)


def junit_suites(root: ET.Element) -> ET.ElementTree[ET.Element]:
    """`root` (a `testsuites`) with the totals of its suites."""
    for key in ("tests", "failures", "skipped", "errors"):
        root.set(key, str(sum(int(suite.get(key, "0")) for suite in root)))
    return ET.ElementTree(root)


def write_junit(report: Report, path: Path) -> None:
    write_xml(junit_tree(report), path)


def write_xml(tree: ET.ElementTree[ET.Element], path: Path) -> None:
    """An XML report, indented, written atomically."""
    ET.indent(tree)
    buffer = io.BytesIO()
    tree.write(buffer, encoding="utf-8", xml_declaration=True)
    write_atomically(path, buffer.getvalue())
