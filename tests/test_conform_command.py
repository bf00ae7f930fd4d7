"""`mjspec conform` end to end, over real HTTP against the standard-library test server."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import types
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mjspec.conform import add_arguments, run_command
from tests.conform_servers import TASK_IDS, Reply, RunningServer, private_tasks, serve
from tests.helpers_conform import SPEC_PATH, hang_guard, refusing_url

# The fixed probes ask for every known task, alone and together, and send the invalid
# bodies; one generated case of each kind keeps the Hypothesis phases run.
FAST = ["--max-examples", "1", "--seed", "7", "--spec", str(SPEC_PATH)]
KNOWN = [arg for task_id in TASK_IDS for arg in ("--task-id", task_id)]
TOKEN = "sk-test-9f8e7d6c5b4a"


def conform(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="mjspec conform")
    add_arguments(parser)
    with hang_guard(60, "mjspec conform"):
        code = run_command(parser.parse_args([*FAST, *argv]))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_correct_stdlib_server_passes_and_the_table_lists_every_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    with serve() as server:
        code, out, _ = conform(
            capsys, "--base-url", server.base_url, *KNOWN, "--report-json", str(report_path)
        )
    assert code == 0, out
    assert "Verdict: PASS" in out
    for path in ("submitTime", "buttons[].style", "properties.finalZhPrompt"):
        assert path in out
    report = json.loads(report_path.read_text("utf-8"))
    assert report["verdict"] == "pass"
    assert report["tasks_checked"] > 0
    assert report["failures"] == []
    assert {field["status"] for field in report["fields"].values()} == {"ok"}


def test_a_value_that_reads_as_terminal_markup_is_printed_as_it_came(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A server's value is text, never markup for the terminal report: `[/bold]` was a
    markup error (a traceback), `[red]` a style."""
    value = "[/bold] [red]x :smile:"

    def broken(reply: Reply) -> Reply:
        for task in reply.body:
            task["submitTime"] = value  # a string: shown in the table's example column
        return reply

    with serve(broken) as server:
        code, out, err = conform(capsys, "--base-url", server.base_url, *KNOWN)
    assert code == 1, err
    assert "Traceback" not in out + err
    assert f'submitTime = "{value}"' in out


def test_the_json_report_has_the_documented_shape(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(reply: Reply) -> Reply:
        for task in reply.body:
            task["submitTime"] = str(task["submitTime"])
        return reply

    report_path = tmp_path / "report.json"
    with serve(broken) as server:
        code, _, _ = conform(
            capsys, "--base-url", server.base_url, *KNOWN, "--report-json", str(report_path)
        )
    assert code == 1
    report = json.loads(report_path.read_text("utf-8"))
    assert {"verdict", "tasks_checked", "fields", "failures", "warnings"} <= set(report)
    assert report["verdict"] == "fail"
    field = report["fields"]["submitTime"]
    assert field["status"] == "wrong_type"
    assert field["counts"]["wrong_type"] > 0
    assert field["example"]["value"] == "1730621826053"
    failure = next(f for f in report["failures"] if f["field"] == "submitTime")
    assert set(failure) >= {"check", "field", "message", "reproduce"}
    assert failure["check"] == "field"
    assert failure["reproduce"].startswith("curl -X POST")
    assert "is a JSON string" in failure["message"]


def test_a_wrong_base_url_is_inconclusive_saying_the_endpoint_never_answered_200(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serve() as server:
        code, out, _ = conform(capsys, "--base-url", server.base_url + "/wrong-prefix", *KNOWN)
    assert code == 2
    assert "never answered 200 (it answered 404" in out
    assert "check --base-url" in out


def test_without_known_ids_the_verdict_is_inconclusive(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The spec's example ids are real ids on the default server, so this one uses others."""
    report_path = tmp_path / "report.json"
    with serve(tasks=private_tasks()) as server:
        code, out, _ = conform(
            capsys, "--base-url", server.base_url, "--report-json", str(report_path)
        )
    assert code == 2
    assert "--task-id" in out
    report = json.loads(report_path.read_text("utf-8"))
    assert report["verdict"] == "inconclusive"
    assert report["tasks_checked"] == 0
    assert {field["status"] for field in report["fields"].values()} == {"unseen"}


def test_an_unreachable_server_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with refusing_url() as url:
        code, out, err = conform(capsys, "--base-url", url, *KNOWN)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "cannot reach" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("token", ["SECRETTOK\n", " SECRETTOK", "SECR\tETTOK", "SECRÉTTOK"])
def test_a_token_no_header_can_carry_is_one_line_that_does_not_show_it(
    token: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An HTTP library refusing the header would quote the token in its error."""
    monkeypatch.setenv("MJSPEC_TOKEN", token)
    with refusing_url() as url:
        code, out, err = conform(capsys, "--base-url", url, *KNOWN)
    assert code == 2
    assert err.strip().splitlines() == [
        "mjspec: error: the token cannot be sent in an HTTP header: it holds a control or "
        "non-ASCII character, or starts or ends with whitespace (it is not shown)"
    ]
    assert "SECR" not in out + err


def test_a_rejected_token_is_inconclusive_not_a_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serve(token=TOKEN) as server:
        code, out, _ = conform(capsys, "--base-url", server.base_url, *KNOWN, "--token", "wrong")
    assert code == 2
    assert "authentication rejected" in out


@pytest.mark.parametrize("header", ["Authorization", "mj-api-secret"])
def test_the_token_is_sent_and_never_printed_or_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, header: str
) -> None:
    def broken(reply: Reply) -> Reply:  # failures, so that curl lines and examples are shown
        if not reply.ids:
            reply.status = 500
        elif isinstance(reply.body, list) and reply.body:
            reply.body[0]["state"] = f"Bearer {TOKEN}"  # echoes the credentials
            reply.body[0]["progress"] = {"auth": [TOKEN]}
        return reply

    json_path, junit_path = tmp_path / "r.json", tmp_path / "r.xml"
    with serve(broken, token=TOKEN, auth_header=header) as server:
        code, out, err = conform(
            capsys,
            "--base-url",
            server.base_url,
            *KNOWN,
            "--token",
            TOKEN,
            "--auth-header",
            header,
            "--report-json",
            str(json_path),
            "--junit-xml",
            str(junit_path),
        )
    assert code == 1, out
    assert "curl -X POST" in out
    for text in (out, err, json_path.read_text("utf-8"), junit_path.read_text("utf-8")):
        assert TOKEN not in text


def test_unenforced_auth_is_a_warning_and_fails_under_strict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serve() as server:
        code, out, _ = conform(capsys, "--base-url", server.base_url, *KNOWN, "--token", TOKEN)
        strict_code, _, _ = conform(
            capsys, "--base-url", server.base_url, *KNOWN, "--token", TOKEN, "--strict"
        )
    assert code == 0
    assert "auth_not_enforced" in out
    assert strict_code == 1


def test_a_json_only_server_passes_with_a_multipart_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every real implementation answers the documented multipart body with 4xx (Spring: 415)."""

    def json_only(reply: Reply) -> Reply:
        if reply.media_type != "application/json":
            reply.status, reply.body = 415, {"error": "Unsupported Media Type"}
        return reply

    with serve(json_only) as server:
        code, out, _ = conform(capsys, "--base-url", server.base_url, *KNOWN)
        strict_code, _, _ = conform(capsys, "--base-url", server.base_url, *KNOWN, "--strict")
    assert code == 0, out
    assert "multipart_rejected" in out
    assert strict_code == 1


def test_a_5xx_to_invalid_input_fails(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(bad_input_status=500) as server:
        code, out, _ = conform(capsys, "--base-url", server.base_url, *KNOWN)
    assert code == 1
    assert "server_error" in out
    assert "spec-invalid" in out


def test_the_junit_file_has_a_case_per_field_and_counts_failures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(reply: Reply) -> Reply:
        for task in reply.body:
            task["properties"].pop("finalZhPrompt")
        return reply

    junit_path = tmp_path / "junit.xml"
    with serve(broken) as server:
        code, _, _ = conform(
            capsys, "--base-url", server.base_url, *KNOWN, "--junit-xml", str(junit_path)
        )
    assert code == 1
    suite = ET.parse(junit_path).getroot()
    names = {case.get("name"): case for case in suite.iter("testcase")}
    assert names["field properties.finalZhPrompt"].find("failure") is not None
    assert names["field id"].find("failure") is None
    assert int(suite.get("failures", "0")) >= 2  # the field and the verdict


def _fake_refserver_module(started: list[RunningServer]) -> Any:
    """A stand-in for `mjspec.serve.refserver` that serves the stdlib test server."""

    @contextlib.contextmanager
    def serve_in_thread(token: str | None = None, profile: str = "doc") -> Iterator[Any]:
        with serve() as server:
            started.append(server)
            yield types.SimpleNamespace(base_url=server.base_url, task_ids=server.task_ids)

    return types.SimpleNamespace(serve_in_thread=serve_in_thread)


def test_without_base_url_the_embedded_reference_server_is_checked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[RunningServer] = []
    monkeypatch.setitem(sys.modules, "mjspec.serve.refserver", _fake_refserver_module(started))
    code, out, _ = conform(capsys)
    assert code == 0, out
    assert "Verdict: PASS" in out
    assert len(started) == 1
    assert started[0].requests > 0  # the server checked is the one embedded


def test_the_real_reference_server_passes_and_the_working_directory_stays_clean(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = conform(capsys)
    assert code == 0, out
    assert "Verdict: PASS" in out
    assert list(tmp_path.iterdir()) == []


def test_a_token_without_base_url_is_enforced_by_the_embedded_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = conform(capsys, "--token", TOKEN)
    assert code == 0, out
    assert "auth_not_enforced" not in out
    assert TOKEN not in out


def test_a_missing_reference_server_is_a_clear_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mjspec.serve.refserver", None)  # import raises ImportError
    code, _, err = conform(capsys)
    assert code == 2
    assert "--base-url" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--base-url", "127.0.0.1:8080"], "must start with http"),
        (["--base-url", "http://127.0.0.1:1", "--auth-header", "mj-api-secret"], "needs --token"),
        (
            ["--base-url", "http://127.0.0.1:1", "--spec", "no/such/spec.yaml"],
            "no such file",
        ),
        (
            ["--base-url", "http://127.0.0.1:1", "--report-json", "/nonexistent/dir/r.json"],
            "--report-json /nonexistent/dir/r.json: no such directory",
        ),
        (["--base-url", "http://127.0.0.1:1", "--junit-xml", "/"], "--junit-xml /: is a directory"),
        (["--base-url", "http://127.0.0.1:1", "--profile", "nope"], "unknown profile 'nope'"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = conform(capsys, *argv)
    assert code == 2
    assert message in err


def test_another_projects_spec_in_the_working_directory_is_not_picked_up(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "openapi.yaml").write_text("openapi: 3.1.0\ninfo: {}\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = conform_default_spec(capsys)
    assert code == 0, (out, err)
    assert "Verdict: PASS" in out


def conform_default_spec(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="mjspec conform")
    add_arguments(parser)
    with hang_guard(60, "mjspec conform"):
        code = run_command(parser.parse_args(["--max-examples", "1", "--seed", "3"]))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_run_leaves_hypothesis_home_as_it_was(capsys: pytest.CaptureFixture[str]) -> None:
    from hypothesis import configuration

    before = vars(configuration).get("__hypothesis_home_directory")
    with serve() as server:
        code, _, _ = conform(capsys, "--base-url", server.base_url, *KNOWN)
    assert code == 0
    assert vars(configuration).get("__hypothesis_home_directory") == before
