"""The one table of checks: every check's name, severity and what it means.

A check's severity is data, looked up here and nowhere else: `failure` fails a run,
`warning` is reported and fails only under `--strict`, `off` is not reported at all. A
profile may change a severity with the root extension `x-mjspec-severities: {check:
severity}` in its overlay (the family is known to do otherwise and its clients cope);
`off` is for a check the family breaks by design (new-api's "100%" on failure), so that
its stand-in passes its own profile even under `--strict`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

Severity = Literal["failure", "warning", "off"]
SEVERITIES: tuple[Severity, ...] = ("failure", "warning", "off")


@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    name: str
    severity: Severity
    meaning: str


_TABLE = (
    # A 200 answer of the operation.
    Check("field", "failure", "a documented field missing, null or of the wrong JSON type"),
    Check("shape", "failure", "a 200 body that is not an array of task objects"),
    Check("content_type", "failure", "a 200 answer whose Content-Type is not JSON"),
    Check("not_json", "failure", "a 200 body that is not JSON"),
    Check("unrequested_task", "failure", "a task came back that was not asked for"),
    Check("missing_known_task", "failure", "a task the server knows was asked for, not returned"),
    Check("error_as_200", "failure", "a valid request answered HTTP 200 with an error object"),
    # The answer as a whole.
    Check("server_error", "failure", "a 5xx answer (bad input gets a 4xx)"),
    Check("status_code_conformance", "failure", "a status code the profile does not declare"),
    Check("content_type_conformance", "failure", "a Content-Type the profile does not declare"),
    Check("response_schema_conformance", "failure", "a body outside the declared schema"),
    Check("no_answer", "failure", "the server stopped answering"),
    Check("deadline", "failure", "no complete answer within --request-timeout"),
    Check("too_large", "failure", "an answer over --max-response-bytes"),
    Check("redirect", "failure", "a 3xx answer (never followed)"),
    Check("auth_way_refused", "failure", "the key sent the profile's way was refused"),
    # Across answers (`consistency.py`): the same task asked alone and with others.
    Check(
        "batch_consistency",
        "failure",
        "a task differs between answers in a field that cannot change (x-mjspec-stable), "
        "or in any field once it ended (SUCCESS, FAILURE)",
    ),
    # Outside the contract: warnings, failures under --strict.
    Check("multipart_rejected", "warning", "the documented multipart body was answered 4xx"),
    Check("valid_json_rejected", "warning", "a spec-valid JSON request was answered 4xx"),
    Check("invalid_input_accepted", "warning", "spec-invalid input was answered 2xx"),
    Check("error_answer", "warning", "a 4xx answer outside the declared error answers"),
    Check("other_method", "warning", "another HTTP method on the path was not answered 405"),
    Check("auth_not_enforced", "warning", "a request without the key, or a wrong one, got 2xx"),
    Check("duplicate_task", "warning", "one task came back more than once in one answer"),
    # Within a task (`invariants.py`): well-typed values that contradict each other.
    Check("invariant_success_image", "warning", "a SUCCESS task without an imageUrl"),
    Check("invariant_success_progress", "warning", 'a SUCCESS task whose progress is not "100%"'),
    Check("invariant_failure_reason", "warning", "a FAILURE task without a failReason"),
    Check("invariant_failure_progress", "warning", 'a FAILURE task whose progress is "100%"'),
    Check("invariant_time_order", "warning", "not submitTime <= startTime <= finishTime"),
    Check("invariant_not_started", "warning", "a NOT_START task with a startTime or finishTime"),
)
CHECKS: dict[str, Check] = {check.name: check for check in _TABLE}


def overrides(document: Mapping[str, Any]) -> dict[str, Severity]:
    """A profile's `x-mjspec-severities`, for known checks and severities only."""
    raw = document.get("x-mjspec-severities", {})
    if not isinstance(raw, Mapping):
        return {}
    return {
        name: severity
        for name, severity in raw.items()
        if name in CHECKS and severity in SEVERITIES
    }


def severity_of(check: str, changed: Mapping[str, Severity]) -> Severity:
    """The severity of a check under a profile; an unknown check is a failure."""
    if check in changed:
        return changed[check]
    known = CHECKS.get(check)
    return known.severity if known is not None else "failure"
