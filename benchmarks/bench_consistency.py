"""What the checks beyond types cost: a default run with them against the same run without.

Both runs are a default `mjspec conform` run (50 positive and 25 negative cases plus the
fixed probes, the `doc` profile) against the reference server, same seed, so they send the
same requests; one compares every answer with the earlier ones and checks each task's
invariants (`Settings.consistency`, the default), the other does not. Runs are in-process
and interleaved, five of each after one unmeasured warm-up of each; the figure is the
ratio of the medians (limit 1.15), with the ratio of the CPU times beside it (steadier on a
shared machine). It also prints how many cross-answer comparisons the
default run makes (the JSON report's `consistency`).

Usage, from the repository root:
    python benchmarks/bench_consistency.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from mjspec.conform import Report, Settings, run
from mjspec.profiles import doc_profile
from mjspec.serve.refserver import serve_in_thread
from mjspec.spec import load_spec

LIMIT = 1.15
RUNS = 5
SEED = 20261127
SPEC = Path("spec/openapi.yaml")


def timed(settings: Settings) -> tuple[float, float, Report]:
    """(wall seconds, CPU seconds of the process, the report); the server runs in a thread
    of this process, so its CPU time counts too."""
    start, cpu = time.perf_counter(), time.process_time()
    report = run(settings)
    return time.perf_counter() - start, time.process_time() - cpu, report


def main() -> int:
    spec = load_spec(SPEC, check=False)
    profile = doc_profile(spec, SPEC.as_posix())
    times: dict[bool, list[float]] = {True: [], False: []}
    cpus: dict[bool, list[float]] = {True: [], False: []}
    requests: dict[bool, set[int]] = {True: set(), False: set()}
    counts: dict[str, int] | None = None
    with serve_in_thread() as server:
        for lap in range(RUNS + 1):
            for on in (True, False):
                settings = Settings(
                    spec=spec,
                    base_url=server.base_url,
                    task_ids=tuple(server.task_ids),
                    profiles=(profile,),
                    seed=SEED,
                    consistency=on,
                )
                elapsed, cpu, report = timed(settings)
                if report.verdict != "pass":
                    print(f"FAIL: the reference server did not pass: {report.reason}")
                    return 1
                if on:
                    counts = report.consistency
                if lap == 0:
                    continue  # the warm-up
                times[on].append(elapsed)
                cpus[on].append(cpu)
                requests[on].add(report.requests)
    medians = {on: statistics.median(values) for on, values in times.items()}
    for on, values in times.items():
        shown = " ".join(f"{v:.2f}" for v in values)
        label = "with the checks" if on else "without them"
        print(f"{label:16} {shown}  median {medians[on]:.2f} s, requests {sorted(requests[on])}")
    assert counts is not None
    print(
        f"consistency: {counts['tasks_compared']} tasks compared across {counts['answers']} "
        f"answers, {counts['comparisons']} comparisons"
    )
    ratio = medians[True] / medians[False]
    cpu_ratio = statistics.median(cpus[True]) / statistics.median(cpus[False])
    print(f"ratio with/without: {ratio:.2f} (limit {LIMIT}); CPU time {cpu_ratio:.2f}")
    if requests[True] != requests[False]:
        print("FAIL: the two runs did not send the same number of requests")
        return 1
    if ratio > LIMIT:
        print(f"FAIL: the checks beyond types cost more than {LIMIT}x a run without them")
        return 1
    print(f"PASS: a run with the checks beyond types costs {ratio:.2f}x one without them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
