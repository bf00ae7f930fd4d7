"""The controller rewrites the test modules' asserts once, as pytest's import hook would."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, get_cache_dir

from tests.helpers_rewrite import module_files, rewrite_ahead

MODULE = "def test_one():\n    value = 1\n    assert value == 2\n"


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
