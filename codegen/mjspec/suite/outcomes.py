"""What each test of the suite concludes from one conformance run (pure: no pytest here).

The suite's tests are decided before the run, from the profile alone (`load_plan`): one per
required field path (`derive_fields`) and one per check of the severity table. After the
run, `field_outcome`, `check_outcome` and `run_outcome` turn the `Report` into a pass, a
failure, a skip (nothing to judge) or an expected failure (a warning, outside `strict`),
each with the one message a CI page shows.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from mjspec.conform.fields import derive_fields
from mjspec.conform.invariants import INVARIANTS
from mjspec.conform.report import BAD_STATUSES, FieldResult, Finding, ProfileResult, Report
from mjspec.conform.severity import CHECKS, Severity, overrides, severity_of
from mjspec.masking import TOKEN_ENV
from mjspec.profiles import Profile

Kind = Literal["pass", "fail", "skip", "xfail"]

_RULES = {invariant.check: invariant.description for invariant in INVARIANTS}
"""What each invariant says: a rule the run judged no task by had nothing to judge (the
report counts the tasks each one judged)."""

_NEEDS_TOKEN = ("auth_way_refused", "auth_not_enforced")

_SUITE_WORDS = {
    "--task-id": "--mjspec-task-id",
    "--base-url": "--mjspec-base-url",
    "--auth-header": "--mjspec-auth-header",
    "--token": TOKEN_ENV,
    "--strict": "--mjspec-strict",
}
_KIT_OPTION = re.compile(r"(?<![\w-])(--(?:task-id|base-url|auth-header|token|strict))\b")


def in_suite_terms(text: str) -> str:
    """The kit's reasons name `mjspec conform`'s options; the suite's user has others."""
    return _KIT_OPTION.sub(lambda match: _SUITE_WORDS[match.group(1)], text)


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    kind: Kind
    message: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The tests of one session, known before the run: field paths and checks."""

    profile: str
    fields: tuple[str, ...]
    checks: tuple[str, ...]
    severities: Mapping[str, Severity]
    """The profile's changes to the table (`x-mjspec-severities`)."""


def load_plan(spec: Path, name: str) -> Plan:
    """The plan of `name`'s profile, from the spec's files (unchecked: the run checks them).

    Raises KeyError for an unknown profile name, `MjspecError` for a spec that cannot be
    read.
    """
    from mjspec.profiles import load_profiles
    from mjspec.spec import load_spec

    profile: Profile = load_profiles(spec, load_spec(spec, check=False), check=False)[name]
    return Plan(
        profile=name,
        fields=tuple(f.path for f in derive_fields(profile.document)),
        checks=tuple(CHECKS),
        severities=overrides(profile.document),
    )


def _field_result(result: ProfileResult, path: str) -> FieldResult | None:
    return next((f for f in result.fields if f.path == path), None)


def _counted(field: FieldResult) -> str:
    """`null in 23 of 61 sightings`, `missing 2, wrong type 1 in 5 of 61 sightings`."""
    bad = [status for status in BAD_STATUSES if field.counts[status]]
    if len(bad) == 1:
        what = bad[0].replace("_", " ")
    else:
        what = ", ".join(f"{s.replace('_', ' ')} {field.counts[s]}" for s in bad) + ","
    return f"{what} in {field.bad} of {field.seen} sightings"


def _described(finding: Finding) -> str:
    if not finding.reproduce:
        return finding.message
    return f"{finding.message}\nreproduce:\n  {finding.reproduce}"


def field_outcome(result: ProfileResult, path: str) -> Outcome:
    """One required field path over every task the run checked."""
    field = _field_result(result, path)
    if field is None:  # the profile's fields and the report's come from the same walk
        return Outcome("fail", f"{path}: the run did not judge this field (a bug in mjspec)")
    if field.status in BAD_STATUSES:
        lines = [f"{path} ({field.type_name}): {_counted(field)}"]
        if field.example is not None:
            lines.append(f"example: {json.dumps(field.example, ensure_ascii=False, default=str)}")
        lines += [_described(f) for f in result.failures if f.check == "field" and f.field == path]
        return Outcome("fail", "\n".join(lines))
    if field.status == "unseen":
        which = field.seen_in or "a task that has it"
        return Outcome(
            "skip",
            f"nothing to judge: no answer showed {path}; pass --mjspec-task-id of {which}",
        )
    return Outcome("pass")


def _nothing_to_judge(check: str, report: Report, result: ProfileResult) -> str:
    """Why `check` had nothing to judge in this run ("" when it had something)."""
    if check in _NEEDS_TOKEN and not report.auth:
        return "no token was sent (MJSPEC_TOKEN is unset), so its ways were not tried"
    if check == "multipart_rejected" and not any(
        m.media_type == "multipart/form-data" and m.status is not None for m in report.media
    ):
        return f"the profile {result.name} declares no multipart/form-data body"
    if check == "batch_consistency" and not (result.consistency or {}).get("tasks_compared"):
        return "no task came back in two answers, so none could be compared"
    if check in _RULES and not result.judged.get(check):
        return f"no task the rule applies to came back ({_RULES[check]})"
    return ""


def check_outcome(
    report: Report, result: ProfileResult, plan: Plan, check: str, *, strict: bool
) -> Outcome:
    """One check of the severity table, under the profile's severities.

    `field` covers the documented fields without a test of their own (optional ones, checked
    when present); each required field path has its own `test_field`.
    """
    severity = severity_of(check, plan.severities)
    if severity == "off":
        return Outcome("skip", f"off under the profile {plan.profile} (x-mjspec-severities)")
    own = set(plan.fields) if check == "field" else set()
    failed = [f for f in result.failures if f.check == check and f.field not in own]
    warned = [f for f in result.warnings if f.check == check and f.field not in own]
    meaning = CHECKS[check].meaning
    if failed:
        details = "\n\n".join(_described(f) for f in failed)
        why = " (a warning, failing under --mjspec-strict)" if severity == "warning" else ""
        return Outcome("fail", f"{check}: {meaning}{why}; {len(failed)} finding(s)\n{details}")
    if warned and not strict:
        details = "\n\n".join(_described(f) for f in warned)
        return Outcome(
            "xfail",
            f"{check} (a warning; fails only with --mjspec-strict): {len(warned)} finding(s)\n"
            f"{details}",
        )
    why = _nothing_to_judge(check, report, result)
    if why:
        return Outcome("skip", f"nothing to judge: {why}")
    return Outcome("pass")


def blocking_reason(result: ProfileResult) -> str:
    """Why no test can be judged at all ("" when tasks were checked)."""
    if result.tasks_checked:
        return ""
    return f"inconclusive: {in_suite_terms(result.reason)}"


def run_outcome(result: ProfileResult) -> Outcome:
    """The run as a whole: an inconclusive one (a task id never returned, a field never seen)
    must not leave the session green."""
    if result.verdict == "inconclusive":
        return Outcome("fail", f"inconclusive: {in_suite_terms(result.reason)}")
    return Outcome("pass")
