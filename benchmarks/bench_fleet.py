"""A fleet of N servers against N single runs: the ratio fleet-time(N) / (N x one-run-time).

N reference stand-ins (the four profiles in turn, every task id of each) run in one
subprocess of their own, so the server side does not share this process's interpreter.
Measured in the same run, as commands, which is what a user compares:

- one run: `mjspec conform --base-url URL --task-id ...` against each of the first four
  servers (one per profile: their answers differ in size), the mean;
- a fleet: `mjspec conform --fleet FILE.toml` over the first N servers, for N = 4 and 20.

Same options (the default 50 cases, `--seed`) for both. A fleet shares the contract load
across its servers and the interpreter across the servers of each worker process (one per
core by default), and overlaps their network waits on threads. Against local servers a
run is mostly CPU (generating and judging cases), which threads of one process cannot
overlap: the fleet is also timed with `--fleet-processes 1`, for comparison.

Usage, from the repository root:
    python benchmarks/bench_fleet.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from mjspec.conform.fleet import FleetServer

SIZES = (4, 20)
STARTUP = 120.0  # seconds the servers may take to start
SEED = 20261127
BIN = Path(sys.executable).parent
SPEC = "spec/openapi.yaml"
PROFILES = ("doc", "new-api", "midjourney-proxy-java", "midjourney-proxy-csharp")

_SERVERS = f"""
import contextlib, sys
from mjspec.serve.refserver import serve_in_thread
with contextlib.ExitStack() as stack:
    for n in range(int(sys.argv[1])):
        server = stack.enter_context(serve_in_thread(profile={PROFILES!r}[n % 4]))
        print(server.base_url, server.profile, *server.task_ids, flush=True)
    print("ready", flush=True)
    sys.stdin.read()
"""


def start_servers(count: int) -> tuple[subprocess.Popen[str], list[FleetServer]]:
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVERS, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    stdout = process.stdout
    assert stdout is not None
    lines: list[str] = []

    def read() -> None:  # the banner lines, up to "ready"
        for line in stdout:
            if line.strip() == "ready":
                return
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(STARTUP)  # a server process that stalls is not waited for
    servers: list[FleetServer] = []
    for line in lines:
        base_url, profile, *ids = line.split()
        name = f"server-{len(servers) + 1}"
        servers.append(
            FleetServer(name=name, base_url=base_url, profile=profile, task_ids=tuple(ids))
        )
    if reader.is_alive() or len(servers) != count:
        process.kill()
        raise SystemExit(f"the servers did not start (got {len(servers)} of {count})")
    return process, servers


def fleet_file(servers: Sequence[FleetServer], path: Path) -> Path:
    lines = []
    for server in servers:
        lines += [
            "[[server]]",
            f"name = {json.dumps(server.name)}",
            f"base_url = {json.dumps(server.base_url)}",
            f"profile = {json.dumps(server.profile)}",
            f"task_ids = {json.dumps(list(server.task_ids))}",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... exited {done.returncode}: {done.stderr}")
    return elapsed


def main() -> int:
    mjspec = [str(BIN / "mjspec"), "conform", "--spec", SPEC, "--seed", str(SEED)]
    process, servers = start_servers(max(SIZES))
    try:
        singles = []
        for server in servers[:4]:
            single = [*mjspec, "--base-url", server.base_url, "--profile", server.profile]
            single += [arg for task_id in server.task_ids for arg in ("--task-id", task_id)]
            singles.append(wall_time(single))
        one = statistics.mean(singles)
        print(f"one run (a command, mean over one server of each profile): {one:.2f} s")
        with tempfile.TemporaryDirectory() as directory:
            for size in SIZES:
                path = fleet_file(servers[:size], Path(directory) / f"fleet-{size}.toml")
                for label, extra in (("", []), (", one process", ["--fleet-processes", "1"])):
                    elapsed = wall_time([*mjspec, "--fleet", str(path), *extra])
                    print(
                        f"fleet N={size}{label}: {elapsed:.2f} s; "
                        f"ratio fleet/(N x one run) = {elapsed / (size * one):.2f}"
                    )
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
