"""The fleet's matrix and its reports: terminal, JSON, JUnit, Markdown, HTML (pure but `write_*`).

`build(fleet)` makes the one structure every format prints: a row per server (in the
fleet file's order), a column per profile, each cell the server's verdict under that
profile (`pass`, `fail`, `inconclusive`), the server's declared profile marked, and the
row's verdict that of its declared profile. A server with no report (unreachable, or
not started before Ctrl-C) is inconclusive under every profile, with the reason.

Server names, URLs and findings come from a file and from servers nobody trusts: the
Markdown goes through `markdown`'s escaping, the HTML through Jinja2's autoescape. No
token is ever in a report: the engine masks it in what servers echo, and curl lines
read it from the server's own environment variable (`$UPSTREAM_A_TOKEN`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mjspec.conform.fleet import Fleet, Outcome
from mjspec.conform.markdown import VERDICTS, escaped, finding_item, inline_code
from mjspec.conform.output import VERDICT_STYLE, print_finding
from mjspec.conform.report import (
    Finding,
    Verdict,
    junit_suite,
    junit_suites,
    tool_version,
    write_xml,
)
from mjspec.files import write_atomically

if TYPE_CHECKING:
    import jinja2

DECLARED = "*"
"""Marks the declared profile's cell in the terminal table."""


@dataclasses.dataclass(frozen=True, slots=True)
class FleetCell:
    verdict: Verdict
    declared: bool


@dataclasses.dataclass(frozen=True, slots=True)
class FleetRow:
    name: str
    base_url: str
    profile: str
    """The declared profile."""
    verdict: Verdict
    reason: str
    cells: dict[str, FleetCell]
    failures: list[Finding]
    deviations: list[str]
    """`buttons null in 23 of 61`, under the declared profile (a summary for humans)."""
    requests: int


@dataclasses.dataclass(frozen=True, slots=True)
class FleetMatrix:
    profiles: list[str]
    rows: list[FleetRow]
    summary: str
    """How many servers pass, fail, are inconclusive under their declared profile."""


def _row(outcome: Outcome, profiles: list[str]) -> FleetRow:
    server = outcome.server
    report = outcome.report
    cells: dict[str, FleetCell] = {}
    for name in profiles:
        result = report.profiles.get(name) if report is not None else None
        verdict: Verdict = result.verdict if result is not None else "inconclusive"
        cells[name] = FleetCell(verdict, declared=name == server.profile)
    declared = outcome.result
    return FleetRow(
        name=server.name,
        base_url=server.base_url,
        profile=server.profile,
        verdict=outcome.verdict,
        reason=outcome.reason,
        cells=cells,
        failures=outcome.failures,
        deviations=declared.deviations() if declared is not None else [],
        requests=report.requests if report is not None else 0,
    )


def build(fleet: Fleet) -> FleetMatrix:
    rows = [_row(outcome, fleet.profiles) for outcome in fleet.outcomes]
    counts = {v: sum(r.verdict == v for r in rows) for v in ("pass", "fail", "inconclusive")}
    summary = (
        f"{counts['pass']} of {len(rows)} server(s) pass their declared profile"
        f", {counts['fail']} fail, {counts['inconclusive']} inconclusive"
    )
    return FleetMatrix(profiles=list(fleet.profiles), rows=rows, summary=summary)


# -- JSON ---------------------------------------------------------------------------------


def as_dict(fleet: Fleet) -> dict[str, Any]:
    """`servers: {name: {"verdict", "profile", "failures", "fields", "profiles", ...}}`."""
    built = build(fleet)
    servers: dict[str, Any] = {}
    for outcome, row in zip(fleet.outcomes, built.rows, strict=True):
        report = outcome.report
        declared = outcome.result
        servers[row.name] = {
            "verdict": row.verdict,
            "profile": row.profile,
            "reason": row.reason,
            "base_url": row.base_url,
            "failures": [f.as_dict() for f in row.failures],
            "warnings": [w.as_dict() for w in declared.warnings] if declared else [],
            "fields": {f.path: f.status for f in declared.fields} if declared else {},
            "profiles": {name: cell.verdict for name, cell in row.cells.items()},
            "requests": row.requests,
            "seed": report.seed if report is not None else None,
            "duration_seconds": round(report.duration, 3) if report is not None else 0,
            "interrupted": report.interrupted if report is not None else fleet.interrupted,
        }
    return {
        "tool": "mjspec",
        "tool_version": tool_version(),
        "spec_sha256": fleet.spec_sha256,
        "interrupted": fleet.interrupted,
        "strict": fleet.strict,
        "exit_code": fleet.exit_code,
        "duration_seconds": round(fleet.duration, 3),
        "summary": built.summary,
        "profiles": list(fleet.profiles),
        "servers": servers,
    }


def write_json(fleet: Fleet, path: Path) -> None:
    text = json.dumps(as_dict(fleet), indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text.encode("utf-8"))


# -- JUnit: a test suite per server, judged under its declared profile --------------------


def junit(fleet: Fleet) -> ET.ElementTree[ET.Element]:
    root = ET.Element("testsuites", name="mjspec conform --fleet")
    for outcome in fleet.outcomes:
        name = f"mjspec conform [{outcome.server.name}]"
        report = outcome.report
        if report is None:
            suite = ET.SubElement(root, "testsuite", name=name, tests="1", failures="0")
            suite.set("errors", "0")
            suite.set("skipped", "1")
            case = ET.SubElement(
                suite, "testcase", classname=f"mjspec.fleet.{outcome.server.name}", name="verdict"
            )
            ET.SubElement(case, "skipped", message=outcome.reason)
            continue
        root.append(junit_suite(report, report.profiles[outcome.server.profile], name))
    return junit_suites(root)


def write_junit(fleet: Fleet, path: Path) -> None:
    write_xml(junit(fleet), path)


# -- terminal -----------------------------------------------------------------------------


def render(fleet: Fleet, console: Console) -> None:
    built = build(fleet)
    table = Table(
        title=f"Fleet: servers against profiles ({DECLARED} the profile each server declares)"
    )
    table.add_column("server")
    table.add_column("verdict")
    for name in built.profiles:
        table.add_column(Text(name))
    for row in built.rows:
        cells = [
            Text(
                f"{c.verdict}{DECLARED if c.declared else ''}",
                style=VERDICT_STYLE[c.verdict]
                if c.declared
                else VERDICT_STYLE[c.verdict].split()[-1],
            )
            for c in (row.cells[name] for name in built.profiles)
        ]
        # Text, not a str: rich would read a name's `[...]` as markup (`upstream[eu]`)
        table.add_row(
            Text(row.name), Text(row.verdict.upper(), style=VERDICT_STYLE[row.verdict]), *cells
        )
    console.print(table)
    for row in built.rows:
        if row.verdict == "pass":
            continue
        what = ", ".join(row.deviations[:4]) or row.reason
        console.print(
            Text.assemble(
                f"{row.name} ({row.base_url}, {row.profile}): ",
                Text(row.verdict.upper(), style=VERDICT_STYLE[row.verdict]),
                f" - {row.reason}" + (f": {what}" if row.verdict == "fail" else ""),
            ),
            soft_wrap=True,
        )
        for index, finding in enumerate(row.failures, 1):
            print_finding(console, index, finding, "red")
    console.print()
    console.print(
        Text(
            f"{sum(r.requests for r in built.rows)} request(s) in {fleet.duration:.1f}s",
            style="dim",
        )
    )
    if fleet.interrupted:
        console.print(Text("Interrupted (Ctrl-C): a partial fleet run", style="bold yellow"))
    console.print(Text(f"Summary: {built.summary}", style="bold"), soft_wrap=True)


# -- Markdown -----------------------------------------------------------------------------


def markdown(fleet: Fleet) -> str:
    built = build(fleet)
    lines = [
        "# mjspec conform --fleet",
        "",
        f"**{escaped(built.summary)}**"
        + (" **Interrupted** (Ctrl-C): a partial run." if fleet.interrupted else ""),
        "",
        f"mjspec {escaped(tool_version())}, "
        f"spec sha256 {inline_code(fleet.spec_sha256 or 'unknown')}; "
        "(declared) marks the profile each server declares.",
        "",
        "| server | verdict | "
        + " | ".join(inline_code(n, cell=True) for n in built.profiles)
        + " |",
        "|---|---|" + "---|" * len(built.profiles),
    ]
    for row in built.rows:
        cells = [
            f"**{VERDICTS[c.verdict]} (declared)**" if c.declared else VERDICTS[c.verdict]
            for c in (row.cells[name] for name in built.profiles)
        ]
        lines.append(
            f"| {inline_code(row.name, cell=True)} | {VERDICTS[row.verdict]} | "
            + " | ".join(cells)
            + " |"
        )
    for row in built.rows:
        if row.verdict == "pass":
            continue
        lines += [
            "",
            f"## {inline_code(row.name)}: {row.verdict} under {inline_code(row.profile)}",
            "",
            f"{inline_code(row.base_url)}: {escaped(row.reason)}",
        ]
        if row.failures:
            lines.append("")
        for finding in row.failures:
            lines += finding_item(finding)
    return "\n".join(lines) + "\n"


def write_markdown(fleet: Fleet, path: Path) -> None:
    write_atomically(path, markdown(fleet).encode("utf-8"))


# -- HTML ---------------------------------------------------------------------------------


def html(fleet: Fleet) -> str:
    return _template().render(
        matrix=build(fleet),
        fleet=fleet,
        version=tool_version(),
        marks={"pass": "✓", "fail": "✗", "inconclusive": "?"},
    )


def write_html(fleet: Fleet, path: Path) -> None:
    write_atomically(path, html(fleet).encode("utf-8"))


_BODY = """\
<title>mjspec conform --fleet</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; margin: 0 auto; padding: 1.5rem; max-width: 90rem; }
code, pre { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem;
  white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .3rem .55rem; text-align: left; }
thead th { background: #f6f8fa; }
.pass { background: #dafbe1; }
.fail { background: #ffebe9; color: #82071e; font-weight: 600; }
.inconclusive { background: #fff8c5; color: #4d2d00; }
.declared { outline: 2px solid #1f2328; outline-offset: -3px; font-weight: 700; }
.reason { color: #57606a; }
</style>
</head>
<body>
<h1>mjspec conform --fleet</h1>
<p><strong>{{ matrix.summary }}</strong>{% if fleet.interrupted %} \
<strong>Interrupted</strong> (Ctrl-C): a partial run.{% endif %}</p>
<p class="reason">mjspec {{ version }}, spec sha256 <code>{{ fleet.spec_sha256 or "unknown" }}\
</code>; a framed cell is the profile the server declares.</p>
<table>
<thead><tr><th scope="col">Server</th><th scope="col">Verdict</th>
{% for name in matrix.profiles %}<th scope="col">{{ name }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in matrix.rows %}
<tr><th scope="row"><code>{{ row.name }}</code><br><span class="reason">{{ row.base_url }}\
</span></th>
<td class="{{ row.verdict }}">{{ marks[row.verdict] }} {{ row.verdict }}</td>
{% for name in matrix.profiles %}{% set cell = row.cells[name] %}
<td class="{{ cell.verdict }}{% if cell.declared %} declared{% endif %}">\
{{ marks[cell.verdict] }} {{ cell.verdict }}{% if cell.declared %} (declared){% endif %}</td>
{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
{% for row in matrix.rows if row.verdict != "pass" %}
<section>
<h2><code>{{ row.name }}</code>: {{ row.verdict }} under {{ row.profile }}</h2>
<p class="reason">{{ row.base_url }}: {{ row.reason }}</p>
{% if row.failures %}
<ol>
{% for item in row.failures %}
<li><p><strong>{{ item.check }}</strong>{% if item.field %} at <code>{{ item.field }}</code>\
{% endif %}: {{ item.message }}</p>
{% if item.reproduce %}<pre><code>{{ item.reproduce }}</code></pre>{% endif %}</li>
{% endfor %}
</ol>
{% endif %}
</section>
{% endfor %}
</body>
</html>
"""


@functools.cache
def _template() -> jinja2.Template:
    """The page's template, compiled when a page is first asked for (Jinja2 is imported then,
    as for the single run's page: a fleet without `--report-html` does without it)."""
    from mjspec.conform.html import HEAD, template

    return template(HEAD + _BODY)
