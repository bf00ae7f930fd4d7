"""Judging under profiles, against servers written by hand to answer like each real family.

The family servers (`tests/family_servers.py`) come from the facts page, not from the
overlays, so these tests hold the profiles to what the families really do: each family
passes its own profile and fails `doc` in exactly the fields it deviates in, and a family
server that deviates the way only another family does fails its own profile.
"""

from __future__ import annotations

import argparse
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mjspec.conform import Report, Settings, add_arguments, run, run_command
from mjspec.conform.report import BAD_STATUSES
from mjspec.profiles import Profile, load_profiles
from tests.family_servers import DEVIATING_FIELDS, Deviation, FamilyHost, family_host
from tests.helpers_conform import SPEC_PATH, checkout_profiles

ROOT = Path(__file__).resolve().parents[1]
PROFILES = checkout_profiles()
FAMILIES = list(DEVIATING_FIELDS)
TOKEN = "sk-profile-7c1d2e3f"
# The fixed probes ask for every known task, alone and together, so a field a family
# sends wrongly is seen without generated cases; one of each kind keeps that phase run.
EXAMPLES = 1


def judge(
    base_url: str,
    task_ids: list[str],
    *names: str,
    token: str | None = None,
    auth_header: str | None = None,
    profiles: dict[str, Profile] = PROFILES,
) -> Report:
    chosen = tuple(profiles[n] for n in names) if names else tuple(profiles.values())
    settings = Settings(
        spec=profiles["doc"].document,
        base_url=base_url,
        task_ids=tuple(task_ids),
        token=token,
        auth_header=auth_header,
        profiles=chosen,
        max_examples=EXAMPLES,
        seed=11,
    )
    return run(settings)


def bad_fields(report: Report, profile: str) -> set[str]:
    return {f.path for f in report.profiles[profile].fields if f.status in BAD_STATUSES}


@pytest.fixture(scope="module")
def host() -> Iterator[FamilyHost]:
    """One server for the module; each test tells it which family to answer as."""
    with family_host() as running:
        yield running


@pytest.fixture(scope="module")
def matrices(host: FamilyHost) -> dict[str, Report]:
    """One `all` run per family server."""
    found = {}
    for family in FAMILIES:
        with host.serving(family) as server:
            found[family] = judge(server.base_url, server.task_ids)
    return found


@pytest.fixture(scope="module")
def with_token(host: FamilyHost) -> dict[str, Report]:
    """One `all` run per family server that enforces TOKEN, the token given."""
    found = {}
    for family in FAMILIES:
        with host.serving(family, token=TOKEN) as server:
            found[family] = judge(server.base_url, server.task_ids, token=TOKEN)
    return found


@pytest.mark.parametrize("family", FAMILIES)
def test_a_family_server_passes_its_own_profile(family: str, matrices: dict[str, Report]) -> None:
    result = matrices[family].profiles[family]
    assert result.verdict == "pass", [(f.check, f.message) for f in result.failures]
    assert result.tasks_checked > 0


@pytest.mark.parametrize("family", FAMILIES)
def test_under_doc_a_family_fails_in_exactly_the_fields_it_deviates_in(
    family: str, matrices: dict[str, Report]
) -> None:
    report = matrices[family]
    assert report.profiles["doc"].verdict == "fail"
    assert bad_fields(report, "doc") == DEVIATING_FIELDS[family]


def test_the_matrix_summary_names_what_passes_and_why_the_rest_fails(
    matrices: dict[str, Report],
) -> None:
    summary = matrices["new-api"].summary()
    assert summary.startswith("conforms to: new-api; not to: doc (")
    assert "buttons null in " in summary
    report = matrices["midjourney-proxy-java"]
    assert report.exit_code == 0  # it conforms to a profile
    assert report.verdict == "fail"  # the top level is the first profile: doc


def _set(field: str, value: Any, *, status: str | None = None) -> Deviation:
    def deviate(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for task in tasks:
            if status is None or task.get("status") == status:
                task[field] = value
        return tasks

    return deviate


def _drop(field: str) -> Deviation:
    def deviate(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for task in tasks:
            task.pop(field, None)
        return tasks

    return deviate


def _nested(parent: str, field: str, value: Any) -> Deviation:
    def deviate(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for task in tasks:
            for item in task.get(parent) or []:
                item[field] = value
        return tasks

    return deviate


# (family, what it is made to do, the field its own profile must name)
OTHER_FAMILIES_WAYS = [
    ("midjourney-proxy-java", "buttons null (new-api's way)", _set("buttons", None), "buttons"),
    ("midjourney-proxy-java", "action null (the C# fork's way)", _set("action", None), "action"),
    (
        "new-api",
        "startTime null before the start (Java's way)",
        _set("startTime", None, status="NOT_START"),
        "startTime",
    ),
    ("new-api", "no maskBase64 (Java's way)", _drop("maskBase64"), "maskBase64"),
    ("midjourney-proxy-csharp", "no buttons (Java's way)", _drop("buttons"), "buttons"),
    ("midjourney-proxy-csharp", "buttons null (new-api's way)", _set("buttons", None), "buttons"),
    ("midjourney-proxy-csharp", "no botType (Java's way)", _drop("botType"), "botType"),
]
NEVER_SEEN = [
    ("new-api", "prompt null", _set("prompt", None), "prompt"),
    ("new-api", "submitTime as a string", _set("submitTime", "1730621826053"), "submitTime"),
    ("midjourney-proxy-java", "status null", _set("status", None), "status"),
    ("midjourney-proxy-java", "startTime as a float", _set("startTime", 1.5), "startTime"),
    ("midjourney-proxy-csharp", "progress null", _set("progress", None), "progress"),
    (
        "midjourney-proxy-csharp",
        "a button's style as a string",
        _nested("buttons", "style", "2"),
        "buttons[].style",
    ),
    ("new-api", "a video url as a number", _set("videoUrl", 7), "videoUrl"),
]


@pytest.mark.parametrize(
    ("family", "what", "deviation", "field"),
    OTHER_FAMILIES_WAYS + NEVER_SEEN,
    ids=[f"{family}: {what}" for family, what, _, _ in OTHER_FAMILIES_WAYS + NEVER_SEEN],
)
def test_one_deviation_its_family_never_shows_fails_its_own_profile_naming_the_field(
    family: str, what: str, deviation: Deviation, field: str, host: FamilyHost
) -> None:
    with host.serving(family, deviation=deviation) as server:
        report = judge(server.base_url, server.task_ids, family)
    assert report.verdict == "fail", what
    assert bad_fields(report, family) == {field}


def test_an_error_object_answered_200_fails_a_family_that_answers_4xx(host: FamilyHost) -> None:
    with host.serving("new-api", error_as_200=True) as server:
        report = judge(server.base_url, server.task_ids, "new-api", "midjourney-proxy-csharp")
    assert report.profiles["new-api"].verdict == "fail"
    assert "shape" in {f.check for f in report.profiles["new-api"].failures}
    # The C# fork answers bad bodies that way; its profile allows it (the fields still fail).
    assert "shape" not in {f.check for f in report.profiles["midjourney-proxy-csharp"].failures}


@pytest.mark.parametrize(
    ("family", "accepted"),
    [
        ("new-api", {"Authorization: Bearer", "mj-api-secret (raw)", "Authorization (raw)"}),
        ("midjourney-proxy-java", {"mj-api-secret (raw)"}),
        ("midjourney-proxy-csharp", {"Authorization (raw)", "mj-api-secret (raw)"}),
    ],
)
def test_with_one_token_the_kit_finds_which_ways_of_sending_it_are_accepted(
    family: str, accepted: set[str], with_token: dict[str, Report]
) -> None:
    report = with_token[family]
    found = {probe.way.lower() for probe in report.auth if probe.accepted}
    assert found == {way.lower() for way in accepted}
    own = report.profiles[family]
    assert own.verdict == "pass", [(f.check, f.message) for f in own.failures]
    assert TOKEN not in json.dumps(report.as_dict())


def test_a_profile_whose_way_of_sending_the_token_is_refused_fails(
    with_token: dict[str, Report],
) -> None:
    report = with_token["midjourney-proxy-java"]  # judged under doc first: its top level
    assert report.profile == "doc"
    refused = [f for f in report.failures if f.check == "auth_way_refused"]
    assert refused, report.failures
    assert "Authorization: Bearer" in refused[0].message
    assert report.tasks_checked > 0  # the run went on with the way the server accepts


def test_the_csharp_fork_is_reached_with_the_raw_token_in_authorization(
    host: FamilyHost,
) -> None:
    with host.serving("midjourney-proxy-csharp", token=TOKEN) as server:
        report = judge(
            server.base_url,
            server.task_ids,
            "midjourney-proxy-csharp",
            token=TOKEN,
            auth_header="Authorization",
        )
    assert report.verdict == "pass", [(f.check, f.message) for f in report.failures]


def test_a_profile_may_change_a_severity(tmp_path: Path, host: FamilyHost) -> None:
    spec_dir = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", spec_dir)
    overlay = {
        "overlay": "1.0.0",
        "info": {"title": "strict about methods", "version": "1"},
        "actions": [
            {"target": "$", "update": {"x-mjspec-severities": {"other_method": "failure"}}}
        ],
    }
    (spec_dir / "profiles" / "strict-methods.yaml").write_text(yaml.safe_dump(overlay), "utf-8")
    profiles = load_profiles(spec_dir / "openapi.yaml", validate=False)
    with host.serving("new-api", any_method=True) as server:
        report = judge(
            server.base_url, server.task_ids, "new-api", "strict-methods", profiles=profiles
        )
    # GET answered 200: a warning under new-api, a failure under the profile that says so.
    assert report.profiles["new-api"].verdict == "pass"
    assert "other_method" in {f.check for f in report.profiles["new-api"].warnings}
    assert report.profiles["strict-methods"].verdict == "fail"
    assert "other_method" in {f.check for f in report.profiles["strict-methods"].failures}


def test_the_command_prints_the_matrix_and_writes_every_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: FamilyHost
) -> None:
    paths = {kind: tmp_path / f"report.{kind}" for kind in ("json", "md", "xml")}
    with host.serving("midjourney-proxy-java", token=TOKEN) as server:
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        argv = ["--base-url", server.base_url, "--profile", "all", "--token", TOKEN]
        argv += ["--max-examples", str(EXAMPLES), "--seed", "5", "--spec", str(SPEC_PATH)]
        argv += ["--report-json", str(paths["json"]), "--report-markdown", str(paths["md"])]
        argv += ["--junit-xml", str(paths["xml"])]
        argv += [arg for task_id in server.task_ids for arg in ("--task-id", task_id)]
        code = run_command(parser.parse_args(argv))
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert "Compatibility matrix" in out
    assert "Summary: conforms to: midjourney-proxy-java; not to: doc (" in out
    assert TOKEN not in out
    report = json.loads(paths["json"].read_text("utf-8"))
    assert set(report["profiles"]) == set(PROFILES)
    for result in report["profiles"].values():
        assert {"verdict", "failures", "fields"} <= set(result)
    assert report["profiles"]["midjourney-proxy-java"]["verdict"] == "pass"
    assert report["verdict"] == report["profiles"]["doc"]["verdict"] == "fail"
    markdown = paths["md"].read_text("utf-8")
    assert "| `startTime` |" in markdown
    assert "null in" in markdown
    assert TOKEN not in markdown + paths["json"].read_text("utf-8")
    suites = ET.parse(paths["xml"]).getroot()
    assert suites.tag == "testsuites"
    names = {suite.get("name") for suite in suites}
    assert names == {f"mjspec conform [{name}]" for name in PROFILES}
    java = next(s for s in suites if s.get("name") == "mjspec conform [midjourney-proxy-java]")
    assert java.get("failures") == "0"
    assert int(suites.get("failures", "0")) > 0  # doc's, among others


def test_numeric_ids_coerced_by_spring_are_a_warning_not_a_failure(
    matrices: dict[str, Report],
) -> None:
    java = matrices["midjourney-proxy-java"].profiles["midjourney-proxy-java"]
    assert java.verdict == "pass"
    accepted = [w for w in java.warnings if w.check == "invalid_input_accepted"]
    assert accepted
    assert '{"ids": [1]}' in accepted[0].message
