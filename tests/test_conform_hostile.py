"""`mjspec conform` against servers that hang, drip, reset, send garbage, HTML 500s, 300 MB,
or redirect to another origin: it ends in bounded time with exit 1 or 2, no traceback,
the token neither printed nor sent elsewhere.

Each case runs the real command in a subprocess, as a user would, with the token in
`MJSPEC_TOKEN` and `--request-timeout 3`; the time each took is printed at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile_servers import HostileServer, Kind, hostile

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "openapi.yaml"
TOKEN = "sk-hostile-4f3e2d1c0b9a"
LIMIT = 60.0
CREDENTIAL_HEADERS = {"authorization", "mj-api-secret", "cookie", "proxy-authorization"}


@dataclass(frozen=True, slots=True)
class Outcome:
    code: int
    out: str
    err: str
    seconds: float


TIMES: dict[str, float] = {}


def conform(base_url: str, *extra: str) -> Outcome:
    command = [sys.executable, "-m", "mjspec.cli", "conform", "--base-url", base_url]
    command += ["--spec", str(SPEC), "--request-timeout", "3", "--seed", "1"]
    command += ["--task-id", "1730621826053455", *extra]
    env = {**os.environ, "MJSPEC_TOKEN": TOKEN}
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=LIMIT + 30, check=False
    )
    return Outcome(done.returncode, done.stdout, done.stderr, time.perf_counter() - started)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    kind: Kind = request.param
    with hostile(kind) as running:
        yield running


KINDS: list[tuple[Kind, int, str]] = [
    ("hang", 1, "deadline"),
    ("drip", 1, "deadline"),
    ("reset", 2, "reset the connection"),
    ("garbage", 2, "not HTTP"),
    ("html_500", 1, "server_error"),
    ("huge", 1, "too_large"),
    ("redirect", 1, "redirect"),
]


@pytest.mark.parametrize(
    ("server", "code", "said"), KINDS, ids=[k for k, _, _ in KINDS], indirect=["server"]
)
def test_a_hostile_server_ends_the_run_in_bounded_time_with_one_clear_outcome(
    server: HostileServer, code: int, said: str
) -> None:
    outcome = conform(server.base_url)
    TIMES[server.kind] = outcome.seconds
    assert outcome.seconds < LIMIT
    assert outcome.code == code, (outcome.out[-2000:], outcome.err)
    assert "Traceback" not in outcome.out + outcome.err
    assert said in outcome.out + outcome.err
    assert TOKEN not in outcome.out + outcome.err
    if code == 2:  # could not judge: one line says why
        assert len(outcome.err.strip().splitlines()) == 1, outcome.err
    if server.target is not None:
        for headers in server.target.received_headers:
            assert not CREDENTIAL_HEADERS & set(headers), headers


def test_the_redirect_target_is_never_contacted() -> None:
    with hostile("redirect") as server:
        conform(server.base_url, "--auth-header", "mj-api-secret")
        assert server.target is not None
        assert server.target.requests == []


def test_a_huge_answer_is_not_read_past_the_limit() -> None:
    with hostile("huge") as server:
        outcome = conform(server.base_url, "--max-response-bytes", "1000000")
        assert outcome.code == 1
        assert "over the limit of 1000000 bytes" in outcome.out
        # The kit stopped reading: far less than the 300 MB on offer went out.
        assert server.body_bytes_sent < 50_000_000


def test_hostile_times(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints how long each hostile case took (runs after them, in file order)."""
    assert set(TIMES) == {kind for kind, _, _ in KINDS}, "run the whole file"
    with capsys.disabled():
        shown = ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in TIMES.items())
        print(f"\nmjspec conform against hostile servers (--request-timeout 3): {shown}")
