"""Documents derived from the spec: valid ones (Hypothesis strategies, and `populated`, one
task with every documented field), and every single-field defect.

Nothing here lists fields by hand: add a required field to the spec and it is drawn,
round-tripped, and broken in every way below.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from mjspec.spec import copy_tree, load_spec, resolve

ROOT = Path(__file__).resolve().parent.parent
SPEC = load_spec(ROOT / "spec" / "openapi.yaml", validate=False)  # test_spec validates it
RESPONSE_SCHEMA: dict[str, Any] = SPEC["paths"]["/mj/task/list-by-condition"]["post"]["responses"][
    "200"
]["content"]["application/json"]["schema"]
TASK_SCHEMA: dict[str, Any] = resolve(SPEC, RESPONSE_SCHEMA["items"]["$ref"])

INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# For each JSON type, values of another JSON type (a numeric string and a float for integers).
WRONG_VALUES: dict[str, list[Any]] = {
    "string": [1, 2.5, True, [], {}],
    "integer": ["1", "1730621826053", 1.5, 1.0, True, [], {}],
    "number": ["1.5", True, [], {}],
    "boolean": ["true", 1, [], {}],
    "array": [{}, "[]", 1, True],
    "object": [[], "{}", 1, True],
}
DEFECTS = ("missing", "null", "wrong_type")


def deref(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = resolve(SPEC, schema["$ref"])
    return schema


def json_type(schema: dict[str, Any]) -> str:
    declared = deref(schema).get("type")
    if isinstance(declared, list):
        return str(next(t for t in declared if t != "null"))
    return str(declared)


@dataclass(frozen=True)
class FieldPath:
    """A required field, as keys from the task; "[]" stands for any item of an array."""

    parts: tuple[str, ...]
    type: str

    def __str__(self) -> str:
        return ".".join(self.parts).replace(".[]", "[]")

    def concrete(self, index: int) -> str:
        """The path with each array item at `index`: `buttons[3].style`."""
        return str(self).replace("[]", f"[{index}]")


def required_paths(schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[FieldPath]:
    """Every required field path under an object schema, nested objects and array items included."""
    schema = deref(schema)
    found: list[FieldPath] = []
    for name in schema.get("required", []):
        child = deref(schema["properties"][name])
        path = (*prefix, name)
        found.append(FieldPath(path, json_type(child)))
        if json_type(child) == "object":
            found += required_paths(child, path)
        elif json_type(child) == "array" and json_type(child.get("items", {})) == "object":
            found += required_paths(child["items"], (*path, "[]"))
    return found


TASK_PATHS = required_paths(TASK_SCHEMA)


def from_schema(schema: dict[str, Any], *, min_items: int = 0) -> st.SearchStrategy[Any]:
    """JSON values valid for a schema (the subset the spec uses), with extra keys where allowed."""
    schema = deref(schema)
    kind = json_type(schema)
    if kind == "string":
        return st.text(max_size=12)
    if kind == "integer":
        low, high = INT_RANGES.get(schema.get("format", "int64"), INT_RANGES["int64"])
        return st.integers(low, high)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(
            from_schema(schema.get("items", {}), min_items=min_items),
            min_size=min_items,
            max_size=3,
        )
    properties = schema.get("properties", {})
    required = {
        name: from_schema(properties[name], min_items=min_items)
        for name in schema.get("required", [])
    }
    optional = {
        name: from_schema(sub, min_items=min_items)
        for name, sub in properties.items()
        if name not in required
    }
    extras = (
        st.dictionaries(st.sampled_from(["videoUrl", "seed", "extra"]), st.integers(), max_size=2)
        if schema.get("additionalProperties", True) is not False
        else st.just({})
    )
    return st.tuples(st.fixed_dictionaries(required, optional=optional), extras).map(
        lambda pair: {**pair[1], **pair[0]}
    )


def populated(schema: dict[str, Any]) -> Any:
    """One valid value with every documented property (optional ones too), two items in
    every array and an undocumented key wherever extra keys are allowed."""
    schema = deref(schema)
    kind = json_type(schema)
    if kind == "array":
        return [populated(schema.get("items", {})) for _ in range(2)]
    if kind == "object":
        value = {name: populated(sub) for name, sub in schema.get("properties", {}).items()}
        if schema.get("additionalProperties", True) is not False:
            value["extra"] = {"undocumented": [1, "two"]}
        return value
    examples: dict[str, Any] = {"string": "text", "integer": 7, "number": 1.5, "boolean": True}
    return examples[kind]


def tasks(*, min_items: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    return from_schema(TASK_SCHEMA, min_items=min_items)


def project(value: Any, schema: dict[str, Any]) -> Any:
    """The part of a JSON value the schema describes (models keep no extra keys)."""
    schema = deref(schema)
    if isinstance(value, dict) and "properties" in schema:
        return {
            k: project(v, schema["properties"][k])
            for k, v in value.items()
            if k in schema["properties"]
        }
    if isinstance(value, list) and "items" in schema:
        return [project(v, schema["items"]) for v in value]
    return value


@dataclass(frozen=True)
class Broken:
    """A response body with one defect, and where it is."""

    body: list[dict[str, Any]]
    index: int
    path: str
    defect: str


def break_field(task: dict[str, Any], field: FieldPath, defect: str, replacement: Any) -> None:
    """Apply a defect to `field` of `task`, in place, through item 0 of every array on the way."""
    node: Any = task
    parts = [p for p in field.parts]
    for part in parts[:-1]:
        node = node[0] if part == "[]" else node[part]
    last = parts[-1]
    if defect == "missing":
        del node[last]
    elif defect == "null":
        node[last] = None
    else:
        node[last] = replacement


def set_at_path(task: dict[str, Any], path: str, value: object) -> None:
    """Put `value` at a dot-separated path (numbers index lists); `...` removes the field."""
    *parents, last = path.split(".")
    node: Any = task
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value


EXAMPLE: list[dict[str, Any]] = SPEC["paths"]["/mj/task/list-by-condition"]["post"]["responses"][
    "200"
]["content"]["application/json"]["example"]
VALID_TASKS = {"the spec's example": EXAMPLE[0], "every documented field": populated(TASK_SCHEMA)}
"""The valid tasks every defect is put into."""


def broken_bodies(field: FieldPath, defect: str) -> Iterator[tuple[str, Broken]]:
    """Each way to break `field` with `defect` (each wrong value of its type) in a body of
    three copies of each valid task, the broken one first, in the middle or last in turn:
    every wrong value and every place, for each of the valid tasks (where a wrong value is
    put does not change what it is, nor where the broken task is what it is broken with),
    deterministic, with a label for each body."""
    replacements = WRONG_VALUES[field.type] if defect == "wrong_type" else [None]
    for name, task in VALID_TASKS.items():
        for n in range(max(3, len(replacements))):
            index, replacement = n % 3, replacements[n % len(replacements)]
            body = [dict(copy_tree(task), id=f"task-{k}") for k in range(3)]
            break_field(body[index], field, defect, replacement)
            label = f"{name}, task {index}, {replacement!r}"
            yield label, Broken(body=body, index=index, path=field.concrete(0), defect=defect)
