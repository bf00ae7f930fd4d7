"""The suite hands its longest modules to the workers first (helpers_schedule), from the
seconds `tools/durations.py` reads off a JUnit report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.helpers_schedule import longest_first, module_of
from tools import durations


@dataclasses.dataclass(frozen=True)
class Node:
    nodeid: str


def nodes(*ids: str) -> list[Node]:
    return [Node(i) for i in ids]


def test_the_longest_module_comes_first_and_each_keeps_its_own_order() -> None:
    items = nodes("t/a.py::x", "t/a.py::y", "t/b.py::z", "t/c.py::w[1]", "t/c.py::w[2]")
    longest_first(items, {"t/a.py": 1.0, "t/b.py": 9.0, "t/c.py": 3.0})
    assert [i.nodeid for i in items] == [
        "t/b.py::z",
        "t/c.py::w[1]",
        "t/c.py::w[2]",
        "t/a.py::x",
        "t/a.py::y",
    ]


def test_a_module_the_file_does_not_know_is_weighed_by_its_number_of_tests() -> None:
    # known: 4 s over 2 tests, so 2 s a test; new.py's 3 tests weigh 6 s, between the two
    items = nodes("t/small.py::a", "t/new.py::a", "t/new.py::b", "t/new.py::c", "t/big.py::a")
    longest_first(items, {"t/small.py": 1.0, "t/big.py": 3.0, "t/gone.py": 50.0})
    assert [module_of(i) for i in items] == ["t/new.py"] * 3 + ["t/big.py", "t/small.py"]


def test_without_known_durations_the_modules_with_most_tests_come_first() -> None:
    items = nodes("t/a.py::x", "t/b.py::x", "t/b.py::y", "t/c.py::x")
    longest_first(items, {})
    assert [i.nodeid for i in items] == ["t/b.py::x", "t/b.py::y", "t/a.py::x", "t/c.py::x"]


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[1, 2]", '"tests/test_x.py"', "\udcff"],
    ids=["empty", "not JSON", "a list", "a string", "not UTF-8"],
)
def test_an_unreadable_durations_file_gives_none(tmp_path: Path, text: str) -> None:
    path = tmp_path / "durations.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert durations.read_durations(path) == {}
    assert durations.read_durations(tmp_path / "missing.json") == {}


def test_only_entries_that_are_seconds_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    entries = {"a.py": 2, "b.py": 1.5, "c.py": -1, "d.py": True, "e.py": "3", "f.py": None}
    path.write_text(json.dumps(entries), encoding="utf-8")
    assert durations.read_durations(path) == {"a.py": 2.0, "b.py": 1.5}
    path.write_text('{"a.py": NaN, "b.py": Infinity, "c.py": 0, "d.py": 1' + "0" * 400 + "}")
    assert durations.read_durations(path) == {"c.py": 0.0}


def test_this_session_runs_its_modules_longest_first(request: pytest.FixtureRequest) -> None:
    if any(request.config.getoption(name, False) for name in ("lf", "failedfirst", "newfirst")):
        pytest.skip("--lf, --ff and --nf put the tests in an order of their own")
    known = durations.read_durations()
    assert known, f"{durations.OUT} lists no module"  # an entry for a module gone is ignored
    modules = list(dict.fromkeys(module_of(item) for item in request.session.items))
    listed = [module for module in modules if module in known]
    assert len(listed) >= len(modules) // 2, "the file knows under half the modules"
    weights = [known[module] for module in listed]
    assert weights == sorted(weights, reverse=True), listed
    if request.config.pluginmanager.hasplugin("xdist"):
        assert request.config.getoption("loadscopereorder") is False  # xdist keeps this order


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="tests.test_a" name="test_one" time="1.25"/>
<testcase classname="tests.test_a" name="test_two[x]" time="0.5"/>
<testcase classname="tests.test_b.TestGroup" name="test_three" time="2.04"/>
<testcase classname="gone.module" name="test_four" time="9"/>
</testsuite></testsuites>
"""


def _checkout(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    for name in ("test_a.py", "test_b.py"):
        (tmp_path / "tests" / name).write_text("", encoding="utf-8")
    return tmp_path


def test_seconds_are_summed_per_test_file_a_class_included(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    report = tmp_path / "junit.xml"
    report.write_text(JUNIT, encoding="utf-8")
    cases = durations.read_cases(report)
    assert len(cases) == 4
    assert durations.module_seconds(cases, root) == {
        "tests/test_a.py": 1.8,  # 1.75, rounded half to even: a stable tenth
        "tests/test_b.py": 2.0,
    }


def test_the_script_writes_the_file_and_says_what_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(JUNIT.replace("tests.test_", "tests.test_schedule_"), encoding="utf-8")
    out = tmp_path / "durations.json"
    assert durations.main([str(report), str(out)]) == 0
    assert json.loads(out.read_text("utf-8")) == {}  # no such files in this checkout
    assert capsys.readouterr().out == f"{out}: 0 modules, 0.0 s\n"
    report.write_text(JUNIT.replace("tests.test_b", "tests.test_schedule"), encoding="utf-8")
    assert durations.main([str(report), str(out)]) == 0
    assert json.loads(out.read_text("utf-8")) == {"tests/test_schedule.py": 2.0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["durations.json", "junit.xml"]


def test_a_report_of_part_of_the_suite_updates_that_part(tmp_path: Path) -> None:
    out = tmp_path / "durations.json"
    kept = {"tests/test_spec.py": 9.9, "tests/test_schedule.py": 5.0, "tests/test_gone.py": 1.0}
    out.write_text(json.dumps(kept), encoding="utf-8")
    report = tmp_path / "junit.xml"
    report.write_text(JUNIT.replace("tests.test_b", "tests.test_schedule"), encoding="utf-8")
    assert durations.main([str(report), str(out)]) == 0
    # measured: replaced; not in the report: kept while its file exists, dropped once gone
    assert json.loads(out.read_text("utf-8")) == {
        "tests/test_schedule.py": 2.0,
        "tests/test_spec.py": 9.9,
    }


@pytest.mark.parametrize("where", ["a folder", "a missing folder", "the current folder"])
def test_a_file_that_cannot_be_written_is_one_line_and_exit_2_leaving_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(JUNIT, encoding="utf-8")
    (tmp_path / "folder").mkdir()
    monkeypatch.chdir(tmp_path)
    out = {"a folder": "folder", "a missing folder": "none/durations.json"}.get(where, ".")
    assert durations.main([str(report), out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"durations: error: cannot write {out}: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "junit.xml"]
    assert list((tmp_path / "folder").iterdir()) == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("<testsuites", "not a readable JUnit XML report"),
        ("<testsuites/>", "no <testcase> in it"),
        ('<testsuites><testcase classname="a"/></testsuites>', "without a classname and a time"),
        ('<testsuites><testcase classname="a" time="x"/></testsuites>', "without a classname"),
        ('<testsuites><testcase classname="a" time="nan"/></testsuites>', "of nan seconds (a)"),
        ('<testsuites><testcase classname="a" time="-1"/></testsuites>', "of -1.0 seconds (a)"),
    ],
    ids=["cut short", "empty", "no time", "a time that is no number", "NaN", "negative"],
)
def test_a_bad_report_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(text, encoding="utf-8")
    out = tmp_path / "durations.json"
    assert durations.main([str(report), str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"durations: error: {report}: ") and says in err
    assert not out.exists()


def test_a_missing_report_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert durations.main([str(tmp_path / "none.xml"), str(tmp_path / "out.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a readable JUnit XML report" in err
