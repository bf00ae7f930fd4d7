"""Terminal output of `mjspec conform`: progress while running, then the report.

Progress goes to stderr, as a rich bar on a terminal and one plain line per
phase otherwise. The report (field table, failures with their curl lines,
warnings, verdict) goes to stdout.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from mjspec.conform.report import BAD_STATUSES, Finding, Report, consistency_line

_STATUS_STYLE = {
    "ok": "green",
    "absent": "green",
    "unseen": "yellow",
    "missing": "bold red",
    "null": "bold red",
    "wrong_type": "bold red",
}
VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "inconclusive": "bold yellow"}


def make_console(file: IO[str] | None = None) -> Console:
    stream = file or sys.stdout
    terminal = stream.isatty()
    # Off a terminal, a wide fixed width keeps the table and curl lines unbroken. What is
    # printed comes from servers too: no string is read as markup (`[/bold]` in a value
    # would be a markup error) or emoji codes; styles are given as Text only.
    return Console(
        file=stream,
        width=None if terminal else 160,
        highlight=False,
        markup=False,
        emoji=False,
    )


class ConsoleProgress:
    """Implements `engine.Progress`."""

    def __init__(self, file: IO[str] | None = None) -> None:
        self._file = file or sys.stderr
        self._bar: Progress | None = None
        self._task: Any = None
        if self._file.isatty():
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self._file),
                transient=True,
            )
            self._bar.start()

    def start(self, phase: str, total: int | None) -> None:
        if self._bar is None:
            print(f"mjspec conform: {phase}...", file=self._file, flush=True)
            return
        if self._task is not None:
            self._bar.update(self._task, visible=False)
        self._task = self._bar.add_task(phase, total=total)

    def advance(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _example(example: Any) -> str:
    if not isinstance(example, dict):
        return ""
    task = json.dumps(example.get("task"), ensure_ascii=False)
    if "value" not in example:
        shown = f"{example.get('location')} absent (task {task})"
    else:
        value = json.dumps(example["value"], ensure_ascii=False)
        shown = f"{example.get('location')} = {value} (task {task})"
    return shown if len(shown) <= 70 else shown[:67] + "..."


def field_table(report: Report) -> Table:
    title = f"Documented fields under {report.profile} ({report.tasks_checked} task(s) checked)"
    table = Table(title=title)
    for column in ("field", "type", "status", "ok", "missing", "null", "wrong type", "example"):
        table.add_column(column, justify="right" if column in {"ok", "missing", "null"} else "left")
    for result in report.fields:
        status = result.status
        counts = result.counts
        table.add_row(
            result.path,
            result.type_name,
            Text(status, style=_STATUS_STYLE[status]),
            str(counts["ok"]),
            str(counts["missing"]),
            str(counts["null"]),
            str(counts["wrong_type"]),
            _example(result.example) if status in BAD_STATUSES else "",
        )
    return table


SHORT_REPRODUCTION = 400
"""Longer curl lines are shortened in the terminal; reports keep them whole."""


def shorten(command: str, limit: int = SHORT_REPRODUCTION) -> str:
    if len(command) <= limit:
        return command
    return (
        f"{command[: limit - 100]} ... ({len(command)} characters in all; the whole command is "
        "in the --report-json, --report-markdown and --report-html reports)"
    )


def print_finding(console: Console, index: int, finding: Finding, label: str) -> None:
    where = f" {finding.field}" if finding.field else ""
    console.print(Text(f"{index}. [{finding.check}]{where}", style=label))
    console.print(Text(f"   {finding.message}"), soft_wrap=True)
    # A finding over two answers carries two requests, each line its own command or comment.
    for line in (finding.reproduce or "").splitlines():
        console.print(Text(f"   {shorten(line)}", style="dim"), soft_wrap=True)


_CELL_STYLE = {
    "ok": "green",
    "fail": "bold red",
    "warn": "yellow",
    "unseen": "dim",
    "na": "dim",
}


def matrix_table(report: Report) -> Table:
    """The compatibility matrix: fields and checks as rows, a column per profile."""
    from mjspec.conform import matrix

    built = matrix.build(report)
    table = Table(title="Compatibility matrix (one set of requests, judged under each profile)")
    table.add_column("")
    for name in built.profiles:
        table.add_column(name)
    table.add_row(
        Text("verdict", style="bold"),
        *(
            Text(built.verdicts[name].upper(), style=VERDICT_STYLE[built.verdicts[name]])
            for name in built.profiles
        ),
    )
    kind = None
    for row in built.rows:
        if kind is not None and row.kind != kind:
            table.add_section()
        kind = row.kind
        cells = [row.cells[name] for name in built.profiles]
        table.add_row(row.label, *(Text(c.text, style=_CELL_STYLE[c.state]) for c in cells))
    return table


def _render_matrix(report: Report, console: Console) -> None:
    console.print(matrix_table(report))
    console.print(Text(consistency_line(report.consistency), style="dim"))
    for name, result in report.profiles.items():
        if not result.failures:
            continue
        console.print()
        console.print(Text(f"Failures under {name} ({len(result.failures)})", style="bold red"))
        for index, finding in enumerate(result.failures, 1):
            print_finding(console, index, finding, "red")
    console.print()
    console.print(
        Text(
            f"{report.requests} request(s) in {report.duration:.1f}s, seed {report.seed} "
            f"(--seed {report.seed} reruns the same cases)",
            style="dim",
        )
    )
    for name, result in report.profiles.items():
        verdict = Text(result.verdict.upper(), style=VERDICT_STYLE[result.verdict])
        console.print(Text.assemble(f"{name}: ", verdict, f" - {result.reason}"), soft_wrap=True)
    console.print(Text(f"Summary: {report.summary()}", style="bold"), soft_wrap=True)


def render(report: Report, console: Console) -> None:
    if len(report.profiles) > 1:
        _render_matrix(report, console)
        return
    console.print(field_table(report))
    console.print(Text(consistency_line(report.consistency), style="dim"))
    if report.failures:
        console.print()
        console.print(Text(f"Failures ({len(report.failures)})", style="bold red"))
        for index, finding in enumerate(report.failures, 1):
            print_finding(console, index, finding, "red")
    if report.warnings:
        console.print()
        title = "Warnings (outside the documented contract"
        title += "; failures under --strict)" if report.strict else "; --strict fails on them)"
        console.print(Text(f"{title} ({len(report.warnings)})", style="bold yellow"))
        for index, finding in enumerate(report.warnings, 1):
            print_finding(console, index, finding, "yellow")
    console.print()
    console.print(
        Text(
            f"{report.requests} request(s) in {report.duration:.1f}s, seed {report.seed} "
            f"(--seed {report.seed} reruns the same cases)",
            style="dim",
        )
    )
    verdict = Text(report.verdict.upper(), style=VERDICT_STYLE[report.verdict])
    console.print(Text.assemble("Verdict: ", verdict, f" - {report.reason}"), soft_wrap=True)
