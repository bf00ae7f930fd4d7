"""The kit's field checks of a 10,000-task answer against `orjson.loads` of the same bytes.

For every profile, the answer is that family's stand-in tasks (`mjspec serve --profile`)
repeated under distinct ids, all conforming: the checks decode them into types built from
the profile's fields and count them (`conform.fastcheck`), walking no task. Best of 5
each; the figure is the ratio (limit 3.0). A walk of every task (what a broken answer
costs) is shown for information.

Usage, from the repository root:
    python benchmarks/bench_fieldcheck.py
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from mjspec.conform.checks import check_fast, check_ok_answer
from mjspec.conform.fastcheck import FastTasks
from mjspec.conform.fields import FieldSpec, derive_fields
from mjspec.profiles import load_profiles
from mjspec.serve.standin import served_tasks

LIMIT = 3.0
TASKS = 10_000
RUNS = 5


def best(function: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    profiles = load_profiles(Path("spec/openapi.yaml"), check=False)
    print(f"{TASKS:,} tasks per answer; best of {RUNS}; limit {LIMIT}")
    print(f"{'profile':24} {'MB':>6} {'checks ms':>10} {'orjson ms':>10} {'ratio':>6} {'walk':>6}")
    worst = 0.0
    for name, profile in profiles.items():
        base = served_tasks(profile)
        tasks = [dict(base[i % len(base)], id=str(10**15 + i)) for i in range(TASKS)]
        content = json.dumps(tasks, ensure_ascii=False).encode()
        fields = derive_fields(profile.document, optional=True)
        fast = FastTasks(fields)

        def checks(fast: FastTasks = fast, content: bytes = content) -> None:
            verdict = check_fast(
                content_type="application/json",
                content=content,
                fast=fast,
                requested=None,
                known=(),
            )
            assert verdict is not None and not verdict.problems

        def walk(fields: tuple[FieldSpec, ...] = fields, content: bytes = content) -> None:
            check_ok_answer(
                content_type="application/json",
                body=orjson.loads(content),
                fields=fields,
                requested=None,
                known=(),
            )

        def parse(content: bytes = content) -> None:
            orjson.loads(content)

        checked = best(checks)
        parsed = best(parse)
        walked = best(walk)
        ratio = checked / parsed
        worst = max(worst, ratio)
        print(
            f"{name:24} {len(content) / 1e6:6.2f} {checked * 1000:10.2f} {parsed * 1000:10.2f}"
            f" {ratio:6.2f} {walked / parsed:6.1f}"
        )
    if worst > LIMIT:
        print(f"FAIL: the field checks cost more than {LIMIT}x orjson.loads ({worst:.2f})")
        return 1
    print(f"PASS: the field checks cost at most {worst:.2f}x orjson.loads of the same bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
