"""The controller rewrites the test modules' asserts once, as pytest's import hook would."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import pytest
from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, get_cache_dir

from tests.helpers_rewrite import module_files, rewrite_ahead, start_rewriting_ahead

MODULE = "def test_one():\n    value = 1\n    assert value == 2\n"


@pytest.fixture(autouse=True)
def _rewriting(pytestconfig: pytest.Config) -> None:
    if pytestconfig.getoption("assertmode") != "rewrite":
        pytest.skip("this run does not rewrite asserts (--assert=plain)")


def _pyc(file: Path) -> Path:
    return get_cache_dir(file) / (file.name[:-3] + PYC_TAIL)


def test_a_module_without_a_pyc_gets_the_one_the_import_hook_loads(
    pytestconfig: pytest.Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    module = tmp_path / "test_sample.py"
    module.write_text(MODULE, encoding="utf-8")
    assert rewrite_ahead(pytestconfig, [module]) == 1
    code = _read_pyc(module, _pyc(module))
    assert code is not None, "pytest's hook would not load it"
    test = next(c for c in code.co_consts if getattr(c, "co_name", "") == "test_one")
    assert "@pytest_ar" in test.co_names  # the asserts are rewritten, not plain
    assert rewrite_ahead(pytestconfig, [module]) == 0  # current: left alone
    module.write_text(MODULE.replace("2", "3"), encoding="utf-8")
    assert rewrite_ahead(pytestconfig, [module]) == 1  # the source changed: written again


def test_nothing_is_written_where_bytecode_is_off_or_a_module_does_not_parse(
    pytestconfig: pytest.Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "test_sample.py"
    module.write_text(MODULE, encoding="utf-8")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert rewrite_ahead(pytestconfig, [module]) == 0
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    broken = tmp_path / "test_broken.py"
    broken.write_text("def test(:\n", encoding="utf-8")
    missing = tmp_path / "test_missing.py"
    assert rewrite_ahead(pytestconfig, [broken, missing, module]) == 1
    assert not _pyc(broken).exists()
    assert _pyc(module).exists()


def test_the_files_are_the_arguments_test_modules_in_collection_order(
    pytestconfig: pytest.Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ["test_b.py", "test_a.py", "helpers.py", "sub/test_c.py", "notes.txt"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "test_x.py").write_text("", encoding="utf-8")
    other = tmp_path.parent / f"{tmp_path.name}-other" / "check_me.py"
    other.parent.mkdir()
    other.write_text("", encoding="utf-8")
    arguments = [str(tmp_path), f"{other}::test_it", str(tmp_path / "missing")]
    monkeypatch.setattr(pytestconfig, "args", arguments)
    assert module_files(pytestconfig) == sorted(
        [tmp_path / "test_a.py", tmp_path / "test_b.py", tmp_path / "sub" / "test_c.py", other]
    )
    monkeypatch.setattr(pytestconfig.option, "pyargs", True)
    assert module_files(pytestconfig) == []


def test_a_folder_is_walked_as_pytest_walks_it(
    pytestconfig: pytest.Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not into `norecursedirs` (`.nox`, `build`), a virtual environment or `--ignore`."""
    kept = tmp_path / "tests" / "test_kept.py"
    for name in [
        "tests/test_kept.py",
        ".nox/tests/lib/test_theirs.py",
        "build/lib/test_built.py",
        "env/lib/test_venv.py",
        "ignored/test_ignored.py",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    monkeypatch.setattr(pytestconfig, "args", [str(tmp_path)])
    monkeypatch.setattr(pytestconfig.option, "ignore", [str(tmp_path / "ignored")])
    assert module_files(pytestconfig) == [kept]


class _Controller:
    """The run's config as a controller (or a worker) of a distributed run would see it."""

    def __init__(
        self, config: pytest.Config, args: list[str], *, xdist: bool, worker: bool, lf: bool
    ) -> None:
        self._config, self.args, self._lf = config, args, lf
        self.pluginmanager = self
        self._xdist = xdist
        if worker:
            self.workerinput: dict[str, str] = {}

    def get_plugin(self, name: str) -> object | None:
        return object() if self._xdist and name == "dsession" else None

    def getoption(self, name: str, default: object = None) -> object:
        return self._lf if name == "lf" else self._config.getoption(name, default)

    def __getattr__(self, name: str) -> object:
        if name == "workerinput":  # this test may run in an xdist worker: not its config's
            raise AttributeError(name)
        return getattr(self._config, name)


@pytest.mark.parametrize(
    ("xdist", "worker", "lf", "starts"),
    [
        (True, False, False, True),  # the controller
        (True, True, False, False),  # a worker collects (and rewrites) for itself
        (False, False, False, False),  # one process: it collects for itself
        (True, False, True, False),  # --lf: the workers import only what failed
    ],
)
def test_only_the_controller_of_a_distributed_run_rewrites_ahead(
    pytestconfig: pytest.Config,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    xdist: bool,
    worker: bool,
    lf: bool,
    starts: bool,
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    module = tmp_path / "test_sample.py"
    module.write_text(MODULE, encoding="utf-8")
    controller = _Controller(pytestconfig, [str(tmp_path)], xdist=xdist, worker=worker, lf=lf)
    thread = start_rewriting_ahead(cast(pytest.Config, controller))
    assert (thread is not None) == starts
    if thread is not None:
        thread.join(60)
        assert not thread.is_alive()
    assert (_read_pyc(module, _pyc(module)) is not None) == starts
