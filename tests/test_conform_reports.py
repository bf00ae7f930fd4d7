"""The Markdown and HTML reports, over reports of real runs against the stdlib test server.

The pages are read back with parsers rather than searched for strings where it
matters: `html.parser` rebuilds the HTML page's tree, markdown-it (a dependency of
rich) renders the Markdown as GitHub would, raw HTML allowed.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import errno
import html
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from mjspec.conform import Finding, Report, Settings, add_arguments, matrix, run, run_command
from mjspec.conform import html as html_report
from mjspec.conform import markdown as markdown_report
from mjspec.profiles import Profile
from tests.conform_servers import TASKS, Reply, RunningServer, serve
from tests.helpers_conform import SPEC_PATH, bare_report, checkout_profiles

TOKEN = "sk-reports-5e4d3c2b1a"
EVIL = "<script>alert(1)</script>"
LINK = "[click](https://evil.example/)"
QUOTED = "\"'><img src=x onerror=alert(2)>"
KINDS = ("field", "auth", "media", "check")


# --- reports of real runs ---------------------------------------------------------------


def _no_buttons(reply: Reply) -> Reply:
    """`buttons: null` where there are none: new-api's way, which only new-api allows.

    The task that has buttons keeps them, so that every field is seen and new-api passes.
    """
    for task in reply.body:
        if not task["buttons"]:
            task["buttons"] = None
    return reply


def _hostile(reply: Reply) -> Reply:
    for task in reply.body:
        task["buttons"] = None
        task["progress"] = [f"{EVIL}|pipe"]  # the wrong type, so it is quoted in messages
        task["prompt"] = QUOTED
    return reply


def _run(profiles: dict[str, Profile], server: RunningServer, token: str | None = None) -> Report:
    settings = Settings(
        spec=profiles["doc"].document,
        base_url=server.base_url,
        task_ids=tuple(server.task_ids),
        token=token,
        profiles=tuple(profiles.values()),
        max_examples=1,  # the probes ask for every task: every field is seen
        seed=1,
    )
    return run(settings)


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return checkout_profiles()


@pytest.fixture(scope="module")
def mixed(profiles: dict[str, Profile]) -> Report:
    """new-api passes, the others fail on `buttons`."""
    with serve(_no_buttons) as server:
        return _run(profiles, server)


@pytest.fixture(scope="module")
def hostile(profiles: dict[str, Profile]) -> Report:
    """Hostile task ids and field values, and a token (so the ways of sending it are rows)."""
    tasks = {
        f"{EVIL}{LINK}{key}": dict(task, id=f"{EVIL}{LINK}{key}") for key, task in TASKS.items()
    }
    with serve(_hostile, tasks=tasks, token=TOKEN) as server:
        report = _run(profiles, server, token=TOKEN)
    # The reports are tested with the hostile values inside, not without them.
    messages = [f.message for p in report.profiles.values() for f in p.failures]
    assert any(EVIL in message and "|pipe" in message for message in messages)
    assert report.auth
    return report


# --- reading an HTML page back ----------------------------------------------------------


@dataclasses.dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = dataclasses.field(default_factory=list)

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def text(self, *, skip_class: str | None = None) -> str:
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif skip_class is None or skip_class not in child.classes:
                parts.append(child.text(skip_class=skip_class))
        return "".join(parts)

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _TreeBuilder(HTMLParser):
    """A tree of the page; an end tag that closes anything but the open element is an error."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.document = Element("#document", {})
        self.open = [self.document]
        self.declarations: list[str] = []
        self.errors: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if self.open[-1].tag == tag:
            self.open.pop()
        else:
            self.errors.append(f"</{tag}> closes <{self.open[-1].tag}>")

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(page: str) -> _TreeBuilder:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder


def one(root: Element, tag: str) -> Element:
    found = list(root.iter(tag))
    assert len(found) == 1, f"{len(found)} <{tag}> elements"
    return found[0]


def _squash(text: str) -> str:
    return " ".join(text.split())


def _matrix_table(page: str) -> Element:
    return next(parse(page).document.iter("table"))


# --- the HTML page ----------------------------------------------------------------------


def test_the_html_page_is_one_well_formed_document_in_english(mixed: Report) -> None:
    page = html_report.render(mixed)
    tree = parse(page)
    assert tree.errors == []
    assert [e.tag for e in tree.open] == ["#document"], "elements left open"
    assert [d.lower() for d in tree.declarations] == ["doctype html"]
    root = one(tree.document, "html")
    assert [c.tag for c in tree.document.children if isinstance(c, Element)] == ["html"]
    assert root.attrs["lang"] == "en"
    assert [c.tag for c in root.children if isinstance(c, Element)] == ["head", "body"]
    assert any(meta.attrs.get("charset") == "utf-8" for meta in one(root, "head").iter("meta"))
    assert mixed.base_url in one(root, "title").text()


def test_the_html_page_loads_nothing_and_names_urls_as_text_only(hostile: Report) -> None:
    page = html_report.render(hostile)
    document = parse(page).document
    fetching = {"script", "img", "link", "iframe", "frame", "object", "embed", "video", "audio"}
    fetching |= {"source", "track", "base", "form", "input", "svg", "picture"}
    assert {e.tag for e in document.iter()} & fetching == set()
    for element in document.iter():
        for name, value in element.attrs.items():
            assert not name.startswith("on"), (element.tag, name)
            assert name not in {"src", "srcset", "action", "formaction", "poster", "background"}
            if name == "href":
                assert (value or "").startswith("#"), value
            assert "://" not in (value or ""), (element.tag, name, value)
    style = one(document, "style").text()
    assert "url(" not in style
    assert "@import" not in style
    policies = [m.attrs.get("content") or "" for m in document.iter("meta")]
    assert any("default-src 'none'" in policy for policy in policies)
    # URLs are text: the server's, and what the server sent (field examples, curl lines).
    assert hostile.base_url in one(document, "header").text()


def test_hostile_values_are_shown_as_text_and_never_become_markup(hostile: Report) -> None:
    page = html_report.render(hostile)
    assert EVIL not in page
    assert QUOTED not in page
    assert html.escape(EVIL) in page
    assert "&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    text = parse(page).document.text()
    assert EVIL in text  # in task ids of messages, examples and curl lines
    assert QUOTED in text  # the example of `prompt`


def test_every_profile_has_a_verdict_badge_with_its_reason(mixed: Report) -> None:
    document = parse(html_report.render(mixed)).document
    verdicts = next(
        e for e in document.iter("ul") if e.attrs.get("aria-label") == "Verdict per profile"
    )
    items = [_squash(item.text()) for item in verdicts.iter("li")]
    assert len(items) == len(mixed.profiles)
    for item, (name, result) in zip(items, mixed.profiles.items(), strict=True):
        assert item.startswith(f"{name} {result.verdict} ")
        assert result.reason in item
    assert {p.verdict for p in mixed.profiles.values()} == {"pass", "fail"}


def test_a_report_judged_under_no_profile_still_shows_its_verdict() -> None:
    report = bare_report(
        verdict="inconclusive",
        reason="no task was ever returned, so no field was checked",
        tasks_checked=0,
        requests=3,
        seed=None,
        duration=0.5,
    )
    document = parse(html_report.render(report)).document
    verdicts = next(
        e for e in document.iter("ul") if e.attrs.get("aria-label") == "Verdict per profile"
    )
    assert _squash(verdicts.text()) == f"doc inconclusive {report.reason}"
    assert "no seed" in markdown_report.render(report)


def test_every_matrix_row_is_a_row_of_the_table_grouped_by_kind(hostile: Report) -> None:
    table = matrix.build(hostile)
    expected = [row for kind in KINDS for row in table.rows if row.kind == kind]
    html_table = _matrix_table(html_report.render(hostile))
    header = [
        (_squash(th.text(skip_class="badge")), _squash(next(th.iter("span")).text()))
        for th in list(one(html_table, "thead").iter("th"))[1:]
    ]
    assert header == [(name, f"verdict {table.verdicts[name]}") for name in table.profiles]
    rows = [tr for tr in html_table.iter("tr") if "group" not in tr.classes][1:]
    assert len(rows) == len(expected)
    for tr, row in zip(rows, expected, strict=True):
        label = next(tr.iter("th"))
        assert _squash(label.text(skip_class="detail")) == row.label
        assert label.attrs.get("title") == (row.detail or None)
        cells = list(tr.iter("td"))
        assert len(cells) == len(table.profiles)
        for td, name in zip(cells, table.profiles, strict=True):
            assert row.cells[name].state in td.classes
            assert _squash(td.text()).endswith(row.cells[name].text)
    groups = [_squash(tr.text()) for tr in html_table.iter("tr") if "group" in tr.classes]
    assert groups == [
        html_report.KINDS[kind] for kind in KINDS if any(r.kind == kind for r in table.rows)
    ]


def test_a_failing_cell_says_what_was_seen_in_words_as_well_as_in_colour(mixed: Report) -> None:
    html_table = _matrix_table(html_report.render(mixed))
    row = next(
        tr
        for tr in html_table.iter("tr")
        if next(tr.iter("th")).text(skip_class="detail") == "buttons"
    )
    cells = dict(zip(matrix.build(mixed).profiles, row.iter("td"), strict=True))
    assert "fail" in cells["doc"].classes
    assert re.fullmatch(r"✗ ?fail: null in \d+ of \d+", _squash(cells["doc"].text()))
    assert "ok" in cells["new-api"].classes
    assert re.match(r"✓ ?ok: ok \(\d+\)", _squash(cells["new-api"].text()))


def test_every_table_header_has_a_scope(hostile: Report) -> None:
    document = parse(html_report.render(hostile)).document
    headers = list(document.iter("th"))
    assert headers
    assert {th.attrs.get("scope") for th in headers} <= {"col", "row", "rowgroup"}


def test_field_details_give_each_profile_its_counts_and_examples(hostile: Report) -> None:
    document = parse(html_report.render(hostile)).document
    section = next(
        s for s in document.iter("section") if s.attrs.get("aria-labelledby") == "fields"
    )
    details = list(section.iter("details"))
    assert len(details) == len(hostile.profiles)
    for block, (name, result) in zip(details, hostile.profiles.items(), strict=True):
        assert _squash(one(block, "summary").text()).startswith(f"{name}: ")
        rows = list(one(block, "tbody").iter("tr"))
        assert len(rows) == len(result.fields)
        for tr, field in zip(rows, result.fields, strict=True):
            cells = [_squash(td.text()) for td in tr.iter("td")]
            assert _squash(next(tr.iter("th")).text()) == field.path
            assert cells[2:7] == [str(field.counts[key]) for key in html_report.COUNTS]
    doc_rows = {
        _squash(next(tr.iter("th")).text()): tr for tr in one(details[0], "tbody").iter("tr")
    }
    example = _squash(list(doc_rows["prompt"].iter("td"))[-1].text())
    assert example.startswith('"\\"\'><img src=x onerror=alert(2)>" in task <script>')


def test_failures_and_warnings_come_with_their_curl_reproductions(hostile: Report) -> None:
    document = parse(html_report.render(hostile)).document
    section = next(
        s for s in document.iter("section") if s.attrs.get("aria-labelledby") == "findings"
    )
    shown = [pre.text() for pre in section.iter("pre")]
    expected = [
        finding.reproduce
        for result in hostile.profiles.values()
        for finding in (*result.failures, *result.warnings)
        if finding.reproduce
    ]
    assert shown == expected
    assert any(f.startswith("curl -X POST") for f in shown)
    assert TOKEN not in html_report.render(hostile)


def test_rendering_the_same_report_twice_gives_the_same_page(mixed: Report) -> None:
    assert html_report.render(mixed) == html_report.render(copy.deepcopy(mixed))
    assert markdown_report.render(mixed) == markdown_report.render(copy.deepcopy(mixed))


# --- writing ----------------------------------------------------------------------------

WRITERS: dict[str, tuple[Callable[[Report, Path], None], Callable[[Report], str]]] = {
    "html": (html_report.write, html_report.render),
    "markdown": (markdown_report.write, markdown_report.render),
}


@pytest.mark.parametrize("kind", WRITERS)
def test_write_puts_the_whole_rendered_report_on_disk(
    kind: str, mixed: Report, tmp_path: Path
) -> None:
    write, render = WRITERS[kind]
    path = tmp_path / "report"
    path.write_text("an older report", "utf-8")
    write(mixed, path)
    assert path.read_bytes() == render(mixed).encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


@pytest.mark.parametrize("kind", WRITERS)
@pytest.mark.parametrize("older", [None, "an older report"])
def test_a_write_failing_half_way_leaves_no_partial_report(
    kind: str, older: str | None, mixed: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_bytes = Path.write_bytes

    def disk_full(self: Path, data: Any) -> int:
        write_bytes(self, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    path = tmp_path / "report"
    if older is not None:
        path.write_text(older, "utf-8")
    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(OSError, match="No space left"):
        WRITERS[kind][0](mixed, path)
    monkeypatch.undo()
    if older is None:
        assert list(tmp_path.iterdir()) == []
    else:
        assert [p.name for p in tmp_path.iterdir()] == ["report"]
        assert path.read_text("utf-8") == older


def test_the_command_writes_the_html_and_markdown_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = {"html": tmp_path / "report.html", "md": tmp_path / "report.md"}
    with serve(_no_buttons) as server:
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        argv = ["--base-url", server.base_url, "--max-examples", "1", "--seed", "3"]
        argv += ["--spec", str(SPEC_PATH), "--profile", "all"]
        argv += ["--report-html", str(paths["html"]), "--report-markdown", str(paths["md"])]
        argv += [arg for task_id in server.task_ids for arg in ("--task-id", task_id)]
        code = run_command(parser.parse_args(argv))
    assert code == 0, capsys.readouterr().out  # it conforms to new-api
    page = paths["html"].read_text("utf-8")
    assert parse(page).errors == []
    assert "null in" in page
    assert "null in" in paths["md"].read_text("utf-8")


# --- the Markdown report ----------------------------------------------------------------


def _table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def _cells(line: str) -> list[str]:
    """A GFM table row's cells: a pipe after a backslash is part of a cell."""
    return re.split(r"(?<!\\)\|", line)[1:-1]


def _with_odd_values(report: Report) -> Report:
    """A check name and a message with pipes, backticks and markup, under every profile."""
    odd = copy.deepcopy(report)
    for result in odd.profiles.values():
        message = f"a | b {EVIL} {LINK}"
        finding = Finding(check="odd|check`", message=message, field="a|b", reproduce="curl ```|")
        result.failures.append(finding)
    return odd


def test_the_markdown_table_has_a_row_per_matrix_row_and_as_many_cells_in_each(
    hostile: Report,
) -> None:
    report = _with_odd_values(hostile)
    table = matrix.build(report)
    lines = _table_lines(markdown_report.render(report))
    assert len(lines) == len(table.rows) + 3  # header, separator, verdicts
    assert {len(_cells(line)) for line in lines} == {len(table.profiles) + 1}
    labels = [_cells(line)[0].strip() for line in lines[3:]]
    assert "`` odd\\|check` ``" in labels


def test_markdown_renders_as_the_same_table_with_pipes_kept_inside_cells(hostile: Report) -> None:
    report = _with_odd_values(hostile)
    table = matrix.build(report)
    rendered = MarkdownIt("commonmark").enable("table").render(markdown_report.render(report))
    tree = parse(rendered).document
    rows = list(one(tree, "table").iter("tr"))
    assert len(rows) == len(table.rows) + 2  # header and verdicts
    assert {len([c for c in tr.children if isinstance(c, Element)]) for tr in rows} == {
        len(table.profiles) + 1
    }
    shown = [_squash(next(tr.iter()).text()) for tr in rows[2:]]
    assert shown == [row.label for row in table.rows]


def test_hostile_values_cannot_add_html_or_links_to_the_markdown(hostile: Report) -> None:
    text = markdown_report.render(_with_odd_values(hostile))
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    tree = parse(rendered).document
    assert {e.tag for e in tree.iter()} & {"script", "img", "a"} == set()
    assert EVIL in tree.text()
    assert LINK in tree.text()
    codes = [pre.text() for pre in tree.iter("pre")]
    assert "curl ```|\n" in codes


# --- a real browser, when there is one ----------------------------------------------------

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def test_a_headless_browser_renders_the_matrix(hostile: Report, tmp_path: Path) -> None:
    browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if browser is None:
        pytest.skip(
            "no headless Chromium on PATH (chromium, google-chrome); the page's structure "
            "is checked with html.parser by the other tests"
        )
    path = tmp_path / "report.html"
    html_report.write(hostile, path)
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", path.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    dom = parse(done.stdout).document
    assert "<script" not in done.stdout.lower()
    labels = [th for th in dom.iter("th") if th.attrs.get("scope") == "row"]
    assert len(labels) >= len(matrix.build(hostile).rows)
