"""A cold `mjspec generate` against a cold `openapi-python-client generate` of the same spec.

Both run as fresh processes on `spec/openapi.yaml`, each into an output directory of its
own: `mjspec generate --output <tmp>` with its render cache turned off
(`MJSPEC_NO_CACHE=1`), and `openapi-python-client generate --path spec/openapi.yaml
--output-path <tmp>` (which formats with ruff, as mjspec does). Each gets `--rounds`
runs after one untimed run of each, in rounds of one run of each back to back (taking
turns at going first); the median of each is shown, and the ratio, against the limit of
1.0, is the median of the rounds' own ratios: on a shared machine whose speed drifts
during the benchmark, adjacent runs are the fair comparison. For information, a warm
`mjspec generate --check` (a cache hit) is timed as well.

Both tools import their modules from bytecode, as they do once pip has installed them (pip
compiles it at install time). In a development checkout, an editable mjspec under
`PYTHONDONTWRITEBYTECODE=1` would compile its own modules from source on every run while the
baseline reads its bytecode: every run here gets `PYTHONPYCACHEPREFIX` set to one temporary
directory and bytecode writing on, so the untimed first runs leave bytecode for both.

openapi-python-client is not a project dependency (the `bench` session installs the
version the `interop` session pins): without it on PATH, or given with `--opc PATH`, the
comparison is skipped with a message. Exit 1 when the ratio is over the limit.

Usage, from the repository root:
    python benchmarks/bench_generate.py [--rounds 11] [--opc PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = "spec/openapi.yaml"
LIMIT = 1.0


def _mjspec() -> list[str]:
    return [sys.executable, "-m", "mjspec.cli"]


def _timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 11: with 3, one slow round of either tool moved the ratio by 0.2 on this machine
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--opc", help="the openapi-python-client executable (default: on PATH)")
    args = parser.parse_args()
    opc = args.opc or shutil.which("openapi-python-client")
    mjspec_times: list[float] = []
    opc_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        base["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "bytecode")
        cold_env = {**base, "MJSPEC_NO_CACHE": "1"}
        for round_ in range(-1, args.rounds):  # round -1: untimed, leaves the bytecode
            out = Path(tmp) / f"mjspec-{round_}"
            runs = [
                (
                    mjspec_times,
                    [*_mjspec(), "generate", "--spec", SPEC, "--output", str(out)],
                    cold_env,
                )
            ]
            if opc is not None:
                target = Path(tmp) / f"opc-{round_}"
                command = [opc, "generate", "--path", SPEC, "--output-path", str(target)]
                runs.append((opc_times, command, base))
            if round_ % 2:  # each round's pair back to back, taking turns at going first
                runs.reverse()
            for times, command, env in runs:
                took = _timed(command, env)
                if round_ >= 0:
                    times.append(took)
        warm_env = {k: v for k, v in base.items() if k != "MJSPEC_NO_CACHE"}
        check = [*_mjspec(), "generate", "--check"]
        _timed(check, warm_env)  # fills the cache when it is empty
        warm = statistics.median(_timed(check, warm_env) for _ in range(args.rounds))
    cold = statistics.median(mjspec_times)
    print(f"cold mjspec generate:                 {cold:.3f} s (median of {args.rounds})")
    if opc is None:
        print(
            "openapi-python-client is not installed: comparison skipped "
            "(pip install openapi-python-client==0.29.1, or nox -s bench)"
        )
        print(f"warm mjspec generate --check (hit):   {warm:.3f} s")
        return 0
    baseline = statistics.median(opc_times)
    # The machine's speed drifts during a run: each round's two runs are back to back, so
    # the median of the rounds' own ratios is the estimate (the ratio of medians is shown too).
    ratio = statistics.median(m / o for m, o in zip(mjspec_times, opc_times, strict=True))
    print(f"cold openapi-python-client generate:  {baseline:.3f} s (median of {args.rounds})")
    print(
        f"ratio mjspec / openapi-python-client: {ratio:.2f} (limit {LIMIT:.1f}; median of the "
        f"rounds' ratios; ratio of the medians {cold / baseline:.2f})"
    )
    print(f"warm mjspec generate --check (hit):   {warm:.3f} s")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
