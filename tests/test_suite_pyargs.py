"""`pytest --pyargs mjspec.suite`, run as a user runs it, in a project of theirs.

Each scenario is one `pytest.main` in this process against a server the test starts on
127.0.0.1, with few generated cases: the imports are paid once, not once per run
(pytester's in-process runner would drop and re-import them, and a PyO3 extension cannot
be imported twice).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mjspec.conform.fields import derive_fields
from mjspec.conform.severity import CHECKS
from mjspec.profiles import DOC, load_profiles
from mjspec.spec import packaged_spec_path
from tests.conform_servers import TASKS, Reply, serve
from tests.helpers_http import refusing_url
from tests.helpers_pytest import Run, run_pytest

TOKEN = "tok-3d1f6c0a-never-shown"
SUITE = ("--pyargs", "mjspec.suite")
FEW = ("--mjspec-max-examples", "1", "--mjspec-seed", "1", "-p", "no:cacheprovider")
USER_PYPROJECT = """
[tool.pytest.ini_options]
addopts = ["--strict-markers", "--strict-config", "-ra"]
filterwarnings = ["error"]
asyncio_default_fixture_loop_scope = "function"
"""
USER_CONFTEST = """
import pytest

@pytest.fixture
def their_own_fixture():
    return 1
"""


@functools.cache
def _required_paths() -> frozenset[str]:
    spec = packaged_spec_path()
    return frozenset(f.path for f in derive_fields(load_profiles(spec)[DOC].document))


def _style_null(reply: Reply) -> Reply:
    if reply.status == 200 and isinstance(reply.body, list):
        for task in reply.body:
            for button in task.get("buttons") or []:
                button["style"] = None
    return reply


@dataclasses.dataclass(frozen=True, slots=True)
class Project:
    """A user's project (its own configuration and conftest), the working directory."""

    path: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str) -> Run:
        """One pytest run in this process, as `python -m pytest ARGS` in the project."""
        return run_pytest(self.path, self.capsys, *args)


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Project:
    for name in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MJSPEC_TOKEN", TOKEN)
    (tmp_path / "pyproject.toml").write_text(USER_PYPROJECT)
    (tmp_path / "conftest.py").write_text(USER_CONFTEST)
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path, capsys)


def _cases(junit: Path) -> dict[str, str]:
    """Each test case's name and outcome (passed, failure, error, skipped) in a JUnit file."""
    outcomes = {}
    for case in ET.parse(junit).iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.attrib["name"]] = kinds[0] if kinds else "passed"
    return outcomes


def test_a_correct_server_passes_with_a_test_per_field_path_and_per_check(
    project: Project,
) -> None:
    junit = project.path / "junit.xml"
    with serve(token=TOKEN) as server:
        ids = [arg for task_id in server.task_ids for arg in ("--mjspec-task-id", task_id)]
        result = project.run(
            *SUITE, "--mjspec-base-url", server.base_url, *ids, *FEW, f"--junitxml={junit}"
        )
    assert result.ret == pytest.ExitCode.OK, result.output
    cases = _cases(junit)
    fields = {name[len("test_field[") : -1] for name in cases if name.startswith("test_field[")}
    checks = {name[len("test_check[") : -1] for name in cases if name.startswith("test_check[")}
    assert fields == _required_paths()
    assert checks == set(CHECKS)
    assert all(cases[f"test_field[{path}]"] == "passed" for path in fields)
    assert cases["test_run_is_conclusive"] == "passed"
    # The token was sent, so the checks of how it is taken were judged, not skipped.
    assert cases["test_check[auth_not_enforced]"] == "passed"
    assert "failure" not in cases.values() and "error" not in cases.values()


def test_a_broken_field_fails_its_own_test_only_with_the_reproduction(
    project: Project,
) -> None:
    junit = project.path / "junit.xml"
    with serve(_style_null, token=TOKEN) as server:
        ids = [arg for task_id in server.task_ids for arg in ("--mjspec-task-id", task_id)]
        result = project.run(
            *SUITE, "--mjspec-base-url", server.base_url, *ids, *FEW, f"--junitxml={junit}"
        )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    cases = _cases(junit)
    broken = {name for name, outcome in cases.items() if outcome in ("failure", "error")}
    assert broken == {"test_field[buttons[].style]"}, result.output
    failure = ET.parse(junit).find(".//testcase[@name='test_field[buttons[].style]']/failure")
    assert failure is not None and failure.text is not None
    assert "buttons[].style (integer): null in" in failure.text
    # The reproduction, with the token left to the environment.
    assert "curl -X POST" in failure.text
    assert '"Authorization: Bearer $MJSPEC_TOKEN"' in failure.text
    output = result.output
    assert "curl -X POST" in output
    assert TOKEN not in output
    assert TOKEN not in junit.read_text(encoding="utf-8")


def test_an_unseen_field_is_skipped_and_an_unknown_task_id_leaves_the_run_undecided(
    project: Project,
) -> None:
    junit = project.path / "junit.xml"
    without_buttons = {
        task_id: dict(task, buttons=[])
        for task_id, task in TASKS.items()
        if task["status"] != "FAILURE"  # and no task a FAILURE rule could judge
    }
    with serve(tasks=without_buttons) as server:
        ids = [
            arg for task_id in [*server.task_ids, "404404"] for arg in ("--mjspec-task-id", task_id)
        ]
        result = project.run(
            *SUITE, "--mjspec-base-url", server.base_url, *ids, *FEW, f"--junitxml={junit}"
        )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    cases = _cases(junit)
    unseen = {p for p in _required_paths() if p.startswith("buttons[].")}
    assert unseen and all(cases[f"test_field[{path}]"] == "skipped" for path in unseen)
    assert "nothing to judge: no answer showed buttons[].style" in result.output
    for rule in ("invariant_failure_reason", "invariant_failure_progress"):
        assert cases[f"test_check[{rule}]"] == "skipped"
    assert "nothing to judge: no task the rule applies to came back (a FAILURE" in result.output
    broken = {name for name, outcome in cases.items() if outcome in ("failure", "error")}
    assert broken == {"test_run_is_conclusive"}
    assert "inconclusive: never returned: '404404'" in result.output
    assert "is the --mjspec-task-id right?" in result.output


def test_an_unreachable_server_errors_each_selected_test_with_the_reason(
    project: Project,
) -> None:
    with refusing_url() as url:
        result = project.run(*SUITE, "--mjspec-base-url", url, *FEW, "-k", "buttons", "-rE")
    outcomes = result.outcomes()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "passed" not in outcomes and "skipped" not in outcomes
    # `-k` picks by field path, before anything is sent.
    selected = {p for p in _required_paths() if p.startswith("buttons")}
    assert outcomes["errors"] == len(selected)
    for path in selected:
        assert f"ERROR test_conformance.py::test_field[{path}]" in result.out
    assert f"mjspec could not judge the server: cannot reach {url}" in result.out


def test_an_unknown_profile_is_one_usage_line_naming_the_choices(
    project: Project,
) -> None:
    result = project.run(*SUITE, "--mjspec-profile", "nope", *FEW)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.err
    assert "argument --mjspec-profile: 'nope': unknown; choose one of: doc," in errors
    assert "new-api" in errors and "Traceback" not in errors


def test_other_pytest_runs_get_the_options_and_nothing_else(project: Project) -> None:
    """mjspec's entry point only declares options: no fixture, no hook that runs."""
    import mjspec.suite.options as options

    hooks = [name for name in vars(options) if name.startswith("pytest_")]
    assert hooks == ["pytest_addoption"]
    (project.path / "test_theirs.py").write_text("def test_theirs(their_own_fixture):\n    pass\n")
    with refusing_url() as url:  # an option given to a run without the suite does nothing
        theirs = project.run("--mjspec-base-url", url, "--trace-config", "-p", "no:cacheprovider")
    assert theirs.ret == pytest.ExitCode.OK, theirs.output
    assert theirs.outcomes() == {"passed": 1}
    assert "mjspec.suite.options" in theirs.output  # the entry point, as --trace-config lists it
    assert "mjspec.suite.plugin" not in theirs.output and "mjspec.conform" not in theirs.output
    hidden = project.run("-p", "no:mjspec", "--mjspec-base-url", url)
    assert hidden.ret == pytest.ExitCode.USAGE_ERROR
    assert "unrecognized arguments: --mjspec-base-url" in hidden.err


def test_without_entry_points_the_suite_still_collects_with_its_defaults(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (project.path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")  # no plugins
    result = project.run(*SUITE, "--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.output
    assert "test_conformance.py::test_field[buttons[].style]" in result.out


def test_an_auth_header_without_a_token_is_one_usage_line(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MJSPEC_TOKEN")
    result = project.run(*SUITE, "--mjspec-auth-header", "mj-api-secret", *FEW)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "argument --mjspec-auth-header: needs the token in MJSPEC_TOKEN" in result.err
    assert "Traceback" not in result.err


def test_this_checkouts_pytest_knows_the_suites_options(pytestconfig: pytest.Config) -> None:
    """`pytest --pyargs mjspec.suite --mjspec-base-url URL` run from this checkout reads its
    `addopts`, which turn plugin autoloading off: mjspec's entry point must be among the
    plugins they load, or pytest refuses the option."""
    assert pytestconfig.getoption("--mjspec-base-url") is None  # declared, and not given


def test_an_unrelated_run_imports_nothing_of_the_kit_or_the_client(tmp_path: Path) -> None:
    """In a process of its own (this one has imported everything): the entry point's
    options cost their declarations, not an import of the spec, the kit or mjapi.

    Only mjspec's entry point is loaded, by the module it names (pytest loads it so when
    autoloading): what the other distributions' plugins import is theirs, and importing
    them (schemathesis', Hypothesis', typeguard's...) would cost about 0.8 s of CPU.
    That the entry point is registered is `test_other_pytest_runs_get_the_options...`'s."""
    (tmp_path / "test_theirs.py").write_text(
        "import sys\n\n"
        "def test_nothing_of_mjspec_beyond_the_options():\n"
        "    loaded = {m.split('.')[0] for m in sys.modules if m.startswith(('mjspec', 'mjapi'))}\n"
        "    assert 'mjspec.suite.options' in sys.modules  # the entry point was loaded\n"
        "    assert loaded <= {'mjspec'}, loaded\n"
        "    more = [m for m in sys.modules if m.startswith('mjspec.')\n"
        "            and m not in ('mjspec.errors', 'mjspec.arguments', 'mjspec.masking',\n"
        "                          'mjspec.suite', 'mjspec.suite.options')]\n"
        "    assert not more, more\n"
    )
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    (entry_point,) = importlib.metadata.entry_points(group="pytest11", name="mjspec")
    argv = ["-q", "-p", "no:cacheprovider", "-p", entry_point.value]
    argv.append("test_theirs.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
