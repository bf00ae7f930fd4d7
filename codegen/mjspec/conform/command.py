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
from mjspec.profiles import Profile

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
    parser.add_argument(
        "--token", help="the API key, sent the profile's way (doc: 'Authorization: Bearer <token>')"
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
        default="doc",
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
        help=f"the OpenAPI document (default: {DEFAULT_SPEC} when it exists, "
        "else the copy shipped with mjapi)",
    )


def _error(message: str) -> int:
    print(f"mjspec conform: {message}", file=sys.stderr)
    return 2


def _load_profiles(path: Path | None, wanted: str) -> tuple[dict[str, Any], list[Profile]]:
    """The spec and the profiles to judge under (`all`: every profile, doc first)."""
    from mjspec.errors import SpecError, UsageError
    from mjspec.profiles import load_profiles, select
    from mjspec.spec import default_spec_path, load_spec

    path = path or default_spec_path()
    try:
        # Only parsed here: schemathesis validates it, and `derive_fields` checks the shape
        # the kit needs, each with its own message.
        spec = load_spec(path, check=False)
        chosen = select(load_profiles(path, spec, check=False), wanted)
    except SpecError as exc:
        raise ConformError(f"the spec cannot be used: {exc}") from None
    except UsageError as exc:
        raise ConformError(f"--profile: {exc}") from None
    for profile in chosen:
        try:
            derive_fields(profile.document)
        except SpecShapeError as exc:
            raise ConformError(f"{profile.source}: {exc}") from None
    return spec, chosen


@contextlib.contextmanager
def _embedded_server(
    token: str | None, profile: str
) -> Iterator[tuple[str, list[str], str | None]]:
    """The reference server on a free port: (base_url, its task ids, its token or None)."""
    try:
        refserver = importlib.import_module("mjspec.refserver")
    except ImportError as exc:
        raise ConformError(
            f"the reference server (mjspec.refserver) is not available ({exc}); "
            "pass --base-url to check a running server"
        ) from None
    with refserver.serve_in_thread(token=token, profile=profile) as server:
        yield server.base_url, list(server.task_ids), getattr(server, "token", None)


def _check(
    args: argparse.Namespace,
    spec: dict[str, Any],
    profiles: list[Profile],
    base_url: str,
    task_ids: list[str],
    token: str | None,
) -> int:
    from mjspec.conform import markdown, output, report

    settings = Settings(
        spec=spec,
        base_url=base_url,
        task_ids=tuple(dict.fromkeys(task_ids)),
        token=token,
        auth_header=args.auth_header,
        profiles=tuple(profiles),
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
        if args.report_markdown:
            markdown.write(result, args.report_markdown)
        if args.report_html:
            from mjspec.conform.html import write as write_html

            write_html(result, args.report_html)
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
    if args.auth_header is not None and args.token is None:
        return _error("--auth-header needs --token")
    reports = (
        ("--report-json", args.report_json),
        ("--junit-xml", args.junit_xml),
        ("--report-markdown", args.report_markdown),
        ("--report-html", args.report_html),
    )
    for option, path in reports:
        problem = _unwritable(path)
        if problem:
            return _error(f"{option} {path}: {problem}")
    _keep_hypothesis_out_of_the_working_directory()
    try:
        spec, profiles = _load_profiles(args.spec, args.profile)
        if args.base_url is not None:
            return _check(args, spec, profiles, args.base_url, args.task_ids, args.token)
        # The embedded server is the first profile's stand-in; it enforces --token.
        with _embedded_server(args.token, profiles[0].name) as (base_url, ids, token):
            task_ids = [*ids, *args.task_ids]
            return _check(args, spec, profiles, base_url, task_ids, args.token or token)
    except ConformError as exc:
        return _error(str(exc))
