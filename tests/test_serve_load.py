"""`mjspec serve` under a small version of the load run of `benchmarks/bench_load.py`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_serve_answers_mixed_load_beside_slowloris_without_5xx_or_drops() -> None:
    """300 requests (valid JSON, multipart, malformed JSON, no token) at concurrency 16 while
    16 connections dribble headers: every answer has its expected status, none is dropped."""
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_load.py")]
    command += ["--requests", "300", "--concurrency", "16", "--slowloris", "16"]
    command += ["--rounds", "1", "--no-baseline"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    expected = "valid JSON: 75x 200; multipart: 75x 200; malformed JSON: 75x 400; no token: 75x 401"
    assert f"mjspec serve answered (best round): {expected}" in done.stdout
    row = next(line for line in done.stdout.splitlines() if line.startswith("mjspec serve "))
    assert "16 open at the end, 0 closed by the server" in row
