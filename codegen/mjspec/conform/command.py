"""`mjspec conform`: arguments, one call to the engine, output, exit code."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mjspec.conform.engine import DEFAULT_MAX_EXAMPLES, ConformError, Settings, run
from mjspec.conform.fields import SpecShapeError, derive_fields

DEFAULT_SPEC = Path("spec/openapi.yaml")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url",
        help="the server to check, e.g. http://127.0.0.1:8080 "
        "(default: start the reference server on a free port and check it)",
    )
    parser.add_argument("--token", help="the API key; sent as 'Authorization: Bearer <token>'")
    parser.add_argument(
        "--auth-header",
        default="Authorization",
        metavar="NAME",
        help="send the token raw in this header instead (real servers: mj-api-secret)",
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
        type=_positive,
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help=f"positive cases to generate; half as many negative ones "
        f"(default {DEFAULT_MAX_EXAMPLES})",
    )
    parser.add_argument("--seed", type=int, help="fix the random seed to rerun the same cases")
    parser.add_argument("--junit-xml", type=Path, metavar="PATH", help="write a JUnit XML report")
    parser.add_argument("--report-json", type=Path, metavar="PATH", help="write a JSON report")
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
        help=f"the OpenAPI document (default: {DEFAULT_SPEC} when it exists, "
        "else the copy shipped with mjapi)",
    )


def _error(message: str) -> int:
    print(f"mjspec conform: {message}", file=sys.stderr)
    return 2


def _load_spec(path: Path | None) -> dict[str, Any]:
    from mjspec.errors import SpecError
    from mjspec.spec import default_spec_path, load_spec

    path = path or default_spec_path()
    try:
        # Only parsed here: schemathesis validates it, and `derive_fields` checks the shape
        # the kit needs, each with its own message.
        spec = load_spec(path, check=False)
    except SpecError as exc:
        raise ConformError(f"the spec cannot be used: {exc}") from None
    try:
        derive_fields(spec)
    except SpecShapeError as exc:
        raise ConformError(f"{path}: {exc}") from None
    return spec


@contextlib.contextmanager
def _embedded_server(token: str | None) -> Iterator[tuple[str, list[str], str | None]]:
    """The reference server on a free port: (base_url, its task ids, its token or None)."""
    try:
        refserver = importlib.import_module("mjspec.refserver")
    except ImportError as exc:
        raise ConformError(
            f"the reference server (mjspec.refserver) is not available ({exc}); "
            "pass --base-url to check a running server"
        ) from None
    with refserver.serve_in_thread(token=token) as server:
        yield server.base_url, list(server.task_ids), getattr(server, "token", None)


def _check(
    args: argparse.Namespace,
    spec: dict[str, Any],
    base_url: str,
    task_ids: list[str],
    token: str | None,
) -> int:
    from mjspec.conform import output, report

    settings = Settings(
        spec=spec,
        base_url=base_url,
        task_ids=tuple(dict.fromkeys(task_ids)),
        token=token,
        auth_header=args.auth_header,
        max_examples=args.max_examples,
        seed=args.seed,
        strict=args.strict,
    )
    progress = output.ConsoleProgress()
    try:
        result = run(settings, progress=progress)
    finally:
        progress.stop()
    output.render(result, output.make_console())
    try:
        if args.report_json:
            report.write_json(result, args.report_json)
        if args.junit_xml:
            report.write_junit(result, args.junit_xml)
    except OSError as exc:
        return _error(f"cannot write the report: {exc}")
    return result.exit_code


def _unwritable(path: Path | None) -> str:
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


def _keep_hypothesis_out_of_the_working_directory() -> None:
    """Hypothesis caches in `./.hypothesis` by default; a command must not litter the user's CWD."""
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "mjspec-hypothesis")


def run_command(args: argparse.Namespace) -> int:
    """Run `mjspec conform`; returns the exit code (0 pass, 1 fail, 2 could not judge)."""
    if args.base_url is not None and not args.base_url.startswith(("http://", "https://")):
        return _error(f"--base-url must start with http:// or https://, not {args.base_url!r}")
    if args.auth_header != "Authorization" and args.token is None:
        return _error("--auth-header needs --token")
    for option, path in (("--report-json", args.report_json), ("--junit-xml", args.junit_xml)):
        problem = _unwritable(path)
        if problem:
            return _error(f"{option} {path}: {problem}")
    _keep_hypothesis_out_of_the_working_directory()
    try:
        spec = _load_spec(args.spec)
        if args.base_url is not None:
            return _check(args, spec, args.base_url, args.task_ids, args.token)
        # The embedded server enforces --token when it is sent the document's way.
        embedded_token = args.token if args.auth_header.lower() == "authorization" else None
        with _embedded_server(embedded_token) as (base_url, ids, token):
            return _check(args, spec, base_url, [*ids, *args.task_ids], args.token or token)
    except ConformError as exc:
        return _error(str(exc))
