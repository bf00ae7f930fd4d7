"""Ctrl-C during `mjspec conform`: exit 130, one line, and the requested reports written
with what was found so far, marked interrupted.

The real command runs in a subprocess (a signal to a process is the point); a guard far
above the expected time fails a run that does not end, rather than timing it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

import pytest

from mjspec.conform.command import Latched, ctrl_c_remembered
from tests.conform_servers import TASK_IDS, serve
from tests.helpers_conform import SPEC_PATH, hang_guard

GUARD = 60.0  # seconds: a run that has not ended by then hangs
EXIT_WITHIN = 10.0  # seconds: a run still going this long after one Ctrl-C missed it


def _text(output: bytes | str | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def _ignored(stderr: bytes | str | None) -> bool:
    """Whether Python reported the KeyboardInterrupt as raised where it cannot propagate.

    Hypothesis measures garbage collection with a `gc.callbacks` hook; a SIGINT handled
    while that hook (or a finalizer) runs raises there, and such an exception is only
    printed ("Exception ignored in: ..."). The run still ends at its next case: the
    command remembers the Ctrl-C (`command.ctrl_c_remembered`, `command.Latched`).
    """
    text = _text(stderr)
    return "Exception ignored in" in text and "KeyboardInterrupt" in text


def _wait_for_exit(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The output once the process has exited after one Ctrl-C. A run that does not end
    fails the test with its threads' signal masks and stacks (faulthandler,
    PYTHONFAULTHANDLER, on SIGABRT)."""
    try:
        return process.communicate(timeout=EXIT_WITHIN)
    except subprocess.TimeoutExpired:
        _fail_hung(process, f"had not exited {EXIT_WITHIN:g} s after Ctrl-C")


def _fail_hung(process: subprocess.Popen[str], what: str) -> NoReturn:
    masks = _signal_masks(process.pid)
    process.send_signal(signal.SIGABRT)
    try:
        _, stacks = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        stacks = ""
    pytest.fail(f"mjspec conform {what}; its signals: {masks}; its stacks: {stacks[-6000:]}")


def _as_in_a_terminal() -> None:
    """SIGINT as a command in a terminal's foreground has it. A shell ignores SIGINT (and
    SIGQUIT) for what it starts in the background without job control, and the ignoring is
    inherited: the test suite run that way would hand it to this command, which then
    rightly ignores Ctrl-C (as it did in a run of `.ci/run` started with `&`)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _signal_masks(pid: int) -> str:
    """Each thread's blocked, ignored and caught signals, as Linux shows them."""
    found = []
    for status in sorted(Path(f"/proc/{pid}/task").glob("*/status")):
        with contextlib.suppress(OSError):
            lines = status.read_text().splitlines()
            wanted = [
                line for line in lines if line.startswith(("Name", "SigBlk", "SigIgn", "SigCgt"))
            ]
            found.append(" ".join(wanted))
    return "; ".join(found) or "(no /proc)"


def test_ctrl_c_ends_the_run_with_130_and_an_interrupted_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    with serve() as server:
        command = [sys.executable, "-m", "mjspec.cli", "conform", "--base-url", server.base_url]
        command += ["--spec", str(SPEC_PATH), "--max-examples", "100000", "--seed", "1"]
        command += ["--report-json", str(report), "--junit-xml", str(junit)]
        command += [arg for task_id in TASK_IDS for arg in ("--task-id", task_id)]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **{k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"},
                "PYTHONUNBUFFERED": "1",
                "PYTHONFAULTHANDLER": "1",  # a hang shows where (`_wait_for_exit`)
            },
            cwd=tmp_path,  # the user's directory: the run must leave nothing of its own there
            preexec_fn=_as_in_a_terminal,
        )
        try:
            assert process.stderr is not None
            # Wait until the run is in its Hypothesis phase, then press Ctrl-C.
            with hang_guard(GUARD, "waiting for the positive cases of mjspec conform"):
                for line in process.stderr:
                    if "positive cases" in line:
                        break
            time.sleep(0.2)  # a few cases sent: Ctrl-C lands in the Hypothesis phase
            assert process.poll() is None, "the run ended before Ctrl-C"
            process.send_signal(signal.SIGINT)
            out, err = _wait_for_exit(process)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=30)
    assert process.returncode == 130, (out[-1500:], err)
    # No traceback, but the one Python prints for a Ctrl-C it ignored.
    assert (out + err).count("Traceback") == (1 if _ignored(err) else 0), err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == ("mjspec conform: interrupted; the reports hold what was found so far"), err
    data = json.loads(report.read_text("utf-8"))
    assert data["interrupted"] is True
    assert data["verdict"] == "inconclusive"  # a partial run proves no pass
    assert data["reason"].startswith("interrupted before the run ended")
    assert data["requests"] > 0
    assert data["tasks_checked"] > 0
    assert junit.read_text("utf-8").startswith("<?xml")
    # Hypothesis' caches (`.hypothesis`) went to the kit's home, not the working directory.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "report.json"]


def test_a_second_ctrl_c_while_the_run_ends_is_remembered_not_raised() -> None:
    """The first press interrupts the run; a second one, while the run is ending (closing
    its connections, before the reports), must not escape and lose them."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with ctrl_c_remembered() as ctrl_c:
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)  # the run is ending: not raised again
            assert ctrl_c.pressed
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_python_only_printed_still_ends_the_run_at_its_next_case() -> None:
    """The KeyboardInterrupt is swallowed here as Python swallows it in a garbage-collection
    hook: the command's progress raises it again before the next case."""

    class Recorded:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def start(self, phase: str, total: int | None) -> None:
            self.calls.append("start")

        def advance(self) -> None:
            self.calls.append("advance")

        def stop(self) -> None:
            self.calls.append("stop")

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with ctrl_c_remembered() as ctrl_c:
            recorded = Recorded()
            progress = Latched(recorded, ctrl_c)
            progress.start("positive cases", 10)
            progress.advance()
            with contextlib.suppress(KeyboardInterrupt):  # raised, then only printed
                signal.raise_signal(signal.SIGINT)
            with pytest.raises(KeyboardInterrupt):
                progress.advance()
            progress.stop()
            signal.raise_signal(signal.SIGINT)  # the run has ended: held, not raised
            assert ctrl_c.pressed
        assert recorded.calls == ["start", "advance", "stop"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # started in the background
        with ctrl_c_remembered():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # not taken over
    finally:
        signal.signal(signal.SIGINT, previous)
