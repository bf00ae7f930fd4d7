"""Small pieces the conformance and command-line tests share.

- `run_cli`: `mjspec ...` run in process (`mjspec.cli.main`), its exit code and output;
- `refusing_url`: a loopback URL that refuses connections for as long as the block runs;
- `hang_guard`: fail a test that has not ended after a generous time (not a speed check);
- `checkout_profiles`: the checkout's profiles, loaded once per process.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from mjspec.conform.report import Report
from mjspec.profiles import Profile, load_profiles
from tests.helpers_http import refusing_url

__all__ = [
    "SPEC_PATH",
    "CliOutcome",
    "checkout_profiles",
    "hang_guard",
    "refusing_url",
    "run_cli",
]

SPEC_PATH = Path(__file__).resolve().parents[1] / "spec" / "openapi.yaml"


def checkout_profiles() -> dict[str, Profile]:
    """The profiles of the checkout's spec (doc first), loaded once per process.

    Our own checks of the spec and overlays run; openapi-spec-validator does not (about a
    second per process): whether the spec and every profile are valid OpenAPI is asked by
    test_spec and test_generate, not by the conformance tests.
    """
    return dict(_checkout_profiles())


@functools.cache
def _checkout_profiles() -> dict[str, Profile]:
    return load_profiles(SPEC_PATH, validate=False)


@dataclass(frozen=True, slots=True)
class CliOutcome:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def run_cli(capsys: pytest.CaptureFixture[str], argv: Sequence[str]) -> CliOutcome:
    """`mjspec *argv` in this process: the exit code (argparse's `SystemExit` included)."""
    from mjspec.cli import main

    capsys.readouterr()  # only this command's output
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return CliOutcome(code, out, err)


@contextlib.contextmanager
def hang_guard(seconds: float, what: str) -> Iterator[None]:
    """Fail the block with a clear message if it is still running after `seconds`.

    A guard against a hang, far above the expected time, not an assertion about speed.
    Uses SIGALRM, so it only guards in the main thread (elsewhere it does nothing).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum: int, frame: FrameType | None) -> None:
        # pytest's failure is a BaseException: no `except Exception` in the code under test
        # can swallow it.
        pytest.fail(f"{what} had not ended after {seconds:g} s: it hangs")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bare_report(**changes: Any) -> Report:
    """A report as a run makes one, of placeholder values (a pass over one task, one
    request, nothing found); `changes` set what a test reads."""
    values: dict[str, Any] = {
        "verdict": "pass",
        "reason": "",
        "base_url": "http://127.0.0.1:1",
        "tasks_checked": 1,
        "requests": 1,
        "seed": 1,
        "duration": 0.0,
        "fields": [],
        "failures": [],
        "warnings": [],
    }
    return Report(**(values | changes))
