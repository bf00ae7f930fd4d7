"""`mjspec conform`: arguments, one call to the engine, output, exit code."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mjspec.arguments import positive, seconds
from mjspec.conform.engine import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT,
    ConformError,
    Progress,
    Settings,
    run,
)
from mjspec.conform.fields import SpecShapeError, derive_fields
from mjspec.conform.report import Report
from mjspec.errors import SpecProblem
from mjspec.errors import message as error_line
from mjspec.masking import TOKEN_ENV, token_problem
from mjspec.profiles import Profile
from mjspec.urls import base_url_problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url",
        help="the server to check, e.g. http://127.0.0.1:8080 "
        "(default: start the reference server on a free port and check it)",
    )
    parser.add_argument(
        "--token",
        help="the API key, sent the profile's way (doc: 'Authorization: Bearer <token>'); "
        "default: the MJSPEC_TOKEN environment variable, which keeps it off the command line",
    )
    parser.add_argument(
        "--auth-header",
        default=None,
        metavar="NAME",
        help="send the token raw in this header instead (e.g. mj-api-secret, or Authorization "
        "for the C# fork)",
    )
    parser.add_argument(
        "--profile",
        default=None,
        metavar="NAME|all",
        help="judge against this implementation profile (doc, new-api, midjourney-proxy-java, "
        "midjourney-proxy-csharp), or all of them from one set of requests: a compatibility "
        "matrix (default: doc)",
    )
    parser.add_argument(
        "--task-id",
        action="append",
        default=[],
        metavar="ID",
        dest="task_ids",
        help="an id of a task the server knows (repeat it); without any, nothing can be checked",
    )
    parser.add_argument(
        "--max-examples",
        type=positive,
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help=f"positive cases to generate; half as many negative ones "
        f"(default {DEFAULT_MAX_EXAMPLES})",
    )
    parser.add_argument("--seed", type=int, help="fix the random seed to rerun the same cases")
    parser.add_argument(
        "--request-timeout",
        type=seconds,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="SECONDS",
        help=f"the total deadline of one request, its whole answer included "
        f"(default {DEFAULT_REQUEST_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-response-bytes",
        type=positive,
        default=DEFAULT_MAX_RESPONSE_BYTES,
        metavar="N",
        help=f"the largest answer read; a larger one is a finding "
        f"(default {DEFAULT_MAX_RESPONSE_BYTES} = 32 MiB)",
    )
    parser.add_argument("--junit-xml", type=Path, metavar="PATH", help="write a JUnit XML report")
    parser.add_argument("--report-json", type=Path, metavar="PATH", help="write a JSON report")
    parser.add_argument(
        "--report-markdown",
        type=Path,
        metavar="PATH",
        help="write a Markdown report (a GitHub-flavoured table, fit for a CI job summary)",
    )
    parser.add_argument(
        "--report-html", type=Path, metavar="PATH", help="write a self-contained HTML report"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail on findings outside the documented contract too (they only warn by default)",
    )
    parser.add_argument(
        "--spec",
        type=Path,
        default=None,
        metavar="PATH",
        help="the OpenAPI document, its profiles in profiles/ beside it (default: the copy "
        "shipped with mjapi, whatever the working directory)",
    )
    parser.add_argument(
        "--fleet",
        type=Path,
        default=None,
        metavar="FILE.toml",
        help="check every [[server]] of this file (name, base_url, profile, token_env, "
        "task_ids, auth_header) and report one matrix of servers against profiles; "
        "instead of --base-url, --task-id, --token, --profile and --auth-header",
    )
    parser.add_argument(
        "--fleet-concurrency",
        type=positive,
        default=None,
        metavar="N",
        help="with --fleet: how many servers are checked at once (default 8)",
    )
    parser.add_argument(
        "--fleet-processes",
        type=positive,
        default=None,
        metavar="N",
        help="with --fleet: worker processes sharing the servers and the concurrency (default: "
        "one per CPU core, at most one per two servers); 1 keeps every run in this process",
    )


def usage_error(message: str) -> int:
    """A mistake or a run that could not start: one line, exit 2 (as `cli.main` prints)."""
    print(error_line(message), file=sys.stderr)
    return 2


def interrupted(message: str) -> int:
    print(f"mjspec conform: interrupted; {message}", file=sys.stderr)
    return 130


@dataclasses.dataclass(frozen=True, slots=True)
class Contract:
    """The spec, the profiles judged under it (checked) and the spec file's sha256."""

    spec: dict[str, Any]
    profiles: list[Profile]
    sha256: str


def load_contract(path: Path | None, wanted: str) -> Contract:
    """The spec and the profiles to judge under (`all`: every profile, doc first), checked."""
    from mjspec.errors import SpecError, UsageError
    from mjspec.profiles import DOC, doc_profile, load_profiles, select
    from mjspec.spec import load_spec, packaged_spec_path

    path = path or packaged_spec_path()
    try:
        spec = load_spec(path, check=False)
        if wanted == DOC:  # the overlays need not be applied
            chosen = [doc_profile(spec, path.as_posix())]
        else:
            chosen = select(load_profiles(path, spec, check=False), wanted)
        # Only the profiles judged are validated (openapi-spec-validator takes a while).
        problems = []
        for profile in chosen:
            source = profile.source if profile.overlay is not None else path.as_posix()
            problems += _checked(profile.document, source)
        if problems:
            raise SpecError(problems)
    except SpecError as exc:
        first = exc.problems[0] if exc.problems else exc
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        raise ConformError(f"the spec cannot be used: {first}{more}") from None
    except UsageError as exc:
        raise ConformError(f"--profile: {exc}") from None
    for profile in chosen:
        try:
            derive_fields(profile.document)
        except SpecShapeError as exc:
            raise ConformError(f"{profile.source}: {exc}") from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Contract(spec=spec, profiles=chosen, sha256=digest)


def _checked(document: dict[str, Any], source: str) -> list[SpecProblem]:
    """`check_spec`, remembered for documents found valid before (by their sha256).

    Validating an OpenAPI document takes a third of a second; a conformance run in CI
    checks the same spec every time. Only valid documents are remembered, in the temporary
    directory, so a broken spec is reported every time.
    """
    import json
    import tempfile

    from mjspec.spec import check_spec

    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    marker = Path(tempfile.gettempdir()) / "mjspec-valid-specs" / digest
    if marker.is_file():
        return []
    problems = check_spec(document, source)
    if not problems:
        with contextlib.suppress(OSError):
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    return problems


@contextlib.contextmanager
def embedded_server(token: str | None, profile: str) -> Iterator[tuple[str, list[str], str | None]]:
    """The reference server on a free port: (base_url, its task ids, its token or None)."""
    try:
        refserver = importlib.import_module("mjspec.serve.refserver")
    except ImportError as exc:
        raise ConformError(
            f"the reference server (mjspec.serve.refserver) is not available ({exc}); "
            "pass --base-url to check a running server"
        ) from None
    with refserver.serve_in_thread(token=token, profile=profile) as server:
        yield server.base_url, list(server.task_ids), getattr(server, "token", None)


def conform(
    *,
    base_url: str | None,
    task_ids: Sequence[str] = (),
    profile: str = "doc",
    spec: Path | None = None,
    token: str | None = None,
    auth_header: str | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    seed: int | None = None,
    strict: bool = False,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    progress: Callable[[], Progress] | None = None,
) -> Report:
    """One conformance run, as `mjspec conform` and `mjspec.testing` make it.

    Loads the contract (`spec`, None: the packaged one) for `profile`, then checks
    `base_url`, or with None the first profile's embedded stand-in (which enforces
    `token`), with Hypothesis's home outside the working directory for the run.
    `progress` makes the progress display once the contract is loaded. Raises
    `ConformError` when the run cannot start.
    """
    problem = token_problem(token) or (base_url_problem(base_url) if base_url else None)
    if problem:
        raise ConformError(problem)
    with hypothesis_home_outside_the_working_directory():
        contract = load_contract(spec, profile)

        def check(url: str, known: Sequence[str], key: str | None) -> Report:
            settings = Settings(
                spec=contract.spec,
                base_url=url,
                task_ids=tuple(dict.fromkeys(known)),
                token=key,
                auth_header=auth_header,
                profiles=tuple(contract.profiles),
                max_examples=max_examples,
                seed=seed,
                strict=strict,
                request_timeout=request_timeout,
                max_response_bytes=max_response_bytes,
                spec_sha256=contract.sha256,
            )
            display = progress() if progress is not None else None
            try:
                return run(settings, progress=display)
            finally:
                if display is not None:
                    display.stop()

        if base_url is not None:
            return check(base_url, task_ids, token)
        name = contract.profiles[0].name
        with embedded_server(token, name) as (url, embedded, embedded_token):
            return check(url, [*embedded, *task_ids], token or embedded_token)


REPORTS = (
    ("--report-json", "report_json"),
    ("--junit-xml", "junit_xml"),
    ("--report-markdown", "report_markdown"),
    ("--report-html", "report_html"),
)
"""Each report option and its attribute on the parsed arguments."""

Writers = Mapping[str, Callable[[Path], None]]
"""How a run writes each report, by the option's attribute (`REPORTS`)."""


def unwritable_report(args: argparse.Namespace) -> str:
    """The first report asked for that cannot be written, as an error line ("" if none)."""
    for option, name in REPORTS:
        path = getattr(args, name)
        problem = unwritable(path)
        if problem:
            return f"{option} {path}: {problem}"
    return ""


def write_reports(
    args: argparse.Namespace, writers: Writers, *, interrupted_run: bool, exit_code: int
) -> int:
    """Write each report asked for, with a second Ctrl-C ignored meanwhile (it must not cut
    them short); then the command's exit code."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for _, name in REPORTS:
            path = getattr(args, name)
            if path:
                writers[name](path)
    except OSError as exc:
        return usage_error(f"cannot write the report: {exc}")
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted_run:
        return interrupted("the reports hold what was found so far")
    return exit_code


def _report(args: argparse.Namespace, result: Report) -> int:
    from mjspec.conform import markdown, output, report

    def write_html(path: Path) -> None:
        from mjspec.conform import html  # Jinja2: imported only when asked for

        html.write(result, path)

    output.render(result, output.make_console())
    writers: Writers = {
        "report_json": lambda path: report.write_json(result, path),
        "junit_xml": lambda path: report.write_junit(result, path),
        "report_markdown": lambda path: markdown.write(result, path),
        "report_html": write_html,
    }
    return write_reports(
        args, writers, interrupted_run=result.interrupted, exit_code=result.exit_code
    )


def unwritable(path: Path | None) -> str:
    """Why a report could not be written there ("" when it can), checked before the run."""
    if path is None:
        return ""
    if path.is_dir():
        return "is a directory"
    parent = path.parent
    if not parent.is_dir():
        return f"no such directory {parent.as_posix()!r}"
    if not os.access(parent, os.W_OK):
        return f"the directory {parent.as_posix()!r} is not writable"
    return ""


def hypothesis_home() -> Path:
    """Where the kit's runs keep Hypothesis' caches, shared by every run on the machine.

    The first run computes Hypothesis' table of Unicode categories (about 0.3 s) and keeps
    it here, beside the table of what UTF-8 encodes (`seed_utf8_table`); later runs, worker
    processes and other commands read them instead.
    """
    import tempfile

    return Path(tempfile.gettempdir()) / "mjspec-hypothesis"


# What UTF-8 encodes, as Hypothesis keeps it: every code point but the surrogates, each of
# which decodes back to itself (no code point encodes and comes back as another).
UTF8_ENCODABLE = ((0, 0xD7FF), (0xE000, 0x10FFFF))
UTF8_TABLE = "codec-v2-utf-8"
"""The table's name in Hypothesis' home (`hypothesis.internal.charmap.intervals_from_codec`)."""


def seed_utf8_table() -> None:
    """Write Hypothesis' table of what UTF-8 encodes into its current home, where missing.

    A text strategy's default alphabet is every character UTF-8 can encode: the first one
    drawn with a new home makes Hypothesis encode and decode each of the 1,114,112 code
    points in turn to find out (about 3 s of CPU), and keep the answer in its home. For
    UTF-8 the answer is known in closed form (`UTF8_ENCODABLE`). The file is written
    atomically, as Hypothesis writes it; a Hypothesis that names or lays the table out
    otherwise never reads it (or, failing to, computes and rewrites it), and one whose
    internals moved leaves the seeding a no-op: either way only the speed differs.
    """
    import gzip
    import json

    from mjspec.files import write_atomically

    try:
        from hypothesis.internal.charmap import charmap_file

        path = Path(charmap_file(UTF8_TABLE))
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        table = json.dumps([UTF8_ENCODABLE, ()]).encode("ascii")
        write_atomically(path, gzip.compress(table, mtime=1))
    except (ImportError, AttributeError, TypeError, OSError):
        return  # Hypothesis computes the table itself, as it would without the kit


@contextlib.contextmanager
def hypothesis_home_outside_the_working_directory() -> Iterator[None]:
    """Hypothesis caches in `./.hypothesis`; a command must not litter the user's directory.

    The previous home is restored afterwards, so a caller's own Hypothesis (a test suite
    that runs `mjspec conform` in process) is left as it was.
    """
    from hypothesis import configuration

    # The module keeps the home it was given (None: the default) in this global.
    previous = vars(configuration).get("__hypothesis_home_directory")
    configuration.set_hypothesis_home_dir(hypothesis_home())
    try:
        seed_utf8_table()
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)


def run_command(args: argparse.Namespace) -> int:
    """Run `mjspec conform`; returns the exit code (0 pass, 1 fail, 2 could not judge)."""
    try:
        return _run_command(args)
    except KeyboardInterrupt:
        return interrupted("before the run started; nothing was checked")


def _run_command(args: argparse.Namespace) -> int:
    if args.fleet is not None:
        from mjspec.conform.fleet_command import run_fleet_command

        return run_fleet_command(args)
    for option, value in (
        ("--fleet-concurrency", args.fleet_concurrency),
        ("--fleet-processes", args.fleet_processes),
    ):
        if value is not None:
            return usage_error(f"{option} needs --fleet")
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    if args.auth_header is not None and token is None:
        return usage_error("--auth-header needs --token (or MJSPEC_TOKEN)")
    problem = unwritable_report(args)
    if problem:
        return usage_error(problem)
    try:
        return _judge(args, token)
    except ConformError as exc:
        return usage_error(str(exc))


class CtrlC:
    """Whether Ctrl-C was pressed during a run, and whether it still interrupts.

    Set from a signal handler, so a plain flag (an Event's lock could deadlock when a
    second Ctrl-C lands inside the first one's handler)."""

    def __init__(self) -> None:
        self.pressed = False
        self.holding = False

    def hold(self) -> None:
        """From now on (the run has ended: its reports are being made), Ctrl-C is only
        remembered, not raised."""
        self.holding = True


class Latched:
    """A run's progress that also ends the run at its next case once Ctrl-C was pressed.

    Python raises Ctrl-C's KeyboardInterrupt wherever the main thread is; when that is a
    garbage-collection hook (Hypothesis measures collections with one) or a finalizer, the
    exception is only printed ("Exception ignored in") and the run would go on. The engine
    asks its progress before each case, so the run ends there, interrupted. When the run
    ends, what follows (the reports) is no longer cut short by a Ctrl-C.
    """

    def __init__(self, progress: Progress, ctrl_c: CtrlC) -> None:
        self._progress = progress
        self._ctrl_c = ctrl_c

    def start(self, phase: str, total: int | None) -> None:
        self._check()
        self._progress.start(phase, total)

    def advance(self) -> None:
        self._check()
        self._progress.advance()

    def stop(self) -> None:
        self._ctrl_c.hold()
        self._progress.stop()

    def _check(self) -> None:
        if self._ctrl_c.pressed:
            raise KeyboardInterrupt


@contextlib.contextmanager
def ctrl_c_remembered() -> Iterator[CtrlC]:
    """Ctrl-C remembered for the block (the first press raised as KeyboardInterrupt as usual
    until `CtrlC.hold`); only where Ctrl-C is Python's to handle: not outside the main thread,
    and not where it is ignored (a command a shell starts in the background without job
    control)."""
    ctrl_c = CtrlC()

    def on_ctrl_c(signum: int, frame: Any) -> None:
        # Only the first press raises: the run ends at its next case either way (`Latched`),
        # and a second one raised while the run is ending would escape before the reports.
        first = not ctrl_c.pressed
        ctrl_c.pressed = True
        if first and not ctrl_c.holding:
            signal.default_int_handler(signum, frame)

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield ctrl_c
        return
    signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield ctrl_c
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _judge(args: argparse.Namespace, token: str | None) -> int:
    """Check `--base-url` or the first profile's embedded stand-in, then write the reports."""
    from mjspec.conform import output

    with ctrl_c_remembered() as ctrl_c:
        result = _conform_args(args, token, lambda: Latched(output.ConsoleProgress(), ctrl_c))
        return _report(args, result)  # Ctrl-C held since the run ended: the reports are made


def _conform_args(
    args: argparse.Namespace, token: str | None, progress: Callable[[], Progress]
) -> Report:
    """`conform` with the command's arguments."""
    return conform(
        base_url=args.base_url,
        task_ids=args.task_ids,
        profile=args.profile or "doc",
        spec=args.spec,
        token=token,
        auth_header=args.auth_header,
        max_examples=args.max_examples,
        seed=args.seed,
        strict=args.strict,
        request_timeout=args.request_timeout,
        max_response_bytes=args.max_response_bytes,
        progress=progress,
    )
