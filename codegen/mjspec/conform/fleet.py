"""`mjspec conform --fleet FILE.toml`: many servers, one contract, one matrix.

The fleet file lists servers (`[[server]]` tables: `name`, `base_url`, and optionally
`profile`, `token_env`, `task_ids`, `auth_header`); `load_fleet` checks all of it and
says what is wrong as one line naming the place (`fleet.toml: server[2].profile: ...`,
servers counted from 1 in file order). `tokens` reads each server's token from its
named environment variable, before any request.

`run_fleet` loads nothing: it is given the contract (loaded once, with every profile)
and checks each server, each run judged under every profile (the matrix is servers x
profiles) with the server's declared profile first (its way of sending the token, and its
verdict). The runs go on a pool of threads, which overlap the servers' network waits and
share the imports, the contract and Hypothesis's and schemathesis's caches. Threads of
one process cannot run Python at once, though, and against servers that answer at once a
run is mostly CPU (generating and judging cases): with `processes` > 1 the servers are
shared out over worker processes (forked by a fork server that has imported what they
need, or spawned where there is none; each a pool of threads, with its share of
`concurrency`), which send each outcome back as it ends. On 2 cores against 20 local
stand-ins, 2 processes took 16.2 s where one took 24.6 s (`benchmarks/bench_fleet.py`).

A server that cannot be reached, or whose run cannot start, is an inconclusive row with
the reason; it does not stop the fleet. Ctrl-C (a KeyboardInterrupt in the calling thread)
ends every run at its next case; each report says it was interrupted.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import queue
import re
import signal
import threading
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mjspec.conform.curl import TOKEN_VARIABLE
from mjspec.conform.engine import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT,
    Settings,
    run,
)
from mjspec.conform.report import EXIT_CODES, Finding, ProfileResult, Report, Verdict
from mjspec.errors import ConformError, UsageError
from mjspec.masking import Masker, token_problem
from mjspec.profiles import unknown_profile
from mjspec.urls import base_url_problem

if TYPE_CHECKING:
    import multiprocessing.context
    import multiprocessing.queues

    from mjspec.conform.command import Contract

__all__ = [
    "DEFAULT_CONCURRENCY",
    "Fleet",
    "FleetOptions",
    "FleetServer",
    "Outcome",
    "load_fleet",
    "run_fleet",
    "tokens",
]

DEFAULT_CONCURRENCY = 8
KEYS = ("name", "base_url", "profile", "token_env", "task_ids", "auth_header")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP token (RFC 9110)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FleetServer:
    """One `[[server]]` of the fleet file, checked."""

    name: str
    base_url: str
    profile: str = "doc"
    token_env: str | None = None
    task_ids: tuple[str, ...] = ()
    auth_header: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FleetOptions:
    """What every run of the fleet shares (the command's options)."""

    concurrency: int = DEFAULT_CONCURRENCY
    processes: int | None = 1
    """Worker processes sharing the servers (each with its share of `concurrency` threads);
    None: one per CPU core, at most one per two servers and per `concurrency`."""
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    strict: bool = False
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES


@dataclasses.dataclass(slots=True, kw_only=True)
class Outcome:
    """One server's run: its report, or why there is none (unreachable, not started)."""

    server: FleetServer
    report: Report | None = None
    error: str | None = None

    @property
    def result(self) -> ProfileResult | None:
        """The run's result under the server's declared profile (None: no run)."""
        return self.report.profiles[self.server.profile] if self.report is not None else None

    @property
    def verdict(self) -> Verdict:
        result = self.result
        return result.verdict if result is not None else "inconclusive"

    @property
    def reason(self) -> str:
        result = self.result
        return result.reason if result is not None else self.error or "not checked"

    @property
    def failures(self) -> list[Finding]:
        result = self.result
        return result.failures if result is not None else []


@dataclasses.dataclass(slots=True, kw_only=True)
class Fleet:
    """Every server's outcome, in file order, and the profiles judged (columns)."""

    outcomes: list[Outcome]
    profiles: list[str]
    duration: float
    interrupted: bool = False
    spec_sha256: str | None = None
    strict: bool = False

    @property
    def exit_code(self) -> int:
        """1 when any server fails its declared profile, else 2 when any is inconclusive
        (unreachable, refused, interrupted), else 0."""
        verdicts = {outcome.verdict for outcome in self.outcomes}
        for verdict in ("fail", "inconclusive"):
            if verdict in verdicts:
                return EXIT_CODES[verdict]
        return 0


# -- the fleet file ---------------------------------------------------------------------


def load_fleet(path: Path, known_profiles: Sequence[str]) -> list[FleetServer]:
    """The servers of a fleet file; UsageError as one line naming the file and the place."""
    where = path.as_posix()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{where}: no such fleet file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{where}: cannot read the fleet file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{where}: not TOML: {exc}") from None
    unknown = sorted(set(data) - {"server"})
    if unknown:
        raise UsageError(
            f"{where}: unknown key {unknown[0]!r} at the top level (a fleet file holds "
            "[[server]] tables only)"
        )
    tables = data.get("server")
    if not isinstance(tables, list) or not tables:
        raise UsageError(f"{where}: no [[server]] table; each server is one [[server]] table")
    servers: list[FleetServer] = []
    names: dict[str, int] = {}
    for index, table in enumerate(tables, 1):
        place = f"{where}: server[{index}]"
        if not isinstance(table, dict):
            raise UsageError(f"{place}: must be a table ([[server]]), not {_kind(table)}")
        server = _server(table, place, known_profiles)
        if server.name in names:
            raise UsageError(
                f"{place}.name: {server.name!r} is already the name of server[{names[server.name]}]"
            )
        names[server.name] = index
        servers.append(server)
    return servers


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({list: "an array", dict: "a table"})
    return names.get(type(value), type(value).__name__)


def _text(table: Mapping[str, Any], key: str, place: str, *, required: bool) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            raise UsageError(f"{place}: missing {key!r} (every server needs name and base_url)")
        return None
    if not isinstance(value, str):
        raise UsageError(f"{place}.{key}: must be a string, not {_kind(value)}")
    if not value.strip() or not value.isprintable():
        raise UsageError(f"{place}.{key}: must be non-empty text on one line")
    return value


def _server(table: Mapping[str, Any], place: str, known_profiles: Sequence[str]) -> FleetServer:
    unknown = [key for key in table if key not in KEYS]
    if unknown:
        raise UsageError(f"{place}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    name = _text(table, "name", place, required=True)
    base_url = _text(table, "base_url", place, required=True)
    assert name is not None and base_url is not None
    problem = base_url_problem(base_url)
    if problem:
        raise UsageError(f"{place}.base_url: {problem.removeprefix('--base-url ')}")
    profile = _text(table, "profile", place, required=False) or "doc"
    if profile not in known_profiles:
        raise UsageError(f"{place}.profile: {unknown_profile(profile, known_profiles)}")
    token_env = _text(table, "token_env", place, required=False)
    if token_env is not None and not _VARIABLE.match(token_env):
        raise UsageError(
            f"{place}.token_env: {token_env!r} is not an environment variable's name "
            "(letters, digits and _)"
        )
    auth_header = _text(table, "auth_header", place, required=False)
    if auth_header is not None:
        if not _HEADER.match(auth_header):
            raise UsageError(f"{place}.auth_header: {auth_header!r} is not an HTTP header name")
        if token_env is None:
            raise UsageError(f"{place}.auth_header: needs token_env (the token it carries)")
    ids = table.get("task_ids", [])
    if not isinstance(ids, list):
        raise UsageError(f"{place}.task_ids: must be an array of strings, not {_kind(ids)}")
    for position, task_id in enumerate(ids):
        if not isinstance(task_id, str) or not task_id:
            raise UsageError(
                f"{place}.task_ids[{position}]: must be a non-empty string, not {_kind(task_id)}"
            )
    return FleetServer(
        name=name,
        base_url=base_url,
        profile=profile,
        token_env=token_env,
        task_ids=tuple(dict.fromkeys(ids)),
        auth_header=auth_header,
    )


def tokens(
    servers: Sequence[FleetServer], environ: Mapping[str, str], source: str
) -> dict[str, str | None]:
    """Each server's token, by name, from its `token_env`; UsageError when one is unset."""
    found: dict[str, str | None] = {}
    missing: list[str] = []
    for index, server in enumerate(servers, 1):
        if server.token_env is None:
            found[server.name] = None
            continue
        value = environ.get(server.token_env) or None
        place = f"{source}: server[{index}] ({server.name!r}): "
        if value is None:
            missing.append(
                f"{place}the environment variable {server.token_env} named by token_env "
                "is not set or empty"
            )
        elif problem := token_problem(value):
            missing.append(f"{place}{server.token_env}: {problem}")
        found[server.name] = value
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise UsageError(missing[0] + more)
    return found


# -- running ----------------------------------------------------------------------------


class _Stopper:
    """The progress of one run (`engine.Progress`): raises KeyboardInterrupt at the next
    case once the fleet is stopped, which the engine turns into an interrupted report."""

    def __init__(self, stopped: Stop) -> None:
        self._stopped = stopped

    def start(self, phase: str, total: int | None) -> None:
        self.advance()

    def advance(self) -> None:
        if self._stopped.is_set():
            raise KeyboardInterrupt

    def stop(self) -> None:
        pass


def check_server(
    server: FleetServer,
    token: str | None,
    contract: Contract,
    options: FleetOptions,
    stopped: Stop,
) -> Outcome:
    """One server's run, judged under every profile of `contract`, its own first."""
    if stopped.is_set():
        return Outcome(server=server, error="not checked: the fleet was interrupted")
    declared = [p for p in contract.profiles if p.name == server.profile]
    others = [p for p in contract.profiles if p.name != server.profile]
    settings = Settings(
        spec=contract.spec,
        base_url=server.base_url,
        task_ids=server.task_ids,
        token=token,
        auth_header=server.auth_header,
        profiles=(*declared, *others),
        max_examples=options.max_examples,
        seed=options.seed,
        strict=options.strict,
        request_timeout=options.request_timeout,
        max_response_bytes=options.max_response_bytes,
        spec_sha256=contract.sha256,
        # curl lines read the server's own variable (`$UPSTREAM_A_TOKEN`), not MJSPEC_TOKEN
        token_variable=f"${server.token_env}" if server.token_env else TOKEN_VARIABLE,
    )
    try:
        report = run(settings, progress=_Stopper(stopped))
    except ConformError as exc:
        return Outcome(server=server, error=str(exc))
    except Exception as exc:  # a fault of ours: this server's row says so, the rest go on
        failed = Masker(token).text(repr(exc))
        return Outcome(server=server, error=f"not checked: mjspec failed ({failed})")
    return Outcome(server=server, report=report)


class Stop(Protocol):
    """What stops the runs: a `threading.Event`, or a process-shared one."""

    def is_set(self) -> bool: ...
    def set(self) -> None: ...


Done = Callable[[Outcome, int, int], None]
"""Called in the calling thread as each server's run ends: (outcome, done, total)."""


def run_fleet(
    servers: Sequence[FleetServer],
    keys: Mapping[str, str | None],
    contract: Contract,
    options: FleetOptions,
    *,
    done: Done | None = None,
    stopped: Stop | None = None,
) -> Fleet:
    """Check every server, `options.concurrency` at a time; Ctrl-C stops them all.

    On KeyboardInterrupt (in the calling thread) every run ends at its next case, the
    servers not yet started are not checked, and the fleet is returned interrupted.
    """
    started = time.perf_counter()
    processes = _processes(options, len(servers))
    if processes > 1:
        outcomes, interrupted = _in_processes(servers, keys, contract, options, processes, done)
    else:
        outcomes, interrupted = _in_threads(servers, keys, contract, options, done, stopped)
    ordered = [outcomes[s.name] for s in servers]
    return Fleet(
        outcomes=ordered,
        profiles=[p.name for p in contract.profiles],
        duration=time.perf_counter() - started,
        interrupted=interrupted
        or any(o.report is not None and o.report.interrupted for o in ordered),
        spec_sha256=contract.sha256,
        strict=options.strict,
    )


def _processes(options: FleetOptions, servers: int) -> int:
    """How many worker processes: never more than servers, nor than runs at once."""
    wanted = options.processes if options.processes is not None else (os.cpu_count() or 1)
    if options.processes is None:
        wanted = min(wanted, servers // 2)
    return max(1, min(wanted, servers, options.concurrency))


def _in_threads(
    servers: Sequence[FleetServer],
    keys: Mapping[str, str | None],
    contract: Contract,
    options: FleetOptions,
    done: Done | None,
    stopped: Stop | None,
) -> tuple[dict[str, Outcome], bool]:
    """The servers on a pool of threads in this process: (outcome by name, interrupted)."""
    stopped = stopped or threading.Event()
    interrupted = False
    outcomes: dict[str, Outcome] = {}
    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=min(options.concurrency, len(servers)), thread_name_prefix="mjspec-fleet"
    )
    futures: dict[concurrent.futures.Future[Outcome], FleetServer] = {}
    try:
        for server in servers:
            future = pool.submit(
                check_server, server, keys.get(server.name), contract, options, stopped
            )
            futures[future] = server
        try:
            for future in concurrent.futures.as_completed(futures):
                outcome = future.result()
                outcomes[outcome.server.name] = outcome
                if done is not None:
                    done(outcome, len(outcomes), len(servers))
        except KeyboardInterrupt:
            interrupted = True
            stopped.set()
    finally:
        if not all(future.done() for future in futures):  # leaving early, whatever the cause
            stopped.set()
        # With `stopped` set, each run ends at its next case (or its request's deadline);
        # a second Ctrl-C meanwhile must not leave the runs behind.
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if interrupted and main else None
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
    if interrupted:
        for future, server in futures.items():
            if server.name in outcomes:
                continue
            if future.done() and not future.cancelled() and future.exception() is None:
                outcomes[server.name] = future.result()
            else:
                outcomes[server.name] = Outcome(
                    server=server, error="not checked: the fleet was interrupted"
                )
    return outcomes, interrupted


# -- several processes: the servers shared out, each process a pool of threads ----------

_POLL = 0.2  # seconds between looks at the workers while waiting for outcomes
_DRAIN_TIME = 30.0  # seconds, beyond a request's deadline, the stopped workers are given


def _in_processes(
    servers: Sequence[FleetServer],
    keys: Mapping[str, str | None],
    contract: Contract,
    options: FleetOptions,
    processes: int,
    done: Done | None,
) -> tuple[dict[str, Outcome], bool]:
    """The servers shared out over `processes` worker processes (threads cannot run the
    runs' Python at once: against servers that answer at once, a run is mostly CPU).

    Each worker runs its share as `_in_threads` does, with its share of `concurrency`, and
    sends each outcome back as it ends; Ctrl-C here stops them all at their next case.
    """
    context = _context()
    try:
        stop = context.Event()
        results: multiprocessing.queues.Queue[Outcome] = context.Queue()
    except OSError as exc:  # no semaphore or pipe to be had (a limit, no /dev/shm)
        raise ConformError(f"cannot start the fleet's worker processes: {exc}") from None
    shares = [list(servers[n::processes]) for n in range(processes)]
    # `concurrency` runs at once in all: each worker its part (processes <= concurrency)
    threads = [options.concurrency // processes + (n < options.concurrency % processes)
               for n in range(processes)]  # fmt: skip
    workers = [
        context.Process(
            target=_share,
            args=(share, {s.name: keys.get(s.name) for s in share}, contract,
                  dataclasses.replace(options, concurrency=threads[n], processes=1),
                  stop, results, dict(os.environ)),
            name=f"mjspec-fleet-{n}",
            daemon=True,
        )
        for n, share in enumerate(shares)
    ]  # fmt: skip
    outcomes: dict[str, Outcome] = {}
    interrupted = False
    started: list[Any] = []  # the workers to stop and wait for, whatever ends this
    patience = _DRAIN_TIME  # how long a started worker may take to end before it is killed
    try:
        # SIGINT is blocked while the workers start (a process inherits the mask), so that
        # Ctrl-C while a spawned worker, or the fork server the first start starts,
        # imports the kit is this process's alone: `_share` ignores it, and the fork
        # server unblocks it once its imports are done (`_fork_server`).
        blocking = hasattr(signal, "pthread_sigmask")
        if blocking:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for worker in workers:
                worker.start()
                started.append(worker)
        except (OSError, EOFError) as exc:  # no process to be had (a limit on processes,
            # memory); EOFError: the fork server could not fork, or not import the kit
            patience = 0  # nothing will read what a started one sends back: it could not end
            why = str(exc) if isinstance(exc, OSError) else "the fork server ended"
            raise ConformError(f"cannot start the fleet's worker processes: {why}") from None
        finally:
            if blocking:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        while len(outcomes) < len(servers):
            try:
                outcome = results.get(timeout=_POLL)
            except queue.Empty:
                if not any(worker.is_alive() for worker in workers) and results.empty():
                    break  # a worker ended without all its outcomes: said below
                continue
            outcomes[outcome.server.name] = outcome
            if done is not None:
                done(outcome, len(outcomes), len(servers))
    except KeyboardInterrupt:
        interrupted = True
        patience = 1  # after `_drain`
        stop.set()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second one: not yet
        try:
            _drain(started, results, outcomes, _DRAIN_TIME + options.request_timeout)
        finally:
            signal.signal(signal.SIGINT, previous)
    finally:
        stop.set()  # whatever ends the wait (nothing, when every outcome is in)
        for worker in started:
            worker.join(timeout=patience)
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=5)
        results.close()
        results.join_thread()
    for worker, share in zip(workers, shares, strict=True):
        for server in share:
            if server.name not in outcomes:
                why = (
                    "not checked: the fleet was interrupted"
                    if interrupted
                    else f"not checked: its worker process ended (exit code {worker.exitcode})"
                )
                outcomes[server.name] = Outcome(server=server, error=why)
    return outcomes, interrupted


# What every worker process imports: the fork server imports it once, and each worker it
# forks starts with it (spawned, each worker took about 0.6 s of CPU to import it).
_PRELOAD = [
    "mjspec.conform.command",
    "mjspec.conform.engine",
    "mjspec.conform.fleet",
    "mjspec.conform.judge",
    "mjspec.conform.session",
    "mjspec.conform.strategies",
    "requests",
    "schemathesis",
    "schemathesis.specs.openapi.checks",
    "mjspec.conform._fork_server",  # last: SIGINT unblocked again
]


def _context() -> multiprocessing.context.SpawnContext | multiprocessing.context.ForkServerContext:
    """How the worker processes start: forked by a fork server that has imported what they
    need (`_PRELOAD`), where the platform has one; else spawned, each importing it all."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def _drain(
    workers: Sequence[Any], results: Any, outcomes: dict[str, Outcome], limit: float
) -> None:
    """After a stop: the outcomes the workers still send (each run ends at its next case,
    or at its request's deadline), for `limit` seconds at most; then the workers are
    stopped and what is missing is reported as not checked."""
    deadline = time.monotonic() + limit
    while any(worker.is_alive() for worker in workers) or not results.empty():
        if time.monotonic() > deadline:
            return
        try:
            outcome = results.get(timeout=_POLL)
        except queue.Empty:
            continue
        outcomes[outcome.server.name] = outcome


def _share(
    servers: list[FleetServer],
    keys: dict[str, str | None],
    contract: Contract,
    options: FleetOptions,
    stop: Stop,
    results: Any,
    environment: dict[str, str],
) -> None:
    """A worker process: its share of the servers, each outcome sent back as it ends."""
    from mjspec.collector import few_collections
    from mjspec.conform.command import hypothesis_home_outside_the_working_directory

    few_collections()  # as the command's own process (the fork server's are the default)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the fleet's process decides (`stop`)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # The fleet's environment now (proxies, CA bundle), not the fork server's: it was
    # started by this process's first fleet and outlives it.
    os.environ.clear()
    os.environ.update(environment)
    with hypothesis_home_outside_the_working_directory():
        _in_threads(
            servers,
            keys,
            contract,
            options,
            lambda outcome, done, total: results.put(outcome),
            stop,
        )
    results.close()
    results.join_thread()
