"""`mjspec conform` against servers that hang, drip, reset, send garbage, HTML 500s, 300 MB,
or redirect to another origin: the run ends with exit 1 or 2 and one clear outcome, no
traceback, the token neither printed nor sent elsewhere.

The command runs in process (`mjspec.cli.main`) with the token in `MJSPEC_TOKEN`; one case
runs it in a subprocess too, so that the process itself is seen to exit. A server that
never finishes its answer meets a short `--request-timeout`, and the bound is checked by
the outcome (exit 1, the line naming the deadline), not by a clock; a guard far above
the expected time fails a run that hangs instead of waiting for ever.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from tests.helpers_conform import CliOutcome, hang_guard, run_cli
from tests.hostile_servers import HostileServer, Kind, hostile

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "openapi.yaml"
TOKEN = "sk-hostile-4f3e2d1c0b9a"
GUARD = 60.0  # seconds: a hang, not a slow run
DEADLINE = "0.5"  # --request-timeout for the servers that never finish an answer
DRIP_INTERVAL = 0.05  # `drip`: a byte every 50 ms, so a read timeout alone never fires


def conform_argv(base_url: str, timeout: str, *extra: str) -> list[str]:
    argv = ["conform", "--base-url", base_url, "--spec", str(SPEC)]
    argv += ["--request-timeout", timeout, "--seed", "1", "--task-id", "1730621826053455"]
    return [*argv, *extra]


class Conform(Protocol):
    def __call__(self, base_url: str, *extra: str, timeout: str = "5") -> CliOutcome: ...


@pytest.fixture
def conform(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Conform:
    """`mjspec conform` in process against a base URL, the token in MJSPEC_TOKEN."""
    monkeypatch.setenv("MJSPEC_TOKEN", TOKEN)

    def call(base_url: str, *extra: str, timeout: str = "5") -> CliOutcome:
        with hang_guard(GUARD, "mjspec conform against a hostile server"):
            return run_cli(capsys, conform_argv(base_url, timeout, *extra))

    return call


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    kind: Kind = request.param
    with hostile(kind, interval=DRIP_INTERVAL) as running:
        yield running


# (kind, --request-timeout, exit code, what the output says)
KINDS: list[tuple[Kind, str, int, str]] = [
    ("hang", DEADLINE, 1, f"no complete answer within {DEADLINE} s (--request-timeout)"),
    ("drip", DEADLINE, 1, f"no complete answer within {DEADLINE} s (--request-timeout)"),
    ("reset", "5", 2, "reset the connection"),
    ("garbage", "5", 2, "not HTTP"),
    ("html_500", "5", 1, "server_error"),
    ("huge", "5", 1, "too_large"),
    ("deep", "5", 1, "the 200 body is not usable JSON: it nests deeper than a JSON decoder"),
    ("redirect", "5", 1, "redirect"),
]


@pytest.mark.parametrize(
    ("server", "timeout", "code", "said"), KINDS, ids=[k[0] for k in KINDS], indirect=["server"]
)
def test_a_hostile_server_ends_the_run_with_one_clear_outcome(
    server: HostileServer, timeout: str, code: int, said: str, conform: Conform
) -> None:
    outcome = conform(server.base_url, timeout=timeout)
    assert outcome.code == code, (outcome.out[-2000:], outcome.err)
    assert "Traceback" not in outcome.out + outcome.err
    assert said in outcome.out + outcome.err
    assert TOKEN not in outcome.out + outcome.err
    if code == 2:  # could not judge: one line says why
        assert len(outcome.err_lines) == 1, outcome.err
    assert server.requests, "the server was never asked"
    if server.target is not None:  # the redirect's target: never contacted, so no credential
        assert server.target.requests == []


def test_a_head_sent_a_byte_at_a_time_meets_the_same_deadline(conform: Conform) -> None:
    with hostile("drip", interval=DRIP_INTERVAL, drip_head=True) as server:
        outcome = conform(server.base_url, timeout=DEADLINE)
    assert outcome.code == 1, (outcome.out[-2000:], outcome.err)
    assert f"no complete answer within {DEADLINE} s (--request-timeout)" in outcome.out


def test_the_redirect_target_is_never_contacted(conform: Conform) -> None:
    with hostile("redirect") as server:
        outcome = conform(server.base_url, "--auth-header", "mj-api-secret")
        assert outcome.code == 1, (outcome.out[-2000:], outcome.err)
        assert server.requests, "the redirecting server was never asked"
        assert server.target is not None
        assert server.target.requests == []


def test_a_huge_answer_is_not_read_past_the_limit(conform: Conform) -> None:
    with hostile("huge") as server:
        outcome = conform(server.base_url, "--max-response-bytes", "1000000")
        assert outcome.code == 1
        assert "over the limit of 1000000 bytes" in outcome.out
        # The kit stopped reading: far less than the 300 MB on offer went out.
        assert server.body_bytes_sent < 50_000_000


def test_the_command_process_exits_on_its_own_past_a_server_that_never_answers() -> None:
    """The real command in a subprocess: the process ends (no thread left waiting)."""
    env = {**os.environ, "MJSPEC_TOKEN": TOKEN}
    command = [sys.executable, "-m", "mjspec.cli", *conform_argv("", DEADLINE)]
    with hostile("hang") as server:
        command[command.index("--base-url") + 1] = server.base_url
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=GUARD, check=False
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"mjspec conform had not exited after {GUARD:g} s against a hang: it hangs")
    assert done.returncode == 1, (done.stdout[-2000:], done.stderr)
    assert f"no complete answer within {DEADLINE} s (--request-timeout)" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert TOKEN not in done.stdout + done.stderr
