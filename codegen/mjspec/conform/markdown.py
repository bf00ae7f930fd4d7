"""The Markdown report: a GitHub-flavoured matrix, fit for a CI job summary (pure but `write`).

Cells carry a symbol and the text of the matrix (`✅ ok (61)`, `❌ null in 23 of 61`), so the
table reads the same without colour. Failures follow, each with its curl reproduction.

Servers are hostile and their values (task ids, messages) end up here, so text goes through
`escaped` (Markdown and HTML syntax backslash-escaped: no link, image or raw HTML can be
smuggled in), code through `inline_code` and `fenced` (a fence longer than any backtick
run inside). The fleet's report (`fleet_report`) prints through the same three.
"""

from __future__ import annotations

import re
from pathlib import Path

from mjspec.conform import matrix
from mjspec.conform.report import Finding, Report, consistency_line
from mjspec.files import write_atomically

SYMBOLS = {"ok": "✅", "fail": "❌", "warn": "⚠️", "unseen": "❔", "na": "·"}
VERDICTS = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "⚠️ inconclusive"}


# Markdown and HTML syntax a value could use: links, images, raw HTML, emphasis, code, cells.
_SPECIAL = re.compile(r"[\\`*_\[\]<>|~&]")
_BACKTICKS = re.compile(r"`+")


def _line(text: str) -> str:
    return " ".join(text.splitlines())


def escaped(text: str) -> str:
    """Text shown as it is, in a table cell or anywhere: one line, every special escaped."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(), _line(text))


def inline_code(text: str, *, cell: bool = False) -> str:
    """A code span of any text; in a table `cell`, pipes are escaped (GFM does that first)."""
    text = _line(text)
    if cell:
        text = text.replace("|", "\\|")
    fence = "`" * (max(map(len, _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, *, info: str, indent: str) -> list[str]:
    """A fenced code block, every line indented (to stay inside a list item)."""
    longest = max(map(len, _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [
        f"{indent}{fence}{info}",
        *(f"{indent}{line}" for line in text.splitlines()),
        indent + fence,
    ]


def render(report: Report) -> str:
    table = matrix.build(report)
    if report.seed is None:
        rerun = "no seed, so a rerun draws other cases"
    else:
        rerun = f"seed {report.seed} ({inline_code(f'--seed {report.seed}')} reruns the same cases)"
    lines = [
        "# mjspec conform",
        "",
        f"Server {inline_code(report.base_url)}: **{escaped(table.summary)}**",
        "",
        f"{report.requests} request(s), {rerun}."
        + (" **Interrupted** (Ctrl-C): a partial run." if report.interrupted else ""),
        "",
        f"mjspec {escaped(report.tool_version)}, "
        f"spec sha256 {inline_code(report.spec_sha256 or 'unknown')}.",
        "",
        "| | " + " | ".join(inline_code(name, cell=True) for name in table.profiles) + " |",
        "|---|" + "---|" * len(table.profiles),
        "| **verdict** | "
        + " | ".join(VERDICTS[table.verdicts[name]] for name in table.profiles)
        + " |",
    ]
    for row in table.rows:
        code = row.kind in ("field", "check")
        label = inline_code(row.label, cell=True) if code else escaped(row.label)
        cells = [
            f"{SYMBOLS[row.cells[name].state]} {escaped(row.cells[name].text)}"
            for name in table.profiles
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", escaped(consistency_line(report.consistency)) + "."]
    for name, result in report.profiles.items():
        if not result.failures:
            continue
        lines += ["", f"## Failures under {inline_code(name)} ({len(result.failures)})", ""]
        for finding in result.failures:
            lines += finding_item(finding)
    return "\n".join(lines) + "\n"


def finding_item(finding: Finding) -> list[str]:
    """One finding as a list item, its reproduction fenced under it (every text escaped:
    it may come from the server)."""
    where = f" {inline_code(finding.field)}" if finding.field else ""
    lines = [f"- **{inline_code(finding.check)}**{where}: {escaped(finding.message)}"]
    if finding.reproduce:
        lines += fenced(finding.reproduce, info="sh", indent="  ")
    return lines


def write(report: Report, path: Path) -> None:
    write_atomically(path, render(report).encode("utf-8"))
