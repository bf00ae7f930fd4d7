"""Each test module's seconds, from a JUnit XML report of the suite: `nox -s durations`
runs the suite and this script, which rewrites `tests/durations.json`.

The file only orders the suite's modules (tests/conftest.py hands the longest to the
workers first): a stale one costs balance, never a test.

Usage: python tools/durations.py REPORT.xml [OUT.json]; exit 2 with one line when the
report cannot be read.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "durations.json"


def module_of(classname: str, root: Path = ROOT) -> str | None:
    """The test file a JUnit `classname` names (`tests.test_x` or `tests.test_x.Class`), as
    pytest's node ids name it (`tests/test_x.py`); None when no prefix is a file."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        path = "/".join(parts[:end]) + ".py"
        if (root / path).is_file():
            return path
    return None


def module_seconds(cases: Iterable[tuple[str, float]], root: Path = ROOT) -> dict[str, float]:
    """Seconds per module, from (classname, seconds) of each test case, rounded to 0.1 s."""
    totals: dict[str, float] = {}
    for classname, seconds in cases:
        module = module_of(classname, root)
        if module is not None:
            totals[module] = totals.get(module, 0.0) + seconds
    return {module: round(totals[module], 1) for module in sorted(totals)}


def read_cases(report: Path) -> list[tuple[str, float]]:
    """(classname, seconds) of every test case of a JUnit XML report; ValueError if it is
    not one."""
    try:
        tree = ET.parse(report)
    except (OSError, ET.ParseError) as exc:
        raise ValueError(f"{report}: not a readable JUnit XML report: {exc}") from None
    cases = []
    for case in tree.iter("testcase"):
        try:
            cases.append((case.attrib["classname"], float(case.attrib["time"])))
        except (KeyError, ValueError):
            raise ValueError(f"{report}: a <testcase> without a classname and a time") from None
    if not cases:
        raise ValueError(f"{report}: no <testcase> in it")
    return cases


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python tools/durations.py REPORT.xml [OUT.json]", file=sys.stderr)
        return 2
    out = Path(argv[1]) if len(argv) == 2 else OUT
    try:
        seconds = module_seconds(read_cases(Path(argv[0])))
    except ValueError as exc:
        print(f"durations: error: {exc}", file=sys.stderr)
        return 2
    staged = out.with_name(out.name + ".tmp")
    staged.write_text(json.dumps(seconds, indent=2) + "\n", encoding="utf-8")
    staged.replace(out)
    print(f"{out}: {len(seconds)} modules, {sum(seconds.values()):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
