"""Terminal output of `mjspec conform`: progress while running, then the report.

Progress goes to stderr, as a rich bar on a terminal and one plain line per
phase otherwise. The report (field table, failures with their curl lines,
warnings, verdict) goes to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from rich.box import HEAVY_HEAD
from rich.cells import cell_len
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


@dataclass(frozen=True, slots=True)
class Grid:
    """A table of the report: its title, column headers, the columns justified right, and
    rows of cells, each with whether a section ends after it.

    `print_grid` prints it as a rich `Table` would. Laying a table out, rich measures and
    renders every cell through its segments: about 25 ms for the field table, more than
    the rest of the report. Off a terminal (no colour: a pipe, a CI log, a test), a table
    whose cells are plain one-line text and that fits the width gets the same lines laid
    out here, in well under a millisecond; anything else is rich's to lay out.
    """

    title: str
    headers: tuple[str, ...]
    right: frozenset[int]
    rows: tuple[tuple[tuple[Text, ...], bool], ...]

    def table(self) -> Table:
        table = Table(title=self.title)
        for index, header in enumerate(self.headers):
            table.add_column(header, justify="right" if index in self.right else "left")
        for cells, end_section in self.rows:
            table.add_row(*cells, end_section=end_section)
        return table


def grid_lines(grid: Grid, console: Console) -> list[str] | None:
    """The lines rich prints for `grid.table()` on `console` when it has no colours, or
    None where rich's layout is needed: a cell that is not plain one-line text (a control
    character, a tab, a line break, space at either end, a mark of no width), or a table
    wider than the console, or a title wider than the table (rich wraps them)."""
    if console.color_system is not None:
        return None
    rows = [([cell.plain for cell in cells], end_section) for cells, end_section in grid.rows]
    texts = [grid.title, *grid.headers, *(value for cells, _ in rows for value in cells)]
    if not all(_plain(text) for text in texts):
        return None
    widths = [cell_len(header) for header in grid.headers]
    for cells, _ in rows:
        widths = [max(width, cell_len(value)) for width, value in zip(widths, cells, strict=True)]
    table_width = sum(widths) + 3 * len(widths) + 1
    title = cell_len(grid.title)
    if table_width > console.width or title > table_width:
        return None
    box = HEAVY_HEAD.substitute(console.options, safe=console.safe_box)
    padded = [width + 2 for width in widths]

    def line(left: str, vertical: str, right: str, values: Sequence[str]) -> str:
        cells = []
        for index, (value, width) in enumerate(zip(values, widths, strict=True)):
            space = " " * (width - cell_len(value))
            cells.append(f" {space}{value} " if index in grid.right else f" {value}{space} ")
        return left + vertical.join(cells) + right

    lines = []
    if grid.title:
        before = (table_width - title) // 2
        lines.append(" " * before + grid.title + " " * (table_width - title - before))
    lines.append(box.get_top(padded))
    lines.append(line(box.head_left, box.head_vertical, box.head_right, grid.headers))
    lines.append(box.get_row(padded, "head"))
    for number, (cells, end_section) in enumerate(rows, 1):
        lines.append(line(box.mid_left, box.mid_vertical, box.mid_right, cells))
        if end_section and number < len(rows):
            lines.append(box.get_row(padded, "row"))
    lines.append(box.get_bottom(padded))
    return lines


def _plain(text: str) -> bool:
    """Printable, no space at either end, and every character at least one cell wide
    (rich places a combining mark of no width its own way)."""
    if not text.isprintable() or text != text.strip():
        return False
    return text.isascii() or all(cell_len(character) for character in text)


def print_grid(console: Console, grid: Grid) -> None:
    lines = grid_lines(grid, console)
    if lines is None:
        console.print(grid.table())
    else:
        console.print(Text("\n".join(lines)), soft_wrap=True)


_FIELD_COLUMNS = ("field", "type", "status", "ok", "missing", "null", "wrong type", "example")


def field_grid(report: Report) -> Grid:
    title = f"Documented fields under {report.profile} ({report.tasks_checked} task(s) checked)"
    rows = []
    for result in report.fields:
        status = result.status
        counts = result.counts
        cells = (
            Text(result.path),
            Text(result.type_name),
            Text(status, style=_STATUS_STYLE[status]),
            Text(str(counts["ok"])),
            Text(str(counts["missing"])),
            Text(str(counts["null"])),
            Text(str(counts["wrong_type"])),
            Text(_example(result.example) if status in BAD_STATUSES else ""),
        )
        rows.append((cells, False))
    return Grid(title, _FIELD_COLUMNS, frozenset({3, 4, 5}), tuple(rows))


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


def matrix_grid(report: Report) -> Grid:
    """The compatibility matrix: fields and checks as rows, a column per profile."""
    from mjspec.conform import matrix

    built = matrix.build(report)
    verdicts = tuple(
        Text(built.verdicts[name].upper(), style=VERDICT_STYLE[built.verdicts[name]])
        for name in built.profiles
    )
    rows: list[tuple[tuple[Text, ...], bool]] = [
        ((Text("verdict", style="bold"), *verdicts), False)
    ]
    kind = None
    for row in built.rows:
        if kind is not None and row.kind != kind:
            rows[-1] = (rows[-1][0], True)  # a section ends before another kind of row
        kind = row.kind
        cells = [row.cells[name] for name in built.profiles]
        rows.append(
            ((Text(row.label), *(Text(c.text, style=_CELL_STYLE[c.state]) for c in cells)), False)
        )
    title = "Compatibility matrix (one set of requests, judged under each profile)"
    return Grid(title, ("", *built.profiles), frozenset(), tuple(rows))


def _render_matrix(report: Report, console: Console) -> None:
    print_grid(console, matrix_grid(report))
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
    print_grid(console, field_grid(report))
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
