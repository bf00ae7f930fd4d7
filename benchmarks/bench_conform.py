"""A default `mjspec conform` run against a bare `schemathesis run`, same server, same run.

Both are run as commands, interleaved, three times each, against the reference server on a
free port of 127.0.0.1; the figure is the ratio of the medians of their wall times (limit
1.5). A bare run stops an operation at its first failure, and it finds one on any server
that accepts multipart bodies (an object for `ids` serializes to the string "{}"), so the
same bare run with `--continue-on-failure` is shown too, for information.

Usage: python benchmarks/bench_conform.py   (from the repository root)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from mjspec.refserver import serve_in_thread

LIMIT = 1.5
RUNS = 3
BIN = Path(sys.executable).parent
SPEC = "spec/openapi.yaml"


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    with serve_in_thread() as server:
        task_ids = [arg for task_id in server.task_ids for arg in ("--task-id", task_id)]
        commands = {
            "schemathesis run": [str(BIN / "schemathesis"), "run", SPEC, "--url", server.base_url],
            "schemathesis run --continue-on-failure": [
                str(BIN / "schemathesis"),
                "run",
                SPEC,
                "--url",
                server.base_url,
                "--continue-on-failure",
            ],
            "mjspec conform": [
                str(BIN / "mjspec"),
                "conform",
                "--base-url",
                server.base_url,
                "--spec",
                SPEC,
                *task_ids,
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, command in commands.items():
                times[name].append(wall_time(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        shown = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:40} {shown}  median {medians[name]:.2f} s")
    ratio = medians["mjspec conform"] / medians["schemathesis run"]
    full = medians["mjspec conform"] / medians["schemathesis run --continue-on-failure"]
    print(f"ratio conform/bare: {ratio:.2f} (limit {LIMIT})")
    print(f"ratio conform/bare --continue-on-failure: {full:.2f} (for information)")
    if ratio > LIMIT:
        print(f"FAIL: a default conform run costs more than {LIMIT}x a bare schemathesis run")
        return 1
    print(f"PASS: a default conform run costs {ratio:.2f}x a bare schemathesis run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
