"""Ctrl-C during `mjspec conform`: exit 130 within a second or two, one line, and the
requested reports written with what was found so far, marked interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conform_servers import TASK_IDS, serve

SPEC = Path(__file__).resolve().parents[1] / "spec" / "openapi.yaml"


def test_ctrl_c_ends_the_run_with_130_and_an_interrupted_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    with serve() as server:
        command = [sys.executable, "-m", "mjspec.cli", "conform", "--base-url", server.base_url]
        command += ["--spec", str(SPEC), "--max-examples", "100000", "--seed", "1"]
        command += ["--report-json", str(report), "--junit-xml", str(junit)]
        command += [arg for task_id in TASK_IDS for arg in ("--task-id", task_id)]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert process.stderr is not None
        # Wait until the run is in its Hypothesis phase, then press Ctrl-C.
        for line in process.stderr:
            if "positive cases" in line:
                break
        time.sleep(0.5)
        sent = time.perf_counter()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        took = time.perf_counter() - sent
    assert process.returncode == 130, (out[-1500:], err)
    assert took < 3.0
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
