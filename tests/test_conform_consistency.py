"""Beyond types: answers that are well typed and wrong are caught, correct ones still pass.

The mutation proof of the checks across answers and within a task: a server that fills
batched answers from the wrong rows, one stale-copy mutant per field the spec marks
`x-mjspec-stable: true` (derived, each caught naming that field), a server that sends a
task twice, and one mutant per invariant; each run judged under every profile. Correct
servers pass: the stdlib server with the same tasks, the reference server in a default
run, and each family's stand-in under its own profile, even under `--strict`.

All mutants run over real HTTP against one server whose mutation is swapped between runs;
the fixed probes ask for every task alone and together, so one generated case per phase
is enough.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from rich.console import Console

from mjspec.conform import Report, Settings, derive_fields, output, run
from mjspec.conform import html as html_report
from mjspec.conform import markdown as markdown_report
from mjspec.conform.consistency import ABSENT, Tracker, same
from mjspec.conform.invariants import INVARIANTS, applicable, broken_invariants
from mjspec.conform.report import junit_tree
from mjspec.conform.severity import CHECKS, overrides, severity_of
from mjspec.serve.refdata import task_dicts
from mjspec.serve.refserver import serve_in_thread
from mjspec.serve.standin import served_tasks
from tests.conform_servers import Mutation, serve, together
from tests.consistency_servers import (
    INVARIANT_MUTANTS,
    PROOF_TASKS,
    InvariantMutant,
    batched_copy,
    duplicated,
    one_per_status,
    stale_copy,
)
from tests.family_servers import csharp_tasks, java_tasks, new_api_tasks
from tests.helpers_conform import checkout_profiles

PROFILES = checkout_profiles()
DOC: dict[str, Any] = PROFILES["doc"].document
SEED = 7
# Stated from spec/openapi.yaml, not derived: the fields marked `x-mjspec-stable: true`.
# `id` is stable too, but it is what tasks are told apart by: copying it is a duplicate.
STABLE = ["action", "customId", "botType", "prompt", "state", "submitTime", "maskBase64"]
NEW_CHECKS = {"batch_consistency", "duplicate_task", *(i.check for i in INVARIANTS)}
CORRECT = "correct"
RELAXED = {"new-api": {"invariant_failure_progress"}}
"""What each family's overlay turns off (x-mjspec-severities), from the facts page."""


def _settings(base_url: str, task_ids: list[str], **kw: Any) -> Settings:
    base: dict[str, Any] = {"profiles": tuple(PROFILES.values()), "max_examples": 1, "seed": SEED}
    return Settings(spec=DOC, base_url=base_url, task_ids=tuple(task_ids), **{**base, **kw})


def _mutants() -> dict[str, tuple[Mutation | None, bool]]:
    """Each run's mutation (None: the correct server), and whether it runs under --strict."""
    found: dict[str, tuple[Mutation | None, bool]] = {CORRECT: (None, False)}
    found["batched copy"] = (batched_copy, False)
    found.update({f"stale {name}": (stale_copy(name), False) for name in STABLE})
    found["duplicate"] = (duplicated, False)
    found["duplicate, strict"] = (duplicated, True)
    # The invariant mutants touch distinct fields and each breaks only its own invariant
    # (test_every_invariant_has_a_mutant_and_each_mutant_breaks_only_its_own): one run.
    found["invariants"] = (together([m.mutation() for m in INVARIANT_MUTANTS]), False)
    return found


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    results = {}
    with serve(tasks=PROOF_TASKS) as server:
        for name, (mutation, strict) in _mutants().items():
            server.set_mutation(mutation)
            results[name] = run(_settings(server.base_url, server.task_ids, strict=strict))
    return results


def _new(report: Report, profile: str) -> list[tuple[str, str, str | None]]:
    """(severity, check, field) of every finding of the new checks under `profile`."""
    result = report.profiles[profile]
    return [
        (severity, f.check, f.field)
        for severity, findings in (("failure", result.failures), ("warning", result.warnings))
        for f in findings
        if f.check in NEW_CHECKS
    ]


# -- the spec says which fields are stable -------------------------------------------------


def test_the_stable_fields_are_read_from_the_spec() -> None:
    stable = [f.path for f in derive_fields(DOC) if f.stable is True]
    assert stable == ["id", *STABLE]
    assert all(f.stable is None for f in derive_fields(DOC) if f.path not in stable)


def test_new_api_lets_image_url_differ_between_answers() -> None:
    fields = {f.path: f.stable for f in derive_fields(PROFILES["new-api"].document)}
    assert fields["imageUrl"] is False
    assert {f.path: f.stable for f in derive_fields(DOC)}["imageUrl"] is None


def test_every_new_check_has_its_row_in_the_one_table() -> None:
    assert {name: CHECKS[name].severity for name in NEW_CHECKS} == {
        "batch_consistency": "failure",
        "duplicate_task": "warning",
        **{i.check: "warning" for i in INVARIANTS},
    }


def test_a_profile_turns_off_only_what_its_family_does_by_design() -> None:
    for name, profile in PROFILES.items():
        changed = overrides(profile.document)
        assert {c for c, s in changed.items() if s == "off"} == RELAXED.get(name, set())
    assert severity_of("invariant_failure_progress", overrides(PROFILES["new-api"].document)) == (
        "off"
    )


# -- the comparison itself (pure) ----------------------------------------------------------


def _task(**fields: Any) -> dict[str, Any]:
    return {**PROOF_TASKS[next(iter(PROOF_TASKS))], **fields}


def test_a_stable_field_that_changed_names_task_field_values_and_both_answers() -> None:
    tracker: Tracker[str] = Tracker(derive_fields(DOC))
    assert tracker.observe([_task(status="IN_PROGRESS")], "alone") == ([], [])
    differences, _ = tracker.observe([_task(status="IN_PROGRESS", prompt="other")], "batched")
    assert [(d.task_id, d.field, d.first, d.then, d.settled) for d in differences] == [
        (_task()["id"], "prompt", "alone", "batched", False)
    ]
    assert (differences[0].before, differences[0].after) == (_task()["prompt"], "other")
    assert (tracker.tasks_compared, tracker.answers, tracker.comparisons) == (1, 2, 1)


def test_a_running_task_may_change_until_it_ends_then_nothing_may() -> None:
    tracker: Tracker[int] = Tracker(derive_fields(DOC))
    tracker.observe([_task(status="IN_PROGRESS", progress="10%")], 1)
    assert tracker.observe([_task(status="SUCCESS", progress="100%")], 2) == ([], [])
    differences, _ = tracker.observe([_task(status="IN_PROGRESS", progress="100%")], 3)
    assert [(d.field, d.first, d.settled) for d in differences] == [("status", 2, True)]


def test_a_field_marked_unstable_is_never_compared() -> None:
    tracker: Tracker[int] = Tracker(derive_fields(PROFILES["new-api"].document))
    tracker.observe([_task(status="FAILURE", imageUrl="https://relay/mj/image/1?rand=1")], 1)
    later = tracker.observe(
        [_task(status="FAILURE", imageUrl="https://relay/mj/image/1?rand=2")], 2
    )
    assert later == ([], [])


def test_an_absent_field_differs_from_any_value() -> None:
    tracker: Tracker[int] = Tracker(derive_fields(DOC))
    without = {k: v for k, v in _task().items() if k != "state"}
    tracker.observe([without], 1)
    differences, _ = tracker.observe([_task()], 2)
    assert [(d.field, d.before) for d in differences] == [("state", ABSENT)]


def test_json_values_are_compared_with_their_types() -> None:
    assert not same(1, 1.0) and not same(1, True) and not same(0, False)
    assert same({"a": [1, "x"]}, {"a": [1, "x"]}) and not same({"a": [1]}, {"a": [1.0]})


def test_a_duplicate_is_counted_in_its_answer_and_compared_once() -> None:
    tracker: Tracker[int] = Tracker(derive_fields(DOC))
    task = _task()
    differences, duplicates = tracker.observe([task, task, dict(task)], 1, [task["id"]])
    assert differences == []
    assert [(d.task_id, d.count, d.asked) for d in duplicates] == [(task["id"], 3, 1)]
    assert tracker.tasks_compared == 0


# -- invariants: data, skipped without their fields, held by correct servers ---------------


def test_every_invariant_has_a_mutant_and_each_mutant_breaks_only_its_own() -> None:
    assert sorted(m.check for m in INVARIANT_MUTANTS) == sorted(i.check for i in INVARIANTS)
    for mutant in INVARIANT_MUTANTS:
        task = next(t for t in task_dicts(DOC) if t["status"] == mutant.status)
        mutant.edit(task)
        assert [(b.check, b.field) for b in broken_invariants(task)] == [
            (mutant.check, mutant.field)
        ]


def test_an_invariant_is_skipped_when_its_fields_are_absent_or_mistyped() -> None:
    for status in ("SUCCESS", "FAILURE", "NOT_START", "IN_PROGRESS"):
        assert broken_invariants({"id": "1", "status": status}) == []
    mistyped = {"id": "1", "status": "SUCCESS", "progress": 100, "startTime": "2", "imageUrl": 1}
    assert broken_invariants(mistyped) == []
    assert broken_invariants({"id": 1, "status": "SUCCESS", "imageUrl": ""}) == []


def test_each_invariant_applies_only_to_the_tasks_it_speaks_of() -> None:
    success = {"id": "1", "status": "SUCCESS", "imageUrl": "u", "progress": "100%"}
    failure = {"id": "2", "status": "FAILURE", "failReason": "why", "progress": "0%"}
    waiting = {"id": "3", "status": "NOT_START", "submitTime": 5}
    timed = {"id": "4", "status": "IN_PROGRESS", "submitTime": 5, "startTime": 6}
    assert applicable(success) == ["invariant_success_image", "invariant_success_progress"]
    assert applicable(failure) == ["invariant_failure_reason", "invariant_failure_progress"]
    assert applicable(waiting) == ["invariant_not_started"]
    assert applicable(timed) == ["invariant_time_order"]
    assert applicable({**timed, "id": 4}) == []  # no string id: not a task to judge
    # a progress that is not text is the field check's to report: no rule judged it
    assert applicable({"id": "5", "status": "SUCCESS", "progress": None}) == []
    # every broken rule applies: a finding is never made of a task the rule does not judge
    for mutant in INVARIANT_MUTANTS:
        task = next(t for t in task_dicts(DOC) if t["status"] == mutant.status)
        mutant.edit(task)
        assert mutant.check in applicable(task)


def test_the_report_counts_the_tasks_each_invariant_judged(reports: dict[str, Report]) -> None:
    """The correct server's tasks hold every status: each rule judged some; a rule that
    judged nothing is absent, so its silence is not taken for a pass (mjspec.suite)."""
    result = reports[CORRECT].profiles["doc"]
    assert set(result.judged) == {i.check for i in INVARIANTS}
    statuses = [t["status"] for t in PROOF_TASKS.values()]
    # every answer's FAILURE tasks, at least once each
    assert result.judged["invariant_failure_reason"] >= statuses.count("FAILURE") > 0
    assert reports[CORRECT].as_dict()["profiles"]["doc"]["judged"] == dict(
        sorted(result.judged.items())
    )


@pytest.mark.parametrize("name", list(PROFILES))
def test_the_reference_tasks_and_each_stand_in_hold_every_invariant(name: str) -> None:
    broken = [
        (b.task_id, b.check) for t in served_tasks(PROFILES[name]) for b in broken_invariants(t)
    ]
    assert {check for _, check in broken} <= RELAXED.get(name, set()), broken


@pytest.mark.parametrize(
    ("name", "tasks"),
    [
        ("new-api", new_api_tasks),
        ("midjourney-proxy-java", java_tasks),
        ("midjourney-proxy-csharp", csharp_tasks),
    ],
)
def test_the_hand_written_families_break_only_what_their_profile_turns_off(
    name: str, tasks: Any
) -> None:
    broken = {b.check for t in tasks().values() for b in broken_invariants(t)}
    assert broken == RELAXED.get(name, set())


# -- the mutation proof --------------------------------------------------------------------


def test_the_correct_server_passes_every_profile_with_nothing_to_say(
    reports: dict[str, Report],
) -> None:
    report = reports[CORRECT]
    assert set(report.profiles) == set(PROFILES)  # every profile judged: no empty loop
    for name, result in report.profiles.items():
        assert result.verdict == "pass", (name, [(f.check, f.message) for f in result.failures])
        assert _new(report, name) == []
        assert result.consistency is not None
        assert result.consistency["tasks_compared"] == len(PROOF_TASKS)


def test_batched_copies_of_another_task_fail_naming_task_field_and_both_requests(
    reports: dict[str, Report],
) -> None:
    assert set(reports["batched copy"].profiles) == set(PROFILES)
    for name, result in reports["batched copy"].profiles.items():
        assert result.verdict == "fail"
        findings = [f for f in result.failures if f.check == "batch_consistency"]
        assert {f.field for f in findings} >= set(STABLE)
        for finding in findings:
            task_id = re.match(r"task '(\d+)': ", finding.message)
            assert task_id, finding.message
            commands = [c for c in (finding.reproduce or "").splitlines() if c.startswith("curl")]
            assert len(commands) == 2, finding.reproduce
            # One request asked for the task alone, the other for it with others.
            alone = json.dumps({"ids": [task_id.group(1)]})
            assert sum(alone in c for c in commands) == 1, (name, commands)
            assert f"{finding.field} is " in finding.message


@pytest.mark.parametrize("field", STABLE)
def test_a_stale_copy_of_one_stable_field_is_caught_naming_that_field(
    field: str, reports: dict[str, Report]
) -> None:
    report = reports[f"stale {field}"]
    for name in PROFILES:
        assert report.profiles[name].verdict == "fail", name
        assert set(_new(report, name)) == {("failure", "batch_consistency", field)}, name


def test_a_task_twice_in_one_answer_warns_with_its_count_and_fails_under_strict(
    reports: dict[str, Report],
) -> None:
    for name in PROFILES:
        lenient, strict = reports["duplicate"], reports["duplicate, strict"]
        assert lenient.profiles[name].verdict == "pass"
        assert _new(lenient, name) == [("warning", "duplicate_task", None)]
        [warning] = [w for w in lenient.profiles[name].warnings if w.check == "duplicate_task"]
        assert "came back 2 times in one answer (asked for once)" in warning.message
        assert strict.profiles[name].verdict == "fail"
        assert ("failure", "duplicate_task", None) in _new(strict, name)


@pytest.mark.parametrize("mutant", INVARIANT_MUTANTS, ids=lambda m: m.check)
def test_each_broken_invariant_warns_naming_its_field_under_every_profile_that_keeps_it(
    mutant: InvariantMutant, reports: dict[str, Report]
) -> None:
    report = reports["invariants"]
    for name in PROFILES:
        found = [w for w in report.profiles[name].warnings if w.check == mutant.check]
        if mutant.check in RELAXED.get(name, set()):
            assert found == [], name
            continue
        assert [w.field for w in found] == [mutant.field], name
        assert re.match(r"task '\d+' is |task '\d+' has ", found[0].message), found[0].message
        assert found[0].reproduce, name


def test_broken_invariants_only_warn_and_nothing_else_is_said(reports: dict[str, Report]) -> None:
    report = reports["invariants"]
    for name in PROFILES:
        assert report.profiles[name].verdict == "pass", name
        expected = {m.check for m in INVARIANT_MUTANTS} - RELAXED.get(name, set())
        assert {c for _, c, _ in _new(report, name)} == expected, name


# -- correct servers: the reference server and each family's stand-in ----------------------


def _asked(name: str) -> list[str]:
    """One task id of each status the stand-in serves (every field still seen)."""
    return [task["id"] for task in one_per_status(served_tasks(PROFILES[name]))]


@pytest.fixture(scope="module")
def standins() -> dict[str, Report]:
    found = {}
    for name, profile in PROFILES.items():
        with serve_in_thread(profile=name) as server:
            assert set(_asked(name)) <= set(server.task_ids)
            settings = _settings(server.base_url, _asked(name), profiles=(profile,), strict=True)
            found[name] = run(settings)
    return found


@pytest.mark.parametrize("name", list(PROFILES))
def test_each_stand_in_passes_its_own_profile_under_strict_with_every_task_compared(
    name: str, standins: dict[str, Report]
) -> None:
    report = standins[name]
    assert report.verdict == "pass", [(f.check, f.message) for f in report.failures]
    assert report.consistency is not None
    assert report.consistency["tasks_compared"] == len(_asked(name))
    assert report.consistency["comparisons"] >= report.consistency["tasks_compared"]


# -- the reports ---------------------------------------------------------------------------


def test_every_report_has_the_consistency_line(reports: dict[str, Report]) -> None:
    report = reports[CORRECT]
    counts = report.consistency
    assert counts is not None and set(counts) == {"tasks_compared", "answers", "comparisons"}
    data = report.as_dict()
    assert data["consistency"] == counts
    # Under doc the multipart answer counts too: only doc declares multipart bodies.
    assert data["profiles"]["doc"]["consistency"] == counts
    assert all(set(p["consistency"]) == set(counts) for p in data["profiles"].values())
    line = f"{counts['tasks_compared']} task(s) compared across {counts['answers']} answer(s)"
    console = Console(width=200, record=True, file=io.StringIO())
    output.render(report, console)
    assert line in console.export_text()
    assert line in markdown_report.render(report)
    assert line in html_report.render(report)


def test_junit_gives_a_consistency_failure_its_own_case(reports: dict[str, Report]) -> None:
    tree = junit_tree(reports["stale prompt"])
    cases = {case.get("name", ""): case for case in tree.getroot().iter("testcase")}
    failing = [name for name, case in cases.items() if case.find("failure") is not None]
    assert "check batch_consistency" in failing
    assert not [name for name in failing if name.startswith("field ")]


def test_the_terminal_shortens_each_of_the_two_requests_on_its_own_line(
    reports: dict[str, Report],
) -> None:
    report = reports["stale prompt"]
    console = Console(width=400, record=True, file=io.StringIO())
    output.render(report, console)
    text = console.export_text()
    assert text.count("# prompt = ") == 2 * len(report.profiles)
