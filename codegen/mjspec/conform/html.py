"""The HTML report: one self-contained page for `--report-html` (pure but `write`).

The page loads nothing: no script, no external stylesheet, font or image, and a
Content-Security-Policy that forbids them should a browser ever be tricked into
trying. It opens from disk as it is. Every value is HTML-escaped by Jinja2's
autoescape (`StrictUndefined`, no `|safe` anywhere): servers are hostile, and their
task ids, field values and messages end up here.

The page shows what the Markdown report shows (the matrix of `matrix.build`, so
both always agree), plus each profile's field counts and examples and its warnings,
folded in `<details>`. A cell's state is given by a symbol and a hidden word as well
as by its colour.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jinja2

from mjspec.conform import matrix
from mjspec.conform.report import (
    BAD_STATUSES,
    FieldResult,
    Finding,
    Report,
    consistency_line,
)
from mjspec.files import write_atomically

COUNTS = ("ok", "absent", "missing", "null", "wrong_type")
KINDS: dict[str, str] = {
    "field": "Fields",
    "auth": "Ways of sending the token",
    "media": "Request media types",
    "check": "Checks",
}
MARKS = {"ok": "✓", "fail": "✗", "warn": "!", "unseen": "?", "na": "·"}
WORDS = {"ok": "ok", "fail": "fail", "warn": "warning", "unseen": "unseen", "na": "not applicable"}
CLIP = 200
"""Longest example value shown, in characters (a server may send megabytes in a field)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    row: matrix.Row
    note: str
    """The row's detail, shortened to what every profile agrees on (`required string`)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Group:
    title: str
    rows: list[_Row]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Badge:
    name: str
    title: str
    verdict: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Field:
    path: str
    type_name: str
    required: bool
    status: str
    state: str
    counts: list[int]
    value: str | None
    """The example value as JSON, clipped; None when the example has none (a missing field)."""
    task: str | None
    location: str | None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Profile:
    name: str
    title: str
    verdict: str
    reason: str
    tasks_checked: int
    fields: list[_Field]
    failing_fields: int
    failures: list[Finding]
    warnings: list[Finding]


def _clip(text: str) -> str:
    if len(text) <= CLIP:
        return text
    return f"{text[:CLIP]}… ({len(text)} characters)"


def _field(result: FieldResult) -> _Field:
    status = result.status
    if status in BAD_STATUSES:
        state = "fail"
    elif status in ("ok", "absent"):
        state = "ok"
    else:
        state = "unseen"
    example = result.example
    value = task = location = None
    if isinstance(example, dict):
        if "value" in example:
            value = _clip(json.dumps(example["value"], ensure_ascii=False, default=repr))
        task = None if example.get("task") is None else str(example["task"])
        location = None if example.get("location") is None else str(example["location"])
    elif example is not None:
        value = _clip(json.dumps(example, ensure_ascii=False, default=repr))
    return _Field(
        path=result.path,
        type_name=result.type_name,
        required=result.required,
        status=status.replace("_", " "),
        state=state,
        counts=[result.counts.get(name, 0) for name in COUNTS],
        value=value,
        task=task,
        location=location,
    )


def _notes(report: Report) -> dict[str, str]:
    """`required string` for each field path that every profile documenting it agrees on."""
    seen: dict[str, set[str]] = {}
    for result in report.profiles.values():
        for field in result.fields:
            kind = "required" if field.required else "optional"
            seen.setdefault(field.path, set()).add(f"{kind} {field.type_name}")
    return {path: kinds.pop() for path, kinds in seen.items() if len(kinds) == 1}


def _context(report: Report) -> dict[str, Any]:
    table = matrix.build(report)
    notes = _notes(report)
    groups = [
        _Group(
            title=title,
            rows=[
                _Row(
                    row=row,
                    note=notes.get(row.label, row.detail) if kind == "field" else row.detail,
                )
                for row in table.rows
                if row.kind == kind
            ],
        )
        for kind, title in KINDS.items()
    ]
    profiles = [
        _Profile(
            name=name,
            title=result.title,
            verdict=result.verdict,
            reason=result.reason,
            tasks_checked=result.tasks_checked,
            fields=[_field(f) for f in result.fields],
            failing_fields=sum(f.status in BAD_STATUSES for f in result.fields),
            failures=result.failures,
            warnings=result.warnings,
        )
        for name, result in report.profiles.items()
    ]
    # A report judged under no profile (none chosen, or made by hand) still shows its verdict.
    badges = [
        _Badge(name=p.name, title=p.title, verdict=p.verdict, reason=p.reason) for p in profiles
    ] or [_Badge(name=report.profile, title="", verdict=report.verdict, reason=report.reason)]
    return {
        "report": report,
        "table": table,
        "badges": badges,
        "groups": [group for group in groups if group.rows],
        "profiles": profiles,
        "seed": "none (random cases)" if report.seed is None else str(report.seed),
        "consistency": consistency_line(report.consistency),
        "duration": f"{report.duration:.2f} s",
        "counts": [name.replace("_", " ") for name in COUNTS],
        "marks": MARKS,
        "words": WORDS,
    }


def render(report: Report) -> str:
    return _TEMPLATE.render(_context(report))


def write(report: Report, path: Path) -> None:
    write_atomically(path, render(report).encode("utf-8"))


HEAD = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
"""
"""How every report page starts: no script, no remote resource (the CSP says so)."""

_SOURCE = (
    HEAD
    + """\
<title>mjspec conform: {{ report.base_url }}</title>
<style>
:root { color-scheme: light; --ok: #1a7f37; --fail: #cf222e; --warn: #9a6700; --grey: #57606a; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; background: #fff; margin: 0 auto; padding: 1.5rem; max-width: 90rem; }
h1 { margin: 0 0 .5rem; font-size: 1.6rem; }
h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
code, pre { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem;
  white-space: pre-wrap; word-break: break-all; margin: .4rem 0 0; }
.summary { font-size: 1.1rem; font-weight: 600; }
.verdicts { list-style: none; padding: 0; display: grid; gap: .4rem; }
.verdicts li { display: flex; gap: .6rem; align-items: baseline; flex-wrap: wrap; }
.reason { color: var(--grey); }
.badge { display: inline-flex; border-radius: 4px; overflow: hidden; font-weight: 600;
  font-size: .85rem; white-space: nowrap; vertical-align: middle; }
.badge > span { padding: .1rem .5rem; }
.badge > .name { background: #555; color: #fff; }
.badge > .verdict { color: #fff; }
.badge.pass > .verdict { background: var(--ok); }
.badge.fail > .verdict { background: var(--fail); }
.badge.inconclusive > .verdict { background: #bf8700; color: #1f2328; }
.facts { display: flex; flex-wrap: wrap; gap: .3rem 2rem; margin: 1rem 0 0; }
.facts dt { color: var(--grey); font-size: .85rem; }
.facts dd { margin: 0; font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0; }
caption { text-align: left; color: var(--grey); padding-bottom: .4rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .55rem; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
thead .badge { margin-top: .2rem; }
tr.group th { background: #eaeef2; font-size: .85rem; text-transform: uppercase;
  letter-spacing: .04em; }
th[scope=row] { font-weight: 500; }
.detail { display: block; color: var(--grey); font-size: .8rem; font-weight: 400; }
.cell.ok { background: #dafbe1; }
.cell.fail { background: #ffebe9; color: #82071e; font-weight: 600; }
.cell.warn { background: #fff8c5; color: #4d2d00; }
.cell.unseen { background: #eaeef2; color: #424a53; }
.cell.na { background: #fafbfc; color: #6e7781; }
.mark { display: inline-block; width: 1.1em; font-weight: 700; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend span { margin-right: 1.2rem; white-space: nowrap; }
details { margin: .6rem 0; }
summary { cursor: pointer; font-weight: 600; }
.findings { padding-left: 1.4rem; }
.findings li { margin: .2rem 0 .8rem; }
.findings p { margin: 0; overflow-wrap: anywhere; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
footer { margin-top: 2rem; color: var(--grey); font-size: .85rem; }
</style>
</head>
{% macro badge(name, verdict) -%}
<span class="badge {{ verdict }}"><span class="name">{{ name }}</span> \
<span class="verdict">{{ verdict }}</span></span>
{%- endmacro %}
{% macro cell(state, text) -%}
<span class="mark" aria-hidden="true">{{ marks[state] }}</span>\
<span class="vh">{{ words[state] }}: </span>{{ text }}
{%- endmacro %}
{% macro finding(item, state) -%}
<li><p>{{ cell(state, "") }}<strong>{{ item.check }}</strong>
{%- if item.field %} at <code>{{ item.field }}</code>{% endif %}
{%- if item.status_code is not none %} (HTTP {{ item.status_code }}){% endif %}: \
{{ item.message }}</p>
{% if item.reproduce %}
<pre><code>{{ item.reproduce }}</code></pre>
{% endif %}
</li>
{%- endmacro %}
<body>
<header>
<h1>mjspec conform</h1>
<p>Server <code>{{ report.base_url }}</code></p>
<p class="summary">{{ table.summary }}</p>
<ul class="verdicts" aria-label="Verdict per profile">
{% for item in badges %}
<li>{{ badge(item.name, item.verdict) }} \
<span class="reason">{% if item.title %}{{ item.title }}: {% endif %}{{ item.reason }}</span></li>
{% endfor %}
</ul>
<dl class="facts">
<div><dt>Requests</dt><dd>{{ report.requests }}</dd></div>
<div><dt>Tasks checked</dt><dd>{{ report.tasks_checked }}</dd></div>
<div><dt>Seed</dt><dd>{{ seed }}</dd></div>
<div><dt>Duration</dt><dd>{{ duration }}</dd></div>
<div><dt>Strict</dt><dd>{{ "yes" if report.strict else "no" }}</dd></div>
<div><dt>Tool</dt><dd>mjspec {{ report.tool_version }}</dd></div>
<div><dt>Spec sha256</dt><dd><code>{{ report.spec_sha256 or "unknown" }}</code></dd></div>
{% if report.interrupted %}
<div><dt>Interrupted</dt><dd>yes (Ctrl-C): a partial run</dd></div>
{% endif %}
</dl>
</header>
<main>
<section aria-labelledby="matrix">
<h2 id="matrix">Compatibility matrix</h2>
<div class="scroll">
<table>
<caption>What was seen under each profile: a row per field, way of sending the token, \
request media type and check.</caption>
<thead>
<tr><th scope="col">Row</th>
{% for name in table.profiles %}
<th scope="col">{{ name }}<br>{{ badge("verdict", table.verdicts[name]) }}</th>
{% endfor %}
</tr>
</thead>
{% for group in groups %}
<tbody>
<tr class="group"><th scope="rowgroup" colspan="{{ table.profiles | length + 1 }}">\
{{ group.title }}</th></tr>
{% for item in group.rows %}
{% set row = item.row %}
<tr>
<th scope="row"{% if row.detail %} title="{{ row.detail }}"{% endif %}>
{%- if row.kind == "field" %}<code>{{ row.label }}</code>{% else %}{{ row.label }}{% endif %}
{%- if item.note %}<span class="detail">{{ item.note }}</span>{% endif %}</th>
{% for name in table.profiles %}
<td class="cell {{ row.cells[name].state }}">{{ cell(row.cells[name].state, \
row.cells[name].text) }}</td>
{% endfor %}
</tr>
{% endfor %}
</tbody>
{% endfor %}
</table>
</div>
<p class="legend">{% for state, mark in marks.items() %}\
<span><span class="mark" aria-hidden="true">{{ mark }}</span> {{ words[state] }}</span>\
{% endfor %}</p>
<p class="consistency">{{ consistency }}.</p>
</section>
<section aria-labelledby="fields">
<h2 id="fields">Fields by profile</h2>
{% for profile in profiles %}
<details>
<summary>{{ profile.name }}: {{ profile.fields | length }} field(s), \
{{ profile.failing_fields }} failing, {{ profile.tasks_checked }} task(s) checked</summary>
<div class="scroll">
<table>
<thead>
<tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Status</th>
{% for name in counts %}
<th scope="col" class="num">{{ name }}</th>
{% endfor %}
<th scope="col">Example</th></tr>
</thead>
<tbody>
{% for field in profile.fields %}
<tr>
<th scope="row"><code>{{ field.path }}</code></th>
<td>{{ "required" if field.required else "optional" }} {{ field.type_name }}</td>
<td class="cell {{ field.state }}">{{ cell(field.state, field.status) }}</td>
{% for count in field.counts %}
<td class="num">{{ count }}</td>
{% endfor %}
<td>{% if field.value is not none %}<code>{{ field.value }}</code>{% endif %}
{%- if field.task is not none %} in task <code>{{ field.task }}</code>{% endif %}
{%- if field.location is not none %} at <code>{{ field.location }}</code>{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
</div>
</details>
{% endfor %}
</section>
<section aria-labelledby="findings">
<h2 id="findings">Failures and warnings</h2>
{% for profile in profiles %}
<h3>{{ badge(profile.name, profile.verdict) }}</h3>
{% if not profile.failures and not profile.warnings %}
<p>No failures and no warnings.</p>
{% endif %}
{% if profile.failures %}
<details open>
<summary>{{ profile.failures | length }} failure(s)</summary>
<ol class="findings">
{% for item in profile.failures %}
{{ finding(item, "fail") }}
{% endfor %}
</ol>
</details>
{% endif %}
{% if profile.warnings %}
<details>
<summary>{{ profile.warnings | length }} warning(s)</summary>
<ol class="findings">
{% for item in profile.warnings %}
{{ finding(item, "warn") }}
{% endfor %}
</ol>
</details>
{% endif %}
{% endfor %}
</section>
</main>
<footer>
<p>Generated by <code>mjspec conform</code>; \
{% if report.seed is not none %}<code>--seed {{ report.seed }}</code> reruns the same cases.\
{% else %}no seed was given, so a rerun draws other cases.{% endif %}</p>
</footer>
</body>
</html>
"""
)


def template(source: str) -> jinja2.Template:
    """A report page's template: every value escaped, every name defined."""
    return jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    ).from_string(source)


_TEMPLATE = template(_SOURCE)
