"""The suite's modules in the order xdist should hand them out: the longest first.

With `--dist loadscope` each worker takes whole modules (a test class would be a unit of its
own; the suite has none); with `--no-loadscope-reorder` it takes them in collection order.
xdist's own order (most tests first) left the modules of a few long tests (a wheel build,
process fleets) for last, run by one worker while the others sat idle.
`tests/durations.json` holds each module's seconds in a fresh clone's CI run (`nox -s
durations` updates it; `tools.durations.read_durations` reads it). A module it does not list
is estimated by its number of tests: a stale file costs balance, and `test_schedule` asks
that it know most of the modules.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol, TypeVar


class _Node(Protocol):
    @property
    def nodeid(self) -> str: ...


N = TypeVar("N", bound=_Node)


def module_of(node: _Node) -> str:
    """The test file of a node id, as the durations file names it (`tests/test_x.py`)."""
    return node.nodeid.split("::", 1)[0]


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
