"""The stand-ins (`mjspec serve --profile`) judged by the kit, against the hand-written families.

A stand-in is derived from its profile (the overlay's `x-mjspec-served` rules); the family
servers of `tests/family_servers.py` are written from the facts page. Both must deviate
from the document in exactly the same fields, and each must pass its own profile.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjspec.conform import Report, Settings, add_arguments, run, run_command
from mjspec.conform.report import BAD_STATUSES
from mjspec.serve.refserver import serve_in_thread
from tests.family_servers import DEVIATING_FIELDS, FamilyHost, family_host
from tests.helpers_conform import SPEC_PATH, checkout_profiles

PROFILES = checkout_profiles()
TOKEN = "sk-standin-0a1b2c3d4e"
# The fixed probes ask for every known task, alone and together; one generated case of
# each kind keeps the Hypothesis phases run.
EXAMPLES = 1


@pytest.fixture(scope="module")
def host() -> Iterator[FamilyHost]:
    with family_host() as running:
        yield running


@pytest.fixture(scope="module")
def matrices() -> dict[str, Report]:
    found = {}
    for name in DEVIATING_FIELDS:
        with serve_in_thread(profile=name, token=TOKEN) as server:
            settings = Settings(
                spec=PROFILES["doc"].document,
                base_url=server.base_url,
                task_ids=tuple(server.task_ids),
                token=TOKEN,
                profiles=tuple(PROFILES.values()),
                max_examples=EXAMPLES,
                seed=3,
            )
            found[name] = run(settings)
    return found


@pytest.mark.parametrize("name", list(DEVIATING_FIELDS))
def test_a_stand_in_passes_its_own_profile(name: str, matrices: dict[str, Report]) -> None:
    result = matrices[name].profiles[name]
    assert result.verdict == "pass", [(f.check, f.message) for f in result.failures]


@pytest.mark.parametrize("name", list(DEVIATING_FIELDS))
def test_under_doc_a_stand_in_deviates_where_its_hand_written_family_does(
    name: str, matrices: dict[str, Report]
) -> None:
    doc = matrices[name].profiles["doc"]
    bad = {f.path for f in doc.fields if f.status in BAD_STATUSES}
    assert bad == DEVIATING_FIELDS[name]


@pytest.mark.parametrize("name", list(DEVIATING_FIELDS))
def test_a_stand_in_accepts_the_token_exactly_its_profiles_ways(
    name: str, matrices: dict[str, Report]
) -> None:
    declared = {(w.header.lower(), w.bearer) for w in PROFILES[name].auth_ways}
    assert len(matrices[name].auth) >= 3  # every known way was tried
    for probe in matrices[name].auth:
        header, _, kind = probe.way.partition(": ")
        key = (header.split(" ")[0].lower(), kind == "Bearer")
        assert probe.accepted == (key in declared), probe


@pytest.mark.parametrize("name", list(DEVIATING_FIELDS))
def test_conform_without_base_url_checks_the_profiles_own_stand_in(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    argv = ["--profile", name, "--max-examples", str(EXAMPLES), "--seed", "2"]
    argv += ["--spec", str(SPEC_PATH)]
    code = run_command(parser.parse_args(argv))
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert f"Documented fields under {name}" in out
    assert "Verdict: PASS" in out


def _field_findings(report: Report) -> dict[str, dict[str, str]]:
    return {
        name: {f.path: f.status for f in result.fields} for name, result in report.profiles.items()
    }


@pytest.mark.parametrize("name", list(DEVIATING_FIELDS))
def test_conform_against_a_replay_agrees_with_the_live_server(
    name: str, tmp_path: Path, host: FamilyHost
) -> None:
    from mjspec.serve.record import record

    recording = tmp_path / f"{name}.json"

    def judge(base_url: str, task_ids: list[str], token: str | None = None) -> Report:
        settings = Settings(
            spec=PROFILES["doc"].document,
            base_url=base_url,
            task_ids=tuple(task_ids),
            token=token,
            profiles=tuple(PROFILES.values()),
            max_examples=EXAMPLES,
            seed=9,
        )
        return run(settings)

    with host.serving(name, token=TOKEN) as live:
        record(live.base_url, live.task_ids, recording, token=TOKEN, profile=name)
        settings_live = judge(live.base_url, live.task_ids, TOKEN)
    with serve_in_thread(recording, profile=name) as replay:
        assert sorted(replay.task_ids) == sorted(live.task_ids)
        settings_replay = judge(replay.base_url, replay.task_ids)
    assert _field_findings(settings_replay) == _field_findings(settings_live)
    verdicts = {n: r.verdict for n, r in settings_live.profiles.items()}
    assert verdicts[name] == "pass"
    assert TOKEN not in recording.read_text("utf-8")
    assert {n: r.verdict for n, r in settings_replay.profiles.items()} == verdicts
