"""`mjspec conform --fleet FILE.toml`: many servers, one matrix, one exit code.

Every server is started here on 127.0.0.1 and stopped; runs are small (`--max-examples 3`)
and on threads of this process, but for the tests of the worker processes (each pays an
interpreter and the kit's imports), so the whole file stays within a few seconds of CPU.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from mjspec.conform.command import load_contract
from mjspec.conform.fleet import (
    Fleet,
    FleetOptions,
    FleetServer,
    Outcome,
    _processes,
    run_fleet,
)
from mjspec.conform.fleet_report import build, render
from mjspec.serve.refserver import serve_in_thread
from tests.conform_servers import TASK_IDS, Reply, serve
from tests.helpers_conform import SPEC_PATH, bare_report, hang_guard, refusing_url, run_cli
from tests.helpers_http import wait_until

SECRET = "sk-fleet-7c1d9e0b3a"
# One process: the worker processes are proven by the tests that name them.
FAST = ["--max-examples", "3", "--seed", "1", "--spec", str(SPEC_PATH), "--fleet-processes", "1"]
PROFILES = ["doc", "midjourney-proxy-csharp", "midjourney-proxy-java", "new-api"]


def _buttons_null(reply: Reply) -> Reply:
    if isinstance(reply.body, list):
        for task in reply.body:
            task["buttons"] = None
    return reply


def _toml(servers: Sequence[dict[str, Any]]) -> str:
    lines: list[str] = []
    for server in servers:
        lines.append("[[server]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in server.items()]
        lines.append("")
    return "\n".join(lines)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def mixed_fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A correct doc server, a correct new-api stand-in, a doc server sending `buttons`
    null (and requiring a token from BROKEN_TOKEN), and a port that refuses connections."""
    monkeypatch.setenv("BROKEN_TOKEN", SECRET)
    with (
        serve() as good,
        serve_in_thread(profile="new-api") as relay,
        serve(_buttons_null, token=SECRET) as broken,
        refusing_url() as gone,
    ):
        yield _write(
            tmp_path,
            _toml(
                [
                    {"name": "good", "base_url": good.base_url, "task_ids": TASK_IDS},
                    {
                        "name": "relay",
                        "base_url": relay.base_url,
                        "profile": "new-api",
                        "task_ids": relay.task_ids[:6],
                    },
                    {
                        "name": "broken",
                        "base_url": broken.base_url,
                        "token_env": "BROKEN_TOKEN",
                        "task_ids": TASK_IDS,
                    },
                    {"name": "gone", "base_url": gone, "profile": "midjourney-proxy-java"},
                ]
            ),
        )


def test_a_mixed_fleet_gives_one_matrix_the_verdict_of_each_declared_profile_and_exit_1(
    mixed_fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = {kind: tmp_path / f"fleet.{kind}" for kind in ("json", "md", "html", "xml")}
    with hang_guard(120, "the fleet run"):
        outcome = run_cli(
            capsys,
            [
                "conform",
                "--fleet",
                str(mixed_fleet),
                *FAST,
                "--fleet-concurrency",  # on two threads (what crosses to worker
                "2",  # processes is `test_ctrl_c_stops_a_run_under_way`'s)
                "--report-json",
                str(reports["json"]),
                "--report-markdown",
                str(reports["md"]),
                "--report-html",
                str(reports["html"]),
                "--junit-xml",
                str(reports["xml"]),
            ],
        )
    assert outcome.code == 1, outcome.err
    data = json.loads(reports["json"].read_text(encoding="utf-8"))
    servers = data["servers"]
    assert list(servers) == ["good", "relay", "broken", "gone"]
    assert {name: s["verdict"] for name, s in servers.items()} == {
        "good": "pass",
        "relay": "pass",
        "broken": "fail",
        "gone": "inconclusive",
    }
    assert {name: s["profile"] for name, s in servers.items()} == {
        "good": "doc",
        "relay": "new-api",
        "broken": "doc",
        "gone": "midjourney-proxy-java",
    }
    # The matrix is servers x profiles: the relay fails doc but passes its own profile.
    assert servers["relay"]["profiles"]["new-api"] == "pass"
    assert servers["relay"]["profiles"]["doc"] == "fail"
    assert sorted(servers["good"]["profiles"]) == PROFILES
    assert servers["broken"]["fields"]["buttons"] == "null"
    assert servers["good"]["fields"]["buttons"] == "ok"
    assert any(f["field"] == "buttons" for f in servers["broken"]["failures"])
    # A reproduction reads the server's own variable, never the token itself.
    commands = [f["reproduce"] for f in servers["broken"]["failures"] if f["reproduce"]]
    assert commands and all("$BROKEN_TOKEN" in c for c in commands)
    assert "cannot reach" in servers["gone"]["reason"]
    assert servers["gone"]["failures"] == []
    assert data["exit_code"] == 1
    # The terminal: a row per server, and a line for each server that does not pass.
    for name in ("good", "relay", "broken", "gone"):
        assert name in outcome.out
    assert "broken (" in outcome.out and "gone (" in outcome.out
    assert "good (" not in outcome.out
    assert "pass*" in outcome.out and "inconclusive*" in outcome.out
    markdown = reports["md"].read_text(encoding="utf-8")
    html = reports["html"].read_text(encoding="utf-8")
    for name in ("good", "relay", "broken", "gone"):
        assert f"`{name}`" in markdown
        assert f"<code>{name}</code>" in html
    assert "## `broken`: fail under `doc`" in markdown
    junit = reports["xml"].read_text(encoding="utf-8")
    assert junit.count("<testsuite ") == 4 and "mjspec conform [broken]" in junit
    # The token never appears anywhere.
    for text in (outcome.out, outcome.err, markdown, html, junit, json.dumps(data)):
        assert SECRET not in text


def test_a_fleet_that_all_passes_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve() as good:
        path = _write(
            tmp_path, _toml([{"name": "only", "base_url": good.base_url, "task_ids": TASK_IDS}])
        )
        outcome = run_cli(capsys, ["conform", "--fleet", str(path), *FAST])
    assert outcome.code == 0, outcome.out + outcome.err
    assert "1 of 1 server(s) pass" in outcome.out


def _outcome(name: str, verdict: str | None) -> Outcome:
    server = FleetServer(name=name, base_url="http://127.0.0.1:1")
    if verdict is None:
        return Outcome(server=server, error="cannot reach it")
    report = bare_report(base_url=server.base_url)
    from mjspec.conform.report import ProfileResult

    report.profiles = {
        "doc": ProfileResult(
            name="doc",
            title="doc",
            verdict=verdict,  # type: ignore[arg-type]
            reason="",
            tasks_checked=1,
            fields=[],
            failures=[],
            warnings=[],
        )
    }
    return Outcome(server=server, report=report)


@pytest.mark.parametrize(
    ("verdicts", "code"),
    [
        (["pass", "pass"], 0),
        (["pass", None], 2),  # unreachable: inconclusive
        (["pass", "inconclusive"], 2),
        (["inconclusive", "fail", None], 1),  # a failure outweighs what could not be judged
    ],
)
def test_the_exit_code_is_1_for_any_failure_else_2_for_anything_undecided(
    verdicts: list[str | None], code: int
) -> None:
    outcomes = [_outcome(f"s{n}", v) for n, v in enumerate(verdicts)]
    fleet = Fleet(outcomes=outcomes, profiles=["doc"], duration=0.0)
    assert fleet.exit_code == code
    assert [row.name for row in build(fleet).rows] == [o.server.name for o in outcomes]


def test_a_server_name_with_brackets_is_printed_as_it_is() -> None:
    """Names are the user's: rich must not read `[eu]` or `[/]` as its markup."""
    outcomes = [_outcome("upstream[eu]", "pass"), _outcome("odd[/]name", None)]
    console = Console(record=True, width=200, color_system=None)
    render(Fleet(outcomes=outcomes, profiles=["doc"], duration=0.0), console)
    shown = console.export_text()
    assert "upstream[eu]" in shown and "odd[/]name" in shown


@pytest.mark.parametrize(
    ("concurrency", "processes", "servers", "expected"),
    [
        (8, 4, 10, 4),
        (2, 4, 10, 2),  # never more processes than runs at once
        (8, 4, 3, 3),  # nor than servers
        (8, 1, 10, 1),
    ],
)
def test_the_worker_processes_stay_within_the_concurrency(
    concurrency: int, processes: int, servers: int, expected: int
) -> None:
    options = FleetOptions(concurrency=concurrency, processes=processes)
    assert _processes(options, servers) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[server]\nname = 1", "fleet.toml: not TOML: "),
        ("", "fleet.toml: no [[server]] table"),
        ('servers = 1\n[[server]]\nname="a"\nbase_url="http://x"', "unknown key 'servers'"),
        ('[[server]]\nbase_url = "http://x"', "fleet.toml: server[1]: missing 'name'"),
        ('[[server]]\nname = "a"', "fleet.toml: server[1]: missing 'base_url'"),
        (
            '[[server]]\nname="a"\nbase_url="http://x"\n[[server]]\nname="a"\nbase_url="http://y"',
            "fleet.toml: server[2].name: 'a' is already the name of server[1]",
        ),
        ('[[server]]\nname="a"\nbase_url="http://x"\ntoken="k"', "server[1]: unknown key 'token'"),
        ('[[server]]\nname=7\nbase_url="http://x"', "server[1].name: must be a string, not an"),
        ('[[server]]\nname="a"\nbase_url="ftp://x"', "server[1].base_url: 'ftp://x' cannot be"),
        (
            '[[server]]\nname="a"\nbase_url="http://x"\ntask_ids="1"',
            "server[1].task_ids: must be an array of strings",
        ),
        (
            '[[server]]\nname="a"\nbase_url="http://x"\n[[server]]\nname="b"\n'
            'base_url="http://y"\nprofile="nope"',
            "server[2].profile: unknown profile 'nope'; choose one of: doc, "
            "midjourney-proxy-csharp, midjourney-proxy-java, new-api",
        ),
        (
            '[[server]]\nname="a"\nbase_url="http://x"\ntoken_env="A-B"',
            "server[1].token_env: 'A-B' is not an environment variable's name",
        ),
        (
            '[[server]]\nname="a"\nbase_url="http://x"\nauth_header="mj-api-secret"',
            "server[1].auth_header: needs token_env",
        ),
    ],
)
def test_a_bad_fleet_file_is_one_line_naming_the_place_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    path = _write(tmp_path, text)
    outcome = run_cli(capsys, ["conform", "--fleet", str(path), *FAST])
    assert outcome.code == 2
    assert len(outcome.err_lines) == 1, outcome.err
    assert outcome.err_lines[0].startswith(f"mjspec: error: {path.as_posix()}")
    assert expected in outcome.err_lines[0]
    assert "Traceback" not in outcome.err and outcome.out == ""


def test_a_missing_fleet_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "absent.toml"
    outcome = run_cli(capsys, ["conform", "--fleet", str(path), *FAST])
    assert outcome.code == 2
    assert outcome.err_lines == [f"mjspec: error: {path.as_posix()}: no such fleet file"]


def test_a_toml_syntax_error_names_the_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, '[[server]]\nname = "a"\nbase_url = http://x\n')
    outcome = run_cli(capsys, ["conform", "--fleet", str(path), *FAST])
    assert outcome.code == 2
    assert "line 3, column 12" in outcome.err_lines[0]


def test_worker_processes_each_run_their_share_and_end_when_every_outcome_is_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three servers over two worker processes (the first takes two): every outcome comes
    back, in the fleet's order, with the profile each server declared, and the workers end
    of themselves; a second fleet's workers read the environment as it is then.
    Unreachable servers: what is proven is the processes' part."""
    from mjspec.conform import fleet

    spread: list[int] = []
    in_processes = fleet._in_processes

    def recorded(*args: Any) -> Any:
        spread.append(args[4])  # the number of worker processes
        return in_processes(*args)

    monkeypatch.setattr(fleet, "_in_processes", recorded)
    contract = load_contract(SPEC_PATH, "all")
    profiles = ["doc", "new-api", "midjourney-proxy-java"]
    with refusing_url() as first, refusing_url() as second, refusing_url() as third:
        servers = [
            FleetServer(name=f"s{n}", base_url=url, profile=profile)
            for n, (url, profile) in enumerate(zip([first, second, third], profiles, strict=True))
        ]
        options = FleetOptions(concurrency=2, processes=2, max_examples=3, seed=1)
        with hang_guard(120, "a fleet over worker processes"):
            result = run_fleet(servers, {}, contract, options)
            # The workers read the environment as it is now, not as it was when the
            # processes they are forked from started (the first fleet's).
            monkeypatch.setenv("HTTP_PROXY", "http://[oops")
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.delenv("no_proxy", raising=False)
            proxied = run_fleet(servers[:2], {}, contract, options)
    assert spread == [2, 2]  # over worker processes, not threads of this one
    assert not result.interrupted
    assert [o.server.name for o in result.outcomes] == ["s0", "s1", "s2"]
    assert [o.server.profile for o in result.outcomes] == profiles
    assert all(o.report is None and "cannot reach" in o.reason for o in result.outcomes)
    assert all("the proxy http://[oops is not a URL" in o.reason for o in proxied.outcomes)
    assert multiprocessing.active_children() == []
    # The workers came from a fork server (this process's one, which other code's processes
    # may come from too); it was started with SIGINT blocked, and has it back once its
    # imports are done.
    assert _blocked_signals(_fork_server_pid()) & (1 << (signal.SIGINT - 1)) == 0


def _fork_server_pid() -> int:
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    assert isinstance(pid, int), "no fork server was started"
    return pid


def _blocked_signals(pid: int) -> int:
    """The process's blocked signals, as Linux shows them (a bit per signal)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(
        next(line for line in status.splitlines() if line.startswith("SigBlk:")).split()[1], 16
    )


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (
            BlockingIOError(11, "Resource temporarily unavailable"),
            "[Errno 11] Resource temporarily unavailable",
        ),
        (EOFError("unexpected EOF"), "the fork server ended"),
    ],
    ids=["no process to be had", "the fork server gone"],
)
def test_worker_processes_that_cannot_start_are_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
    said: str,
) -> None:
    """The second worker process cannot start (the machine's limit on processes, or the
    fork server could not fork or import the kit and ended): the first is stopped at once
    (killed: a large fleet's "not checked" outcomes, which nothing reads, would fill the
    pipe it must flush before it can end) and the user reads one line, not a traceback."""
    import multiprocessing.process
    import signal

    real = multiprocessing.process.BaseProcess.start
    starts: list[multiprocessing.process.BaseProcess] = []

    def start(process: multiprocessing.process.BaseProcess) -> None:
        starts.append(process)
        if len(starts) > 1:
            raise failure
        real(process)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start)
    with refusing_url() as gone:
        servers = [{"name": name, "base_url": gone} for name in ("a", "b")]
        path = _write(tmp_path, _toml(servers))
        with hang_guard(60, "a fleet whose workers cannot start"):
            outcome = run_cli(
                capsys, ["conform", "--fleet", str(path), *FAST, "--fleet-processes", "2"]
            )
    assert [process.name for process in starts] == ["mjspec-fleet-0", "mjspec-fleet-1"]
    assert starts[0].exitcode == -signal.SIGKILL
    assert outcome.code == 2
    assert outcome.err_lines == [
        f"mjspec: error: cannot start the fleet's worker processes: {said}"
    ], outcome.err
    assert multiprocessing.active_children() == []  # the one that started was waited for


def test_an_unset_token_variable_is_one_line_naming_the_server_before_any_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLEET_ABSENT_TOKEN", raising=False)
    monkeypatch.setenv("FLEET_EMPTY_TOKEN", "")
    with serve() as first, serve() as second:
        servers = [
            {"name": "first", "base_url": first.base_url, "token_env": "FLEET_EMPTY_TOKEN"},
            {"name": "second", "base_url": second.base_url, "token_env": "FLEET_ABSENT_TOKEN"},
        ]
        path = _write(tmp_path, _toml(servers))
        outcome = run_cli(capsys, ["conform", "--fleet", str(path), *FAST])
        assert first.requests == second.requests == 0
    assert outcome.code == 2
    assert len(outcome.err_lines) == 1
    line = outcome.err_lines[0]
    assert "server[1] ('first')" in line and "FLEET_EMPTY_TOKEN" in line
    assert "(and 1 more)" in line


def test_a_token_variable_no_header_can_carry_is_one_line_naming_it_not_showing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("A_TOKEN", "SECRETTOK\r\n")
    path = _write(
        tmp_path,
        _toml([{"name": "a", "base_url": "http://127.0.0.1:9", "token_env": "A_TOKEN"}]),
    )
    outcome = run_cli(capsys, ["conform", "--fleet", str(path), *FAST])
    assert outcome.code == 2
    [line] = outcome.err_lines
    assert "server[1] ('a'): A_TOKEN: the token cannot be sent in an HTTP header" in line
    assert "SECRETTOK" not in outcome.out + outcome.err


@pytest.mark.parametrize(
    "option",
    [
        ["--base-url", "http://127.0.0.1:1"],
        ["--task-id", "1"],
        ["--token", SECRET],
        ["--profile", "doc"],
        ["--auth-header", "mj-api-secret"],
    ],
)
def test_fleet_is_exclusive_with_the_single_server_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    path = _write(tmp_path, _toml([{"name": "a", "base_url": "http://127.0.0.1:1"}]))
    outcome = run_cli(capsys, ["conform", "--fleet", str(path), *option])
    assert outcome.code == 2
    assert outcome.err_lines == [
        f"mjspec: error: --fleet cannot be combined with {option[0]}: each [[server]] of the "
        "fleet file gives its own (base_url, task_ids, token_env, profile, auth_header)"
    ]
    assert SECRET not in outcome.err


@pytest.mark.parametrize("value", ["0", "-2", "x"])
def test_fleet_concurrency_must_be_a_positive_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    path = _write(tmp_path, _toml([{"name": "a", "base_url": "http://127.0.0.1:1"}]))
    outcome = run_cli(capsys, ["conform", "--fleet", str(path), "--fleet-concurrency", value])
    assert outcome.code == 2
    assert "--fleet-concurrency" in outcome.err


def test_ctrl_c_stops_every_run_and_returns_what_was_found() -> None:
    """A KeyboardInterrupt in the waiting thread (as Ctrl-C lands there) stops the runs at
    their next case; the servers not started are reported as not checked."""
    contract = load_contract(SPEC_PATH, "all")
    with serve() as first, serve() as second:
        servers = [
            FleetServer(name="first", base_url=first.base_url, task_ids=tuple(TASK_IDS)),
            FleetServer(name="second", base_url=second.base_url, task_ids=tuple(TASK_IDS)),
        ]
        stopped = threading.Event()

        def interrupt(outcome: Outcome, done: int, total: int) -> None:
            raise KeyboardInterrupt

        # The first server is stopped by a request of its own: a run that never ends unless
        # stopped (a huge number of cases).
        def stop_on_request(reply: Reply) -> Reply:
            stopped.set()
            return reply

        first.set_mutation(stop_on_request)
        options = FleetOptions(concurrency=1, max_examples=100_000, seed=1)
        with hang_guard(60, "a stopped fleet"):
            result = run_fleet(servers, {}, contract, options, done=interrupt, stopped=stopped)
        sent = first.requests
    assert result.interrupted
    first_outcome, second_outcome = result.outcomes
    assert first_outcome.report is not None and first_outcome.report.interrupted
    assert first_outcome.verdict == "inconclusive"
    assert sent < 200  # stopped at its next case, not after 100,000
    assert second_outcome.report is None and "interrupted" in second_outcome.reason
    assert second.requests == 0


@pytest.mark.parametrize("processes", [1, 2], ids=["threads", "worker processes"])
def test_ctrl_c_stops_a_run_under_way(processes: int) -> None:
    """On a pool of threads, or with the servers shared out over worker processes, Ctrl-C
    here (a KeyboardInterrupt as the first outcome comes back) stops the other run, already
    under way, at its next case: nothing else stops it.

    The run under way is the one a worker process has to be handed everything for: its
    server takes only the fleet's key for it, and sends `buttons` null, so the outcome that
    comes back holds failures whose reproductions name the server's token variable (the
    mixed fleet runs on threads: what crosses to a process is proven here)."""
    contract = load_contract(SPEC_PATH, "all")
    answered: list[int] = []  # answers holding tasks: a request that got past the key

    def broken(reply: Reply) -> Reply:
        if isinstance(reply.body, list) and reply.body:
            answered.append(1)
        return _buttons_null(reply)

    with serve(broken, token=SECRET) as endless, refusing_url() as gone:
        servers = [
            FleetServer(name="gone", base_url=gone),
            FleetServer(
                name="endless",
                base_url=endless.base_url,
                task_ids=tuple(TASK_IDS),
                token_env="ENDLESS_TOKEN",
            ),
        ]

        def interrupt(outcome: Outcome, done: int, total: int) -> None:
            assert outcome.server.name == "gone"  # unreachable: the first to end
            # the other run under way, its first answers judged (requests go one at a time)
            # (a worker process may still be starting)
            assert wait_until(lambda: len(answered) >= 2, timeout=60)
            raise KeyboardInterrupt

        options = FleetOptions(concurrency=2, processes=processes, max_examples=100_000, seed=1)
        with hang_guard(120, "a stopped fleet"):
            result = run_fleet(servers, {"endless": SECRET}, contract, options, done=interrupt)
        sent = endless.requests
    assert result.interrupted
    assert [o.server.name for o in result.outcomes] == ["gone", "endless"]
    assert "cannot reach" in result.outcomes[0].reason
    stopped = result.outcomes[1]
    assert stopped.report is not None and stopped.report.interrupted, stopped.reason
    assert sent < 5_000  # stopped at its next case, not after 100,000 (and its shrinking)
    # What was found before Ctrl-C came back with it, its reproductions reading the
    # server's own variable.
    found = [f for f in stopped.report.failures if f.field == "buttons"]
    assert found, [f.message for f in stopped.report.failures]
    commands = [f.reproduce for f in found if f.reproduce]
    assert commands and all("$ENDLESS_TOKEN" in c for c in commands)
    assert SECRET not in repr(stopped)
