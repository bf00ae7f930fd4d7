"""The noxfile keeps the token out of the commands nox prints, and type-checks tests/."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, cast

import pytest

if TYPE_CHECKING:
    import nox

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def _noxfile() -> ModuleType:
    """The noxfile, imported by the tests that use it: importing nox takes about 0.1 s, which
    every test process would otherwise spend collecting this module."""
    import noxfile

    return noxfile


class _RecordingSession:
    """What a session does with a nox session: installs and runs, recorded."""

    def __init__(self, posargs: list[str]) -> None:
        self.posargs = posargs
        self.runs: list[tuple[tuple[str, ...], dict[str, str] | None]] = []

    def install(self, *args: str, env: dict[str, str] | None = None) -> None:
        assert env == {"UV_COMPILE_BYTECODE": "1"}  # installed with bytecode, as pip does

    def run(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.runs.append((args, env))


def _conformance(posargs: list[str]) -> list[tuple[tuple[str, ...], dict[str, str] | None]]:
    session = _RecordingSession(posargs)
    _noxfile().conformance(cast("nox.Session", session))
    return session.runs


@pytest.mark.parametrize(
    "arguments",
    [
        ["--base-url", "http://x", "--token", "sk-1", "--task-id", "7"],
        ["--token=sk-1", "--base-url", "http://x", "--task-id", "7"],
    ],
)
def test_the_conformance_session_hands_the_token_over_in_the_environment(
    arguments: list[str],
) -> None:
    kept, token = _noxfile().without_token(arguments)
    assert token == "sk-1"
    assert kept == ["--base-url", "http://x", "--task-id", "7"]
    assert _conformance(arguments) == [
        (
            ("mjspec", "conform", "--base-url", "http://x", "--task-id", "7"),
            {"MJSPEC_TOKEN": "sk-1"},
        )
    ]


def test_without_a_token_the_arguments_pass_unchanged() -> None:
    assert _noxfile().without_token(["--seed", "1"]) == (["--seed", "1"], None)
    assert _conformance(["--seed", "1"]) == [(("mjspec", "conform", "--seed", "1"), {})]


def test_the_typecheck_session_checks_the_typing_program_and_the_goldens() -> None:
    """mypy --strict over tests/ is where the client's promised types (typing_client.py)
    and the goldens' generated packages are checked: the suite runs no mypy on them."""
    session = _RecordingSession([])
    _noxfile().typecheck(cast("nox.Session", session))
    assert [args for args, _ in session.runs] == [("mypy", "--strict", *_noxfile().TYPED)]
    assert "tests" in _noxfile().TYPED
    assert not [name for name in ("mypy.ini", ".mypy.ini", "setup.cfg") if (ROOT / name).exists()]
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert mypy["strict"] is True
    assert "exclude" not in mypy and "files" not in mypy
    for override in mypy.get("overrides", []):
        modules = (
            override["module"] if isinstance(override["module"], list) else [override["module"]]
        )
        assert not [m for m in modules if m.startswith("tests")], override
    assert (ROOT / "tests" / "typing_client.py").is_file()
    goldens = sorted((ROOT / "tests" / "golden").glob("*/expected/*/client.py"))
    assert len(goldens) == 4
