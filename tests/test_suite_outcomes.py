"""The suite's verdicts on a rule, from the report alone (`mjspec.suite.outcomes`, pure)."""

from __future__ import annotations

from mjspec.conform.report import FieldResult, ProfileResult, Report
from mjspec.suite.outcomes import Plan, check_outcome
from tests.helpers_conform import bare_report

PLAN = Plan(profile="doc", fields=(), checks=(), severities={})


def _report(judged: dict[str, int]) -> tuple[Report, ProfileResult]:
    """Tasks whose finishTime was always null: a time-order rule still compares the others."""
    finish = FieldResult(path="finishTime", type_name="integer")
    finish.counts["null"] = 5
    result = ProfileResult(
        name="doc",
        title="the document",
        verdict="fail",
        reason="",
        tasks_checked=5,
        fields=[finish],
        failures=[],
        warnings=[],
        judged=judged,
    )
    report = bare_report(
        verdict=result.verdict,
        tasks_checked=result.tasks_checked,
        fields=result.fields,
        profiles={"doc": result},
    )
    return report, result


def test_a_rule_that_judged_tasks_passes_whatever_fields_it_did_not_need() -> None:
    """The count of tasks a rule judged decides: submitTime <= startTime is judged with
    finishTime null in every task."""
    report, result = _report({"invariant_time_order": 5})
    outcome = check_outcome(report, result, PLAN, "invariant_time_order", strict=False)
    assert (outcome.kind, outcome.message) == ("pass", "")


def test_a_rule_that_judged_no_task_is_skipped_saying_so() -> None:
    report, result = _report({})
    outcome = check_outcome(report, result, PLAN, "invariant_time_order", strict=False)
    assert outcome.kind == "skip"
    assert outcome.message.startswith("nothing to judge: no task the rule applies to came back")
