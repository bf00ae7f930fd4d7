"""Hypothesis strategies for the conformance run.

`ids_lists(known)` draws the `ids` of positive requests: known task ids (so that
real tasks come back and get checked) mixed with unknown ids, duplicates, empty
lists and unicode. `positive_cases` puts those ids into the cases schemathesis
generates from the spec, for each request media type.

A strategy is built once per operation (and known ids) in a thread and drawn from in
every run after: building one from the spec and Hypothesis' check of it on the first
draw took about a sixth of a run's CPU, for a fleet's every server or a suite's every
run. Strategies hold nothing of a run (the seed decides the cases), so a run draws the
same cases from a kept one as from a new one; they stay in their thread, as Hypothesis
before 6.136 is not safe to share between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from hypothesis import strategies as st

if TYPE_CHECKING:
    from mjspec.conform._typing import AnyCase, Operation

MAX_IDS = 8

# Unknown ids: realistic decimal ids, plain text, and any unicode (no surrogates:
# they cannot be sent as UTF-8).
_unknown_ids = st.one_of(
    st.integers(min_value=10**15, max_value=10**16 - 1).map(str),
    st.text(alphabet="0123456789abcdef-", max_size=20),
    st.text(st.characters(codec="utf-8"), max_size=12),
)


def ids_lists(known: Sequence[str]) -> st.SearchStrategy[list[str]]:
    """Lists of ids; when some are known, most lists hold at least one of them."""
    if not known:
        return st.lists(_unknown_ids, max_size=MAX_IDS)
    known_ids = st.sampled_from(tuple(known))
    lists = st.lists(st.one_of(known_ids, _unknown_ids), max_size=MAX_IDS)
    coins = st.booleans()

    @st.composite
    def draw(data: st.DrawFn) -> list[str]:
        ids = data(lists)
        if data(coins):  # make sure a known id is in most lists
            ids.insert(0, data(known_ids))
        duplicate: bool = data(coins)
        if ids and duplicate:
            ids.append(data(st.sampled_from(ids)))
        return ids

    return draw()


S = TypeVar("S")
_KEPT_PER_THREAD = 32
_kept = threading.local()


def _built_once(operation: Operation, key: Hashable, build: Callable[[], S]) -> S:
    """`build()`, or what it gave for this operation and key before in this thread.

    Kept by the operation's identity, with the operation itself (so that its id is not
    another's while kept): `judge` keeps one operation per document.
    """
    kept: dict[tuple[int, Hashable], tuple[object, Any]] | None = getattr(_kept, "built", None)
    if kept is None:
        kept = _kept.built = {}
    found = kept.get((id(operation), key))
    if found is not None and found[0] is operation:
        return found[1]  # type: ignore[no-any-return]
    if len(kept) >= _KEPT_PER_THREAD:
        kept.clear()
    value = build()
    kept[(id(operation), key)] = (operation, value)
    return value


def positive_cases(
    operation: Operation, known: Sequence[str], media_types: Sequence[str]
) -> st.SearchStrategy[AnyCase]:
    """Spec-valid cases of every request media type: half with our `ids`, half schemathesis's.

    Our half is what brings real tasks back to be checked; building those cases directly
    (rather than drawing a whole case from schemathesis and replacing its ids) halves the
    cost of generation, which dominates a run against a fast local server.
    """
    from schemathesis import GenerationMode

    def build() -> st.SearchStrategy[AnyCase]:
        strategies: list[st.SearchStrategy[AnyCase]] = []
        for media_type in media_types:

            def case_with(ids: list[str], media_type: str = media_type) -> AnyCase:
                body: Any = {"ids": ids}
                return operation.Case(body=body, media_type=media_type)

            strategies.append(ids_lists(known).map(case_with))
            strategies.append(
                operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE, media_type=media_type
                )
            )
        return st.one_of(strategies)

    return _built_once(operation, ("positive", tuple(known), tuple(media_types)), build)


def negative_cases(operation: Operation) -> st.SearchStrategy[AnyCase]:
    """Spec-invalid cases, as schemathesis generates them."""
    from schemathesis import GenerationMode

    return _built_once(
        operation,
        "negative",
        lambda: operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
