"""Honest verdicts: the same for the same server whatever the seed, never a pass on fields
nobody saw, and a mistyped task id is the user's doubt, not the server's failure."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mjspec.conform import Report, Settings, add_arguments, run, run_command
from mjspec.serve.refserver import serve_in_thread
from tests.conform_servers import TASK_IDS, TASKS, serve
from tests.helpers_conform import SPEC_PATH, checkout_profiles

PROFILES = checkout_profiles()


def judge(
    base_url: str,
    task_ids: list[str],
    *,
    seed: int = 5,
    profile: str = "doc",
    max_examples: int = 1,
) -> Report:
    """One run; the fixed probes ask for every known task, so one generated case will do."""
    settings = Settings(
        spec=PROFILES["doc"].document,
        base_url=base_url,
        task_ids=tuple(task_ids),
        profiles=(PROFILES[profile],),
        max_examples=max_examples,
        seed=seed,
    )
    return run(settings)


def test_without_task_ids_the_verdict_does_not_depend_on_the_seed() -> None:
    with serve_in_thread() as server:
        # Enough generated cases that one could hit a known id by chance.
        reports = [judge(server.base_url, [], seed=seed, max_examples=6) for seed in range(8)]
    assert len({(r.verdict, r.reason) for r in reports}) == 1, [r.reason for r in reports]
    # The spec's example ids are asked for in every run, so their tasks are always checked.
    assert all(r.tasks_checked > 0 for r in reports)


def test_a_pass_needs_every_required_field_seen_and_says_which_were_not() -> None:
    no_buttons = {task_id: dict(task, buttons=[]) for task_id, task in TASKS.items()}
    with serve(tasks=no_buttons) as server:
        report = judge(server.base_url, TASK_IDS)
    assert report.verdict == "inconclusive"
    assert report.exit_code == 2
    assert "buttons[].customId" in report.reason
    assert "buttons[].style" in report.reason
    assert "--task-id of a finished (SUCCESS) IMAGINE, VARIATION or REROLL task" in report.reason
    unseen = {f.path for f in report.fields if f.status == "unseen"}
    assert unseen == {
        f"buttons[].{name}" for name in ("customId", "emoji", "label", "type", "style")
    }


def test_a_field_a_profile_makes_optional_need_not_be_seen() -> None:
    # Java servers have no buttons at all: buttons[].* are not required under that profile.
    without = {
        task_id: {k: v for k, v in task.items() if k != "buttons"}
        for task_id, task in TASKS.items()
    }
    with serve(tasks=without) as server:
        report = judge(server.base_url, TASK_IDS, profile="midjourney-proxy-java")
    assert report.verdict == "pass", report.reason


def test_a_task_id_that_never_comes_back_is_inconclusive_not_the_servers_failure() -> None:
    with serve() as server:
        report = judge(server.base_url, [*TASK_IDS, "1730621826O53455"])  # a letter O
    assert report.verdict == "inconclusive", [f.message for f in report.failures]
    assert "never returned" in report.reason
    assert "'1730621826O53455'" in report.reason
    assert not [f for f in report.failures if f.check == "missing_known_task"]


def test_a_task_that_comes_back_alone_but_not_with_others_fails() -> None:
    def drop_from_batches(reply: Any) -> Any:
        if len(set(reply.ids)) > 1:
            reply.body = [t for t in reply.body if t["id"] != TASK_IDS[2]]
        return reply

    with serve(drop_from_batches) as server:
        report = judge(server.base_url, TASK_IDS)
    assert report.verdict == "fail"
    missing = [f for f in report.failures if f.check == "missing_known_task"]
    assert missing and TASK_IDS[2] in missing[0].message


def test_reports_carry_the_tool_version_and_the_specs_sha256(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib.metadata import version

    path = tmp_path / "report.json"
    junit, markdown = tmp_path / "junit.xml", tmp_path / "report.md"
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with serve() as server:
        argv = ["--base-url", server.base_url, "--spec", str(SPEC_PATH), "--seed", "1"]
        argv += ["--max-examples", "1", "--report-json", str(path)]
        argv += ["--junit-xml", str(junit), "--report-markdown", str(markdown)]
        argv += [arg for task_id in TASK_IDS for arg in ("--task-id", task_id)]
        assert run_command(parser.parse_args(argv)) == 0, capsys.readouterr().out
    report = json.loads(path.read_text("utf-8"))
    for other in (junit, markdown):  # the other reports say the same
        text = other.read_text("utf-8")
        assert version("mjspec") in text
        assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() in text
    assert report["tool_version"] == version("mjspec")
    assert report["spec_sha256"] == hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest()
    assert report["interrupted"] is False


def test_mjspec_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from mjspec.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"mjspec {version('mjspec')}"


def test_an_answer_seen_in_an_earlier_run_keeps_its_schema_verdict_and_a_changed_one_is_judged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Schema verdicts are kept per profile document across runs (servers repeat answers);
    the key is the answer's bytes, so a server that starts sending a broken task is judged
    on what it now sends."""
    from mjspec.conform import judge as judging
    from mjspec.conform.judge import ProfileJudge
    from mjspec.spec import ByContent

    monkeypatch.setattr(judging, "_READINGS", ByContent())  # what earlier tests saw is not kept
    validated: list[list[str]] = []  # the checks each fresh verdict failed
    real = ProfileJudge._validate

    def counting(self: ProfileJudge, exchange: Any, *, negative: bool) -> Any:
        found = real(self, exchange, negative=negative)
        if not negative:
            validated.append([check for check, _, _ in found])
        return found

    monkeypatch.setattr(ProfileJudge, "_validate", counting)
    with serve() as server:
        first = judge(server.base_url, TASK_IDS)
        seen = len(validated)
        second = judge(server.base_url, TASK_IDS)
        assert first.verdict == second.verdict == "pass"
        assert seen > 0 and len(validated) == seen  # every answer was seen in the first run

        def broken(reply: Any) -> Any:
            if isinstance(reply.body, list) and reply.body:
                reply.body = [dict(reply.body[0], submitTime="soon"), *reply.body[1:]]
            return reply

        server.set_mutation(broken)
        third = judge(server.base_url, TASK_IDS)
    assert not any(validated[:seen])
    assert any("response_schema_conformance" in checks for checks in validated[seen:])
    assert third.verdict == "fail"


def test_a_seed_draws_the_same_cases_from_kept_strategies_as_from_new_ones() -> None:
    """The strategies are built once per operation in a thread (conform.strategies): a run
    after others draws what the same seed draws in a new thread, which builds its own."""
    import concurrent.futures

    from mjspec.conform import strategies
    from mjspec.conform.judge import ProfileJudge
    from mjspec.masking import Masker

    asked: list[tuple[str, list[str]]] = []

    def recording(reply: Any) -> Any:
        asked.append((reply.media_type, list(reply.ids)))
        return reply

    def cases(server: Any, seed: int) -> list[tuple[str, list[str]]]:
        asked.clear()
        judge(server.base_url, TASK_IDS, seed=seed, max_examples=4)
        return list(asked)

    def in_a_new_thread(work: Any) -> Any:
        """What `work()` gives in a thread of its own; what it raises, raised here."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(work).result()

    with serve() as server:
        server.set_mutation(recording)
        new = in_a_new_thread(lambda: cases(server, seed=11))
        runs = [cases(server, seed=seed) for seed in (11, 12, 11)]
    assert len(new) > 10 and runs[0] == runs[2] == new != runs[1]
    # the operation the runs judged with (one per document), and its kept strategies
    operation = ProfileJudge(PROFILES["doc"], known=(), masker=Masker(None), headers={}).operation
    mine = strategies.negative_cases(operation)
    assert strategies.negative_cases(operation) is mine
    assert in_a_new_thread(lambda: strategies.negative_cases(operation)) is not mine
