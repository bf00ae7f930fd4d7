"""Required field paths of the task in a 200 answer, derived from the spec (pure).

The walk starts at the 200 response schema of the operation, resolves local
`$ref`s, and records every required property with its documented JSON types.
Objects nest with a dot (`properties.finalZhPrompt`), array items with `[]`
(`buttons[].style`). Adding a required field to the spec adds a path here.

`x-mjspec-stable` on a property says how its value may change between answers
(`consistency.py`): `true`, never during the task's life (id, prompt, submitTime); absent,
only while the task runs; `false`, in any answer (a family that varies it per request).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from mjspec.errors import SpecShapeError
from mjspec.spec import deref, fold_all_of

OPERATION_PATH = "/mj/task/list-by-condition"
OPERATION_METHOD = "post"

JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")


__all__ = ["FieldSpec", "SpecShapeError", "derive_fields", "item_schema"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """One documented field: where it sits in a task and which JSON types it may have."""

    path: str
    """Display path: `id`, `buttons[].style`, `properties.finalZhPrompt`."""
    steps: tuple[str, ...]
    """Walk from the task: property names, and `[]` for every array item."""
    types: frozenset[str]
    """Documented JSON types; `integer` excludes floats and bools."""
    required: bool = True
    """False for a documented field a server may leave out (checked when present)."""
    expected: bool = True
    """Required all the way from the task: a run must see it before it can pass."""
    seen_in: str = ""
    """Which tasks show it (`x-mjspec-seen-in` of the field or its nearest parent)."""
    stable: bool | None = None
    """`x-mjspec-stable`: True, never changes during a task's life; None, settled once the
    task ends; False, may differ between any two answers."""

    @property
    def type_name(self) -> str:
        return " | ".join(sorted(self.types))

    def describe(self) -> str:
        """`required string | null`, `optional array`."""
        return f"{'required' if self.required else 'optional'} {self.type_name}"


def json_type(value: object) -> str:
    """The JSON type of a decoded value: a bool is not an integer, a float is a number."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def type_matches(value: object, types: frozenset[str]) -> bool:
    actual = json_type(value)
    # JSON Schema: an integer is also a number; a float is never an integer.
    return actual in types or (actual == "integer" and "number" in types)


def _resolve(spec: Mapping[str, Any], schema: Any) -> Any:
    try:
        return deref(spec, schema)
    except KeyError as exc:
        raise SpecShapeError(f"$ref {exc.args[0]!r} points nowhere or round in a circle") from None


def _merged(spec: Mapping[str, Any], schema: Any) -> dict[str, Any]:
    """The schema with `allOf` members folded in (`spec.fold_all_of`), `required` and
    `properties` always present."""
    if not isinstance(_resolve(spec, schema), Mapping):
        return {}
    merged = fold_all_of(spec, schema, _resolve)
    merged.setdefault("required", [])
    merged.setdefault("properties", {})
    return merged


def _branches(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The members of an `anyOf`/`oneOf`, each resolved and merged."""
    found = []
    for key in ("anyOf", "oneOf"):
        found += [_merged(spec, member) for member in schema.get(key, ()) or ()]
    return found


def _types(schema: Mapping[str, Any], spec: Mapping[str, Any] | None = None) -> frozenset[str]:
    branches = _branches(spec, schema) if spec is not None and "type" not in schema else []
    if branches:
        union: set[str] = set()
        for branch in branches:
            union |= _types(branch, spec)
        return frozenset(union)
    if "const" in schema and "type" not in schema:
        return frozenset({json_type(schema["const"])})
    declared = schema.get("type")
    if isinstance(declared, str):
        types = {declared}
    elif isinstance(declared, list):
        types = {t for t in declared if isinstance(t, str)}
    elif "properties" in schema or "required" in schema:
        types = {"object"}
    elif "items" in schema:
        types = {"array"}
    else:
        types = set(JSON_TYPES)  # unconstrained
    if schema.get("nullable") is True:
        types.add("null")
    return frozenset(types)


def _stability(raw: Any, merged: Mapping[str, Any]) -> bool | None:
    """`x-mjspec-stable` of a property (beside a `$ref`, or in the schema it points to)."""
    for schema in (raw, merged):
        if isinstance(schema, Mapping) and isinstance(schema.get("x-mjspec-stable"), bool):
            return bool(schema["x-mjspec-stable"])
    return None


def _object_part(spec: Mapping[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The object (or array) branch of a schema that may also be null."""
    for branch in _branches(spec, schema):
        if _types(branch, spec) & {"object", "array"}:
            return branch
    return schema


def _walk(
    spec: Mapping[str, Any],
    schema: Any,
    prefix: str,
    steps: tuple[str, ...],
    depth: int,
    optional: bool,
    expected: bool = True,
    seen_in: str = "",
) -> Iterator[FieldSpec]:
    if depth > 16:  # recursive schemas: stop rather than loop
        return
    merged = _merged(spec, schema)
    properties = merged.get("properties", {})
    required = list(dict.fromkeys(merged.get("required", [])))
    names = [*required, *(n for n in properties if n not in required)] if optional else required
    for name in names:
        raw = properties.get(name, {})
        sub = _merged(spec, raw)
        types = _types(sub, spec)
        path = f"{prefix}{name}"
        here = name in required
        hint = str(
            (raw.get("x-mjspec-seen-in") if isinstance(raw, Mapping) else None)
            or sub.get("x-mjspec-seen-in")
            or seen_in
        )
        yield FieldSpec(
            path=path,
            steps=(*steps, name),
            types=types,
            required=here,
            expected=expected and here,
            seen_in=hint,
            stable=_stability(raw, sub),
        )
        part = _object_part(spec, sub)
        nested = part.get("required") or (optional and part.get("properties"))
        deeper = (depth + 1, optional, expected and here, hint)
        if "object" in types and (types - {"null"} == {"object"} or nested):
            yield from _walk(spec, part, f"{path}.", (*steps, name), *deeper)
        elif "array" in types and "items" in part:
            items = _merged(spec, part["items"])
            if items.get("required") or (optional and items.get("properties")):
                yield from _walk(spec, items, f"{path}[].", (*steps, name, "[]"), *deeper)


def item_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The schema of one element of the 200 array (the Task)."""
    try:
        operation = spec["paths"][OPERATION_PATH][OPERATION_METHOD]
        content = _resolve(spec, operation["responses"]["200"])["content"]
        schema = _merged(spec, content["application/json"]["schema"])
    except (KeyError, TypeError) as exc:
        raise SpecShapeError(
            f"the spec has no application/json 200 answer for "
            f"{OPERATION_METHOD.upper()} {OPERATION_PATH} (missing {exc})"
        ) from None
    arrays = [b for b in _branches(spec, schema) if _types(b, spec) == {"array"}]
    if arrays:  # `oneOf: [array of tasks, an error object answered with 200]`
        schema = arrays[0]
    if _types(schema, spec) != {"array"} or "items" not in schema:
        raise SpecShapeError("the 200 answer is not declared as a JSON array")
    return _merged(spec, schema["items"])


def error_answer_schemas(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Object branches of the 200 answer marked `x-mjspec-error-answer` (an error sent as 200)."""
    operation = spec["paths"][OPERATION_PATH][OPERATION_METHOD]
    content = _resolve(spec, operation["responses"]["200"])["content"]
    schema = _merged(spec, content["application/json"]["schema"])
    return [b for b in _branches(spec, schema) if b.get("x-mjspec-error-answer") is True]


def derive_fields(spec: Mapping[str, Any], *, optional: bool = False) -> tuple[FieldSpec, ...]:
    """Every required field path of a task, nested ones included, in spec order.

    With `optional`, documented fields a server may leave out follow the required ones
    (`required=False`): they are checked whenever they are present.
    """
    return tuple(_walk(spec, item_schema(spec), "", (), 0, optional))
