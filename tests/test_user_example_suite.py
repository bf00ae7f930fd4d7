"""A server project's own suite, as a user would write it with `mjspec.testing`.

A correct server passes, a server that breaks one field fails, and the opt-in pytest
plugin's `mjspec_conform` fixture works in a pytest run that enables it (`-p`).
"""

from __future__ import annotations

import importlib.metadata
import textwrap
from pathlib import Path

import pytest
from hypothesis import configuration
from hypothesis import settings as hypothesis_settings

from mjspec.conform import ConformError
from mjspec.serve.refserver import serve_in_thread
from mjspec.testing import mjspec_conform
from tests.conform_servers import Reply, serve
from tests.helpers_pytest import run_pytest

ROOT = Path(__file__).resolve().parents[1]
FEW = 2
"""Requests Hypothesis generates per run: the probes check the rest."""


def _status_as_number(reply: Reply) -> Reply:
    if reply.status == 200 and isinstance(reply.body, list):
        reply.body = [dict(task, status=1) for task in reply.body]
    return reply


def test_a_correct_server_passes() -> None:
    home = vars(configuration).get("__hypothesis_home_directory")
    before = hypothesis_settings.default
    with serve_in_thread(profile="new-api", token="s3cret") as server:
        report = mjspec_conform(
            server.base_url,
            task_ids=server.task_ids,
            profile="new-api",
            token="s3cret",
            max_examples=FEW,
            seed=1,
        )
    assert report.verdict == "pass", report.reason
    # The run leaves Hypothesis as it found it.
    assert vars(configuration).get("__hypothesis_home_directory") == home
    assert hypothesis_settings.default is before


def test_a_server_breaking_one_field_fails() -> None:
    with serve(_status_as_number) as server:
        report = mjspec_conform(server.base_url, task_ids=server.task_ids, max_examples=FEW, seed=1)
    assert report.verdict == "fail"
    assert any(finding.field == "status" for finding in report.profiles["doc"].failures)


def test_bad_arguments_are_refused_before_any_run() -> None:
    with pytest.raises(ConformError, match="profile"):
        mjspec_conform("http://127.0.0.1:9", profile="nope")
    with pytest.raises(ConformError):
        mjspec_conform("ftp://127.0.0.1:9")
    with pytest.raises(TypeError):
        mjspec_conform("http://127.0.0.1:9", task_ids="1730621826053455")
    with pytest.raises(ValueError, match="auth_header"):
        mjspec_conform("http://127.0.0.1:9", auth_header="mj-api-secret")


def test_the_fixture_plugin_is_not_registered_for_every_pytest_run() -> None:
    """mjspec's one entry point declares the suite's options (tests/test_suite_pyargs.py)."""
    plugins = importlib.metadata.entry_points(group="pytest11")
    assert [p.value for p in plugins if p.value.startswith("mjspec")] == ["mjspec.suite.options"]


USER_TEST = """
from tests.conform_servers import serve


def test_my_server_conforms(mjspec_conform):
    with serve() as server:
        report = mjspec_conform(server.base_url, task_ids=server.task_ids, max_examples=1, seed=1)
    assert report.verdict == "pass", report.reason
"""


def test_the_fixture_in_a_pytest_run_that_enables_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The user's own pytest run, in this process (its imports are paid already): a project
    that enables the plugin with `-p` gets the fixture."""
    (tmp_path / "test_mine.py").write_text(textwrap.dedent(USER_TEST))
    for name in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.chdir(tmp_path)
    # The user's server: the suite's standard-library one (quicker to start than FastAPI);
    # this process has imported the plugin's modules, which pytest would rewrite in theirs.
    arguments = ["-p", "mjspec.pytest_plugin", "-p", "no:cacheprovider", "-q", "test_mine.py"]
    run = run_pytest(tmp_path, capsys, *arguments)
    assert run.ret == pytest.ExitCode.OK, run.output
    assert run.outcomes() == {"passed": 1}, run.output
