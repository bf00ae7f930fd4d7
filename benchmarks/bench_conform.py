"""A default `mjspec conform` run against a bare `schemathesis run`, same server, same run.

Both are run as commands, interleaved, three times each, against the reference server on a
free port of 127.0.0.1; the figure is the ratio of the medians of their wall times (limit
1.5). A bare run stops an operation at its first failure, and it finds one on any server
that accepts multipart bodies (an object for `ids` serializes to the string "{}"), so the
same bare run with `--continue-on-failure` is shown too, for information.

Usage, from the repository root:
    python benchmarks/bench_conform.py                       # against the reference server
    python benchmarks/bench_conform.py --base-url URL --task-id ID ...   # any running server
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from mjspec.serve.refserver import serve_in_thread

LIMIT = 1.5
RUNS = 3
BIN = Path(sys.executable).parent
SPEC = "spec/openapi.yaml"


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


@contextlib.contextmanager
def target(base_url: str | None, task_ids: list[str]) -> Iterator[tuple[str, list[str]]]:
    """The given server, or the reference server on a free port."""
    if base_url is not None:
        yield base_url, task_ids
        return
    with serve_in_thread() as server:
        yield server.base_url, server.task_ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base-url", help="a running server (default: the reference server)")
    parser.add_argument("--task-id", action="append", default=[], dest="task_ids")
    args = parser.parse_args()
    with target(args.base_url, args.task_ids) as (base_url, known):
        task_ids = [arg for task_id in known for arg in ("--task-id", task_id)]
        commands = {
            "schemathesis run": [str(BIN / "schemathesis"), "run", SPEC, "--url", base_url],
            "schemathesis run --continue-on-failure": [
                str(BIN / "schemathesis"),
                "run",
                SPEC,
                "--url",
                base_url,
                "--continue-on-failure",
            ],
            "mjspec conform": [
                str(BIN / "mjspec"),
                "conform",
                "--base-url",
                base_url,
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
