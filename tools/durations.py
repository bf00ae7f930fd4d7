"""Each test module's seconds, from a JUnit XML report of the suite: `nox -s durations` runs
the suite and this script, which updates `tests/durations.json`.

The file only orders the suite's modules (tests/helpers_schedule.py hands the longest to the
workers first); `read_durations` reads it for both. A module the report has is given its new
seconds; one it lacks keeps its entry while its file exists (a run of part of the suite
updates that part); an entry for a file gone is dropped.

Usage: python tools/durations.py REPORT.xml [OUT.json]; exit 2 with one line when the report
cannot be read or the file cannot be written.
"""

from __future__ import annotations

import json
import math
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path

from mjspec.files import write_atomically

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


def read_durations(path: Path = OUT) -> dict[str, float]:
    """The seconds a durations file holds; {} when it is missing or unreadable, and an entry
    that is not a finite, non-negative number of seconds is left out."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {
        str(module): seconds for module, raw in found.items() if (seconds := _seconds(raw)) >= 0
    }


def _seconds(value: object) -> float:
    """`value` as a finite, non-negative number of seconds, or -1."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return -1.0
    try:
        seconds = float(value)  # OverflowError: an integer of hundreds of digits
    except OverflowError:
        return -1.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else -1.0


def updated(
    kept: Mapping[str, float], measured: Mapping[str, float], root: Path = ROOT
) -> dict[str, float]:
    """The measured modules' seconds, and the kept entries of the others whose files exist."""
    merged = {module: seconds for module, seconds in kept.items() if (root / module).is_file()}
    merged.update(measured)
    return {module: merged[module] for module in sorted(merged)}


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
            seconds = float(case.attrib["time"])
            classname = case.attrib["classname"]
        except (KeyError, ValueError):
            raise ValueError(f"{report}: a <testcase> without a classname and a time") from None
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"{report}: a <testcase> of {seconds} seconds ({classname})")
        cases.append((classname, seconds))
    if not cases:
        raise ValueError(f"{report}: no <testcase> in it")
    return cases


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python tools/durations.py REPORT.xml [OUT.json]", file=sys.stderr)
        return 2
    out = Path(argv[1]) if len(argv) == 2 else OUT
    try:
        seconds = updated(read_durations(out), module_seconds(read_cases(Path(argv[0]))))
        text = json.dumps(seconds, indent=2, allow_nan=False) + "\n"
        write_atomically(out, text.encode("utf-8"))
    except ValueError as exc:
        print(f"durations: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"durations: error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"{out}: {len(seconds)} modules, {sum(seconds.values()):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
