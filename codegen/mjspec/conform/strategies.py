"""Hypothesis strategies for the conformance run.

`ids_lists(known)` draws the `ids` of positive requests: known task ids (so that
real tasks come back and get checked) mixed with unknown ids, duplicates, empty
lists and unicode. `positive_cases` puts those ids into the cases schemathesis
generates from the spec, for each request media type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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
    one_id = st.one_of(st.sampled_from(list(known)), _unknown_ids)

    @st.composite
    def draw(data: st.DrawFn) -> list[str]:
        ids = data(st.lists(one_id, max_size=MAX_IDS))
        if data(st.booleans()):  # make sure a known id is in most lists
            ids.insert(0, data(st.sampled_from(list(known))))
        duplicate: bool = data(st.booleans())
        if ids and duplicate:
            ids.append(data(st.sampled_from(ids)))
        return ids

    return draw()


def positive_cases(
    operation: Operation, known: Sequence[str], media_types: Sequence[str]
) -> st.SearchStrategy[AnyCase]:
    """Spec-valid cases of every request media type: half with our `ids`, half schemathesis's.

    Our half is what brings real tasks back to be checked; building those cases directly
    (rather than drawing a whole case from schemathesis and replacing its ids) halves the
    cost of generation, which dominates a run against a fast local server.
    """
    from schemathesis import GenerationMode

    strategies: list[st.SearchStrategy[AnyCase]] = []
    for media_type in media_types:

        def case_with(ids: list[str], media_type: str = media_type) -> AnyCase:
            body: Any = {"ids": ids}
            return operation.Case(body=body, media_type=media_type)

        strategies.append(ids_lists(known).map(case_with))
        strategies.append(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, media_type=media_type)
        )
    return st.one_of(strategies)


def negative_cases(operation: Operation) -> st.SearchStrategy[AnyCase]:
    """Spec-invalid cases, as schemathesis generates them."""
    from schemathesis import GenerationMode

    return operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
