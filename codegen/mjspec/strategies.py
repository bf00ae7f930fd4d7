"""Hypothesis strategies for your own tests: tasks as a profile's servers may send them.

    from hypothesis import given
    from mjspec.strategies import list_by_condition_answers, tasks

    @given(tasks(profile="new-api"))
    def test_my_client_reads_any_task(task): ...

Every strategy is derived from the packaged spec and the profile's overlay (loaded once
per process), not written field by field: it draws JSON-ready dicts and lists valid under
that profile, and explores what the profile allows. A field the profile makes nullable is
sometimes null, a field it does not require sometimes absent, an open enum
(`x-known-values`) a known value or sometimes another string, and the properties a profile
declares beyond the document (new-api's `videoUrl`, `videoUrls`) sometimes present.
Integers stay non-negative and JSON-safe (times are epoch milliseconds up to 2100).

This module needs Hypothesis; `import mjspec` does not import it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from mjspec.spec import fold_all_of

if TYPE_CHECKING:
    from mjspec.profiles import Profile

__all__ = ["buttons", "list_by_condition_answers", "profile_names", "tasks"]

MAX_ITEMS = 3
"""The longest array drawn (buttons, an answer's tasks): enough to vary, cheap to check."""
MAX_TEXT = 24
EPOCH_MILLIS_2100 = 4_102_444_800_000
"""The last epoch millisecond of 2099: a time field stays in what servers send."""
INT32_MAX = 2**31 - 1
JSON_SAFE_MAX = 2**53 - 1
"""The largest integer every JSON reader (a JavaScript one too) keeps exactly."""
_MAX_DEPTH = 8

_text = st.text(st.characters(codec="utf-8"), max_size=MAX_TEXT)
JsonStrategy = st.SearchStrategy[Any]


@functools.cache
def _profiles() -> dict[str, Profile]:
    from mjspec.profiles import load_profiles
    from mjspec.spec import packaged_spec_path

    # The packaged spec was checked when it was built; only the overlays are applied.
    return load_profiles(packaged_spec_path(), check=False)


def profile_names() -> list[str]:
    """The profiles the strategies know: `doc` first, then the packaged overlays."""
    return list(_profiles())


def _document(profile: str) -> dict[str, Any]:
    profiles = _profiles()
    if profile not in profiles:
        from mjspec.profiles import unknown_profile

        raise ValueError(unknown_profile(profile, profiles))
    return profiles[profile].document


def _schema(document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    try:
        schema = document["components"]["schemas"][name]
    except KeyError:
        raise ValueError(f"the profile's spec has no schema {name!r}") from None
    return dict(schema)


# -- the walk -----------------------------------------------------------------------


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        types = [declared]
    elif isinstance(declared, list):
        types = [t for t in declared if isinstance(t, str)]
    elif "properties" in schema or "required" in schema:
        types = ["object"]
    elif "items" in schema:
        types = ["array"]
    else:
        types = ["string"]  # unconstrained: any JSON would do; a string is valid
    if schema.get("nullable") is True and "null" not in types:
        types.append("null")
    return types


def _not_in(values: tuple[Any, ...], value: Any) -> bool:
    return value not in values


def _open_enum(known: list[Any], other: JsonStrategy, *, kind: type) -> JsonStrategy:
    values = [v for v in known if isinstance(v, kind) and not isinstance(v, bool)]
    if not values:
        return other
    # A partial, not a lambda: Hypothesis reads a lambda's source code (to look for numeric
    # bounds) each time a strategy filtered by it is built, that is, every run.
    outside = other.filter(functools.partial(_not_in, tuple(values)))
    # Mostly known values, as servers send them; sometimes one nobody listed yet.
    return st.one_of(st.sampled_from(values), st.sampled_from(values), outside)


def _string(schema: Mapping[str, Any]) -> JsonStrategy:
    examples = [e for e in schema.get("examples", ()) or () if isinstance(e, str)]
    base: JsonStrategy = st.one_of(st.sampled_from(examples), _text) if examples else _text
    known = schema.get("x-known-values")
    return _open_enum(list(known), base, kind=str) if isinstance(known, list) else base


def _integer(schema: Mapping[str, Any]) -> JsonStrategy:
    description = str(schema.get("description", "")).lower()
    if "epoch" in description:
        top = EPOCH_MILLIS_2100
    elif schema.get("format") == "int32":
        top = INT32_MAX
    else:
        top = JSON_SAFE_MAX
    base = st.integers(min_value=0, max_value=top)
    known = schema.get("x-known-values")
    return _open_enum(list(known), base, kind=int) if isinstance(known, list) else base


def _object(document: Mapping[str, Any], schema: Mapping[str, Any], depth: int) -> JsonStrategy:
    properties = schema.get("properties", {}) or {}
    required = [n for n in schema.get("required", []) if isinstance(n, str)]
    drawn = {name: _strategy(document, properties.get(name, {}), depth + 1) for name in required}
    optional = {
        name: _strategy(document, sub, depth + 1)
        for name, sub in properties.items()
        if name not in drawn
    }
    return st.fixed_dictionaries(drawn, optional=optional)


def _of_type(
    document: Mapping[str, Any], schema: Mapping[str, Any], kind: str, depth: int
) -> JsonStrategy:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return _integer(schema)
    if kind == "number":
        return st.integers(min_value=0, max_value=JSON_SAFE_MAX)
    if kind == "string":
        return _string(schema)
    if kind == "array":
        items = _strategy(document, schema.get("items", {}), depth + 1)
        return st.lists(items, max_size=MAX_ITEMS)
    return _object(document, schema, depth)


def _strategy(document: Mapping[str, Any], raw: Any, depth: int = 0) -> JsonStrategy:
    """What a server may send for `raw` (a schema, `$ref`s, `anyOf`/`oneOf` included)."""
    if depth > _MAX_DEPTH:  # a recursive schema: stop with the smallest valid value
        return st.none()
    schema = fold_all_of(document, raw)
    if "const" in schema:
        return st.just(schema["const"])
    branches = [*(schema.get("anyOf") or ()), *(schema.get("oneOf") or ())]
    if branches and "type" not in schema:
        # The branches of these specs are disjoint (an object or null), so any one holds.
        return st.one_of([_strategy(document, branch, depth) for branch in branches])
    return st.one_of([_of_type(document, schema, kind, depth) for kind in _types(schema)])


# -- the strategies -----------------------------------------------------------------


@functools.cache
def tasks(profile: str = "doc") -> st.SearchStrategy[dict[str, Any]]:
    """One task (`components.schemas.Task`) as a server of `profile` may send it."""
    document = _document(profile)
    return _strategy(document, _schema(document, "Task"))


@functools.cache
def buttons(profile: str = "doc") -> st.SearchStrategy[dict[str, Any]]:
    """One button (`components.schemas.Button`) of a task's `buttons` under `profile`."""
    document = _document(profile)
    return _strategy(document, _schema(document, "Button"))


@functools.cache
def list_by_condition_answers(profile: str = "doc") -> st.SearchStrategy[list[dict[str, Any]]]:
    """A 200 answer of `POST /mj/task/list-by-condition` under `profile`: a list of tasks."""
    return st.lists(tasks(profile), max_size=MAX_ITEMS)
