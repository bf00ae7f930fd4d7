"""The suite's modules in the order xdist should hand them out: the longest first.

With `--dist loadscope` each worker takes whole modules (a test class would be a unit of
its own; the suite has none); with `--no-loadscope-reorder` it takes them in collection
order. xdist's own order (most tests first) left the modules of a few long tests (a wheel
build, process fleets, mypy) for last, run by one worker while the others sat idle.
`tests/durations.json` holds each module's seconds in a fresh clone's CI run (`nox -s
durations` updates it). A module it does not list is estimated by its number of tests: a
stale file costs balance, and `test_schedule` asks that it know most of the modules.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Protocol, TypeVar

DURATIONS = Path(__file__).with_name("durations.json")


class _Node(Protocol):
    @property
    def nodeid(self) -> str: ...


N = TypeVar("N", bound=_Node)


def module_of(node: _Node) -> str:
    """The test file of a node id, as the durations file names it (`tests/test_x.py`)."""
    return node.nodeid.split("::", 1)[0]


def known_durations(path: Path = DURATIONS) -> dict[str, float]:
    """Each module's recorded seconds; {} when the file is missing or unreadable, and an
    entry that is not a finite, non-negative number of seconds is left out."""
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


def longest_first(items: list[N], known: dict[str, float]) -> None:
    """Sort `items` so that the modules that take longest come first, each module's tests
    in their own order. A module `known` does not list is estimated by its number of tests,
    at the listed modules' mean seconds per test."""
    counts = Counter(module_of(item) for item in items)
    listed = [module for module in counts if module in known]
    tests = sum(counts[module] for module in listed)
    per_test = sum(known[module] for module in listed) / tests if tests else 1.0
    weight = {module: known.get(module, number * per_test) for module, number in counts.items()}
    items.sort(key=lambda item: -weight[module_of(item)])  # stable: a module stays together
