"""The Markdown report: a GitHub-flavoured matrix, fit for a CI job summary (pure but `write`).

Cells carry a symbol and the text of the matrix (`✅ ok (61)`, `❌ null in 23 of 61`), so the
table reads the same without colour. Failures follow, each with its curl reproduction.

Servers are hostile and their values (task ids, messages) end up here, so text goes through
`_text` (Markdown and HTML syntax backslash-escaped: no link, image or raw HTML can be
smuggled in), code through `_code` and `_fence` (a fence longer than any backtick run inside).
"""

from __future__ import annotations

import re
from pathlib import Path

from mjspec.conform import matrix
from mjspec.conform.report import Report, consistency_line, write_atomically

SYMBOLS = {"ok": "✅", "fail": "❌", "warn": "⚠️", "unseen": "❔", "na": "·"}
VERDICTS = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "⚠️ inconclusive"}


# Markdown and HTML syntax a value could use: links, images, raw HTML, emphasis, code, cells.
_SPECIAL = re.compile(r"[\\`*_\[\]<>|~&]")
_BACKTICKS = re.compile(r"`+")


def _line(text: str) -> str:
    return " ".join(text.splitlines())


def _text(text: str) -> str:
    """Text shown as it is, in a table cell or anywhere: one line, every special escaped."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(), _line(text))


def _code(text: str, *, cell: bool = False) -> str:
    """A code span of any text; in a table `cell`, pipes are escaped (GFM does that first)."""
    text = _line(text)
    if cell:
        text = text.replace("|", "\\|")
    fence = "`" * (max(map(len, _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fence(text: str, *, info: str, indent: str) -> list[str]:
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
        rerun = f"seed {report.seed} ({_code(f'--seed {report.seed}')} reruns the same cases)"
    lines = [
        "# mjspec conform",
        "",
        f"Server {_code(report.base_url)}: **{_text(table.summary)}**",
        "",
        f"{report.requests} request(s), {rerun}."
        + (" **Interrupted** (Ctrl-C): a partial run." if report.interrupted else ""),
        "",
        f"mjspec {_text(report.tool_version)}, "
        f"spec sha256 {_code(report.spec_sha256 or 'unknown')}.",
        "",
        "| | " + " | ".join(_code(name, cell=True) for name in table.profiles) + " |",
        "|---|" + "---|" * len(table.profiles),
        "| **verdict** | "
        + " | ".join(VERDICTS[table.verdicts[name]] for name in table.profiles)
        + " |",
    ]
    for row in table.rows:
        code = row.kind in ("field", "check")
        label = _code(row.label, cell=True) if code else _text(row.label)
        cells = [
            f"{SYMBOLS[row.cells[name].state]} {_text(row.cells[name].text)}"
            for name in table.profiles
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", _text(consistency_line(report.consistency)) + "."]
    for name, result in report.profiles.items():
        if not result.failures:
            continue
        lines += ["", f"## Failures under {_code(name)} ({len(result.failures)})", ""]
        for finding in result.failures:
            where = f" {_code(finding.field)}" if finding.field else ""
            lines.append(f"- **{_code(finding.check)}**{where}: {_text(finding.message)}")
            if finding.reproduce:
                lines += _fence(finding.reproduce, info="sh", indent="  ")
    return "\n".join(lines) + "\n"


def write(report: Report, path: Path) -> None:
    write_atomically(path, render(report).encode("utf-8"))
