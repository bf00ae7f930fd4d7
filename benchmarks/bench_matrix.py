"""The compatibility matrix (`--profile all`) against a single-profile run of the same cases.

Both runs use the same seed against the same server, so they send the same requests; the
matrix run judges each answer under every profile instead of one. The server is the
reference server, which conforms to every profile, so that no failure ends either run's
exploration early (a failure under the only profile of a run stops its Hypothesis phase;
under `all` only a failure under every profile does, so against a family server the two
runs would not send the same cases). Runs are in-process and interleaved, seven of each after
one unmeasured warm-up of each (imports, schema compilation); the figure is the ratio of
the medians (limit 1.3).

Usage, from the repository root:
    python benchmarks/bench_matrix.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from mjspec.conform import Report, Settings, run
from mjspec.profiles import load_profiles
from mjspec.serve.refserver import serve_in_thread

LIMIT = 1.3
RUNS = 7
SEED = 20261127
SPEC = Path("spec/openapi.yaml")


def timed(settings: Settings) -> tuple[float, Report]:
    start = time.perf_counter()
    report = run(settings)
    return time.perf_counter() - start, report


def main() -> int:
    profiles = load_profiles(SPEC, check=False)
    times: dict[str, list[float]] = {"doc": [], "all": []}
    requests: dict[str, set[int]] = {"doc": set(), "all": set()}
    with serve_in_thread() as server:
        chosen = {"doc": (profiles["doc"],), "all": tuple(profiles.values())}
        for lap in range(RUNS + 1):
            for name, selected in chosen.items():
                settings = Settings(
                    spec=profiles["doc"].document,
                    base_url=server.base_url,
                    task_ids=tuple(server.task_ids),
                    profiles=selected,
                    seed=SEED,
                )
                elapsed, report = timed(settings)
                if lap == 0:
                    continue  # the warm-up
                times[name].append(elapsed)
                requests[name].add(report.requests)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        shown = " ".join(f"{v:.2f}" for v in values)
        label = f"--profile {name}"
        count = sorted(requests[name])
        print(f"{label:16} {shown}  median {medians[name]:.2f} s, requests {count}")
    ratio = medians["all"] / medians["doc"]
    print(f"ratio matrix/single: {ratio:.2f} (limit {LIMIT}; {len(profiles)} profiles)")
    if requests["all"] != requests["doc"]:
        print("FAIL: the two runs did not send the same number of requests")
        return 1
    if ratio > LIMIT:
        print(f"FAIL: the matrix run costs more than {LIMIT}x a single-profile run")
        return 1
    print(f"PASS: the matrix run costs {ratio:.2f}x a single-profile run of the same cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
