"""The Markdown report: a GitHub-flavoured matrix, fit for a CI job summary (pure but `write`).

Cells carry a symbol and the text of the matrix (`✅ ok (61)`, `❌ null in 23 of 61`), so the
table reads the same without colour. Failures follow, each with its curl reproduction.
"""

from __future__ import annotations

from pathlib import Path

from mjspec.conform import matrix
from mjspec.conform.report import Report, write_atomically

SYMBOLS = {"ok": "✅", "fail": "❌", "warn": "⚠️", "unseen": "❔", "na": "·"}
VERDICTS = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "⚠️ inconclusive"}


def _escape(text: str) -> str:
    """Text safe inside a table cell: pipes escaped, no line breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render(report: Report) -> str:
    table = matrix.build(report)
    lines = [
        "# mjspec conform",
        "",
        f"Server `{report.base_url}`: **{_escape(table.summary)}**",
        "",
        f"{report.requests} request(s), seed {report.seed} (`--seed {report.seed}` reruns "
        "the same cases).",
        "",
        "| | " + " | ".join(f"`{name}`" for name in table.profiles) + " |",
        "|---|" + "---|" * len(table.profiles),
        "| **verdict** | "
        + " | ".join(VERDICTS[table.verdicts[name]] for name in table.profiles)
        + " |",
    ]
    for row in table.rows:
        label = f"`{_escape(row.label)}`" if row.kind == "field" else _escape(row.label)
        cells = [
            f"{SYMBOLS[row.cells[name].state]} {_escape(row.cells[name].text)}"
            for name in table.profiles
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for name, result in report.profiles.items():
        if not result.failures:
            continue
        lines += ["", f"## Failures under `{name}` ({len(result.failures)})", ""]
        for finding in result.failures:
            where = f" `{finding.field}`" if finding.field else ""
            lines.append(f"- **{finding.check}**{where}: {_escape(finding.message)}")
            if finding.reproduce:
                lines.append(f"  ```sh\n  {finding.reproduce}\n  ```")
    return "\n".join(lines) + "\n"


def write(report: Report, path: Path) -> None:
    write_atomically(path, render(report).encode("utf-8"))
