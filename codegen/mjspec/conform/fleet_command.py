"""`mjspec conform --fleet FILE.toml`: check the file, run the fleet, print, pick the exit code.

Exit codes: 0 when every server passes its declared profile, 1 when any fails it, else 2
when any is inconclusive (unreachable, authentication refused, nothing to judge), 2 for a
mistake in the arguments or the fleet file (one line, before any request), 130 on Ctrl-C
(the reports are still written, with what was found).
"""

from __future__ import annotations

import argparse
import os
import sys

from mjspec.conform.command import (
    Writers,
    hypothesis_home_outside_the_working_directory,
    load_contract,
    unwritable_report,
    usage_error,
    write_reports,
)
from mjspec.conform.fleet import (
    DEFAULT_CONCURRENCY,
    Fleet,
    FleetOptions,
    Outcome,
    load_fleet,
    run_fleet,
    tokens,
)
from mjspec.errors import ConformError, UsageError

# What each server of the fleet file gives for itself.
EXCLUSIVE = (
    ("--base-url", "base_url"),
    ("--task-id", "task_ids"),
    ("--token", "token"),
    ("--profile", "profile"),
    ("--auth-header", "auth_header"),
)


def _announce(outcome: Outcome, done: int, total: int) -> None:
    print(
        f"mjspec conform: {outcome.server.name}: {outcome.verdict} ({done}/{total})",
        file=sys.stderr,
        flush=True,
    )


def run_fleet_command(args: argparse.Namespace) -> int:
    for option, name in EXCLUSIVE:
        if getattr(args, name):
            return usage_error(
                f"--fleet cannot be combined with {option}: each [[server]] of the fleet "
                "file gives its own (base_url, task_ids, token_env, profile, auth_header)"
            )
    problem = unwritable_report(args)
    if problem:
        return usage_error(problem)
    options = FleetOptions(
        concurrency=args.fleet_concurrency or DEFAULT_CONCURRENCY,
        processes=args.fleet_processes,  # None: one per core (`fleet.FleetOptions`)
        max_examples=args.max_examples,
        seed=args.seed,
        strict=args.strict,
        request_timeout=args.request_timeout,
        max_response_bytes=args.max_response_bytes,
    )
    with hypothesis_home_outside_the_working_directory():
        try:
            contract = load_contract(args.spec, "all")
            servers = load_fleet(args.fleet, [p.name for p in contract.profiles])
            keys = tokens(servers, os.environ, args.fleet.as_posix())
        except (ConformError, UsageError) as exc:
            return usage_error(str(exc))
        result = run_fleet(servers, keys, contract, options, done=_announce)
    return _report(args, result)


def _report(args: argparse.Namespace, fleet: Fleet) -> int:
    from mjspec.conform import fleet_report, output

    fleet_report.render(fleet, output.make_console())
    writers: Writers = {
        "report_json": lambda path: fleet_report.write_json(fleet, path),
        "junit_xml": lambda path: fleet_report.write_junit(fleet, path),
        "report_markdown": lambda path: fleet_report.write_markdown(fleet, path),
        "report_html": lambda path: fleet_report.write_html(fleet, path),
    }
    return write_reports(
        args, writers, interrupted_run=fleet.interrupted, exit_code=fleet.exit_code
    )
