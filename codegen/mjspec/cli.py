"""The `mjspec` command: parse arguments, call one function, print, pick the exit code."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from mjspec.errors import MjspecError
from mjspec.errors import message as error_line


class _Parser(argparse.ArgumentParser):
    """Argument mistakes are one line (`mjspec conform: error: ...`) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{error_line(f'{message} (see {self.prog} --help)')}\n")


class _Version(argparse.Action):
    """`--version`, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        from mjspec.conform.report import tool_version

        sys.stdout.write(f"mjspec {tool_version()}\n")
        parser.exit()


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser; the conformance kit's options are added only when `conform` may run.

    Importing the kit (schemathesis, hypothesis, requests) costs more than a cached
    `mjspec generate`, so a command line without the word `conform` does without it.
    """
    parser = _Parser(
        prog="mjspec",
        description="Spec-driven code generator and conformance kit for "
        "POST /mj/task/list-by-condition.",
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    gen = commands.add_parser("generate", help="render generated/ from the spec")
    gen.add_argument("--spec", type=Path, default=Path("spec/openapi.yaml"), help="%(default)s")
    gen.add_argument("--output", type=Path, default=Path("generated"), help="%(default)s")
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when the output is not current",
    )
    gen.add_argument(
        "--package-name",
        default="mjapi",
        metavar="NAME",
        help="the package to generate, a top-level Python identifier (%(default)s); "
        "its distribution is NAME with - for _",
    )
    gen.add_argument(
        "--default-profile",
        default="doc",
        metavar="NAME",
        help="the profile a client gets when none is named (%(default)s); "
        "every profile is generated",
    )
    gen.add_argument(
        "--package-only",
        action="store_true",
        help="write and check the package alone, without the pyproject.toml and README.md "
        "that make the output directory a distribution (for a project's own source tree)",
    )
    gen.set_defaults(handler=_generate)

    profiles = commands.add_parser(
        "profiles", help="list the profiles (server families) and how each differs from doc"
    )
    profiles.add_argument(
        "--spec",
        type=Path,
        default=None,
        help="spec/openapi.yaml when it exists, else the copy shipped with mjapi",
    )
    profiles.set_defaults(handler=_profiles)

    serve = commands.add_parser(
        "serve", help="run the reference server, or a server family's stand-in (--profile)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="%(default)s")
    # checked by `serve` (one line, exit 2), not by argparse (a usage block)
    serve.add_argument("--port", default="8080", help="%(default)s; 0 for any free port")
    serve.add_argument(
        "--token", help="require the token, sent the profile's way (doc: `Authorization: Bearer`)"
    )
    serve.add_argument(
        "--tasks", type=Path, metavar="FILE", help="serve the tasks of a JSON file, as they are"
    )
    serve.add_argument(
        "--profile",
        default="doc",
        metavar="NAME",
        help="serve as this implementation family does (doc, new-api, midjourney-proxy-java, "
        "midjourney-proxy-csharp; default %(default)s)",
    )
    serve.add_argument(
        "--dump-tasks",
        action="store_true",
        help="print the JSON array of the tasks as served, and exit",
    )
    serve.set_defaults(handler=_serve)

    record = commands.add_parser("record", help="keep a server's answer as a tasks file")
    record.add_argument("--base-url", required=True, help="the server, e.g. http://127.0.0.1:8080")
    record.add_argument("--token", help="the API key, sent the profile's way")
    record.add_argument("--auth-header", metavar="NAME", help="send the token raw in this header")
    record.add_argument(
        "--profile", default="doc", metavar="NAME", help="whose way to send the token (%(default)s)"
    )
    record.add_argument(
        "--task-id",
        action="append",
        required=True,
        metavar="ID",
        dest="task_ids",
        help="an id to ask for (repeat it)",
    )
    record.add_argument("--output", type=Path, required=True, metavar="FILE", help="the file")
    record.set_defaults(handler=_record)

    conform = commands.add_parser(
        "conform", help="check a server against the spec (default: the reference server)"
    )
    if "conform" in argv:
        from mjspec.conform.command import add_arguments, run_command

        add_arguments(conform)
        conform.set_defaults(handler=run_command)
    return parser


def _generate(args: argparse.Namespace) -> int:
    from mjspec.generate.modelgen import Models

    # A cold render spends most of its time importing datamodel-code-generator: its worker
    # starts first, while the rest is imported, the cache looked up and the spec read (a
    # hit stops it unused). No spec file, nothing to render: the error comes at once.
    with Models(worker=None if os.path.isfile(args.spec) else False) as models:
        from mjspec.generate import generate

        outcome = generate(
            args.spec,
            args.output,
            check=args.check,
            package=args.package_name,
            default_profile=args.default_profile,
            package_only=args.package_only,
            models=models,
        )
    where = outcome.output.as_posix()
    if not outcome.diffs:
        print(f"{where} is current ({len(outcome.files)} files)")
        return 0
    if args.check:
        sys.stdout.write("".join(outcome.diffs))
        print(f"{where} is out of date ({len(outcome.diffs)} files differ): run `mjspec generate`")
        return 1
    print(f"wrote {where} ({len(outcome.diffs)} of {len(outcome.files)} files changed)")
    return 0


def _profiles(args: argparse.Namespace) -> int:
    from mjspec.profiles import load_profiles, summary
    from mjspec.spec import default_spec_path

    print(summary(load_profiles(args.spec or default_spec_path())))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from mjspec.profiles import profile_file
    from mjspec.spec import packaged_spec_path

    profile_file(packaged_spec_path(), args.profile)  # a typo is named before the server loads
    from mjspec.serve.refserver import dump_tasks, serve

    if args.dump_tasks:
        sys.stdout.buffer.write(dump_tasks(args.tasks, args.profile) + b"\n")
        return 0
    serve(args.host, args.port, args.tasks, args.token, args.profile)
    return 0


def _record(args: argparse.Namespace) -> int:
    from mjspec.serve.record import record

    outcome = record(
        args.base_url,
        args.task_ids,
        args.output,
        token=args.token,
        auth_header=args.auth_header,
        profile=args.profile,
    )
    print(outcome.summary())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    args = _parser(argv).parse_args(argv)
    try:
        code: int = args.handler(args)
    except MjspecError as exc:
        print(error_line(exc), file=sys.stderr)
        return 2
    return code


def entry() -> NoReturn:
    """The `mjspec` command: `main`, and the process's exit status.

    For every command, a closed stdout (`| head`) ends it quietly and Ctrl-C with one line
    and 130, never a traceback (`conform` reports what it found first). `mjspec generate`
    is also a one-shot process (`collector.one_shot`: no cyclic garbage collection) that ends
    without the interpreter's teardown, as mypy does: the run imported two large tools,
    unloading them takes a noticeable part of a cold run, and the files are written and
    closed by then (`write.write_tree` leaves the output as it was or wholly new). Every
    other command collects garbage less often (`collector.few_collections`).
    """
    from mjspec.collector import few_collections, one_shot

    argv = sys.argv[1:]
    generating = argv[:1] == ["generate"]
    if generating:
        one_shot()
    else:
        few_collections()
    try:
        code = main(argv)
    except BrokenPipeError:
        code = 1  # the reader is gone: nothing left to say
        with contextlib.suppress(OSError):  # and nothing more to flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except KeyboardInterrupt:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"{error_line('interrupted')}\n")
        code = 130
    if not generating:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
