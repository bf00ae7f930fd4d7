"""Ctrl-C during `mjspec conform`: exit 130, one line, and the requested reports written
with what was found so far, marked interrupted.

The real command runs in a subprocess (a signal to a process is the point); a guard far
above the expected time fails a run that does not end, rather than timing it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conform_servers import TASK_IDS
from tests.helpers_conform import SPEC_PATH, hang_guard, served

GUARD = 60.0  # seconds: a run that has not ended by then hangs


def test_ctrl_c_ends_the_run_with_130_and_an_interrupted_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    with served() as server:
        command = [sys.executable, "-m", "mjspec.cli", "conform", "--base-url", server.base_url]
        command += ["--spec", str(SPEC_PATH), "--max-examples", "100000", "--seed", "1"]
        command += ["--report-json", str(report), "--junit-xml", str(junit)]
        command += [arg for task_id in TASK_IDS for arg in ("--task-id", task_id)]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert process.stderr is not None
            # Wait until the run is in its Hypothesis phase, then press Ctrl-C.
            with hang_guard(GUARD, "waiting for the positive cases of mjspec conform"):
                for line in process.stderr:
                    if "positive cases" in line:
                        break
            time.sleep(0.5)  # some cases sent: the reports have something to hold
            assert process.poll() is None, "the run ended before Ctrl-C"
            process.send_signal(signal.SIGINT)
            try:
                out, err = process.communicate(timeout=GUARD)
            except subprocess.TimeoutExpired:
                pytest.fail(f"mjspec conform had not exited {GUARD:g} s after Ctrl-C: it hangs")
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 130, (out[-1500:], err)
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == ("mjspec conform: interrupted; the reports hold what was found so far"), err
    data = json.loads(report.read_text("utf-8"))
    assert data["interrupted"] is True
    assert data["verdict"] == "inconclusive"  # a partial run proves no pass
    assert data["reason"].startswith("interrupted before the run ended")
    assert data["requests"] > 0
    assert data["tasks_checked"] > 0
    assert junit.read_text("utf-8").startswith("<?xml")
