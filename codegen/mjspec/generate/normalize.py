"""Prepare a checked spec for model generation: pure, returns a new document.

Two rewrites, so that every type the client and server stubs name is a component
schema with a predictable Python class name:

* component schemas are renamed to their Python class names (`task-list` -> `TaskList`)
  and every `$ref` to them follows;
* an inline object schema of a request body or a success response (or the items of
  such an array) is hoisted into `components/schemas` as `<OperationId>Request`,
  `<OperationId>Response` or `<OperationId>ResponseItem`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mjspec.errors import SpecError, SpecProblem
from mjspec.generate.names import pascal, snake
from mjspec.spec import HTTP_METHODS, copy_tree, pointer_join, pointer_parts

SCHEMAS = "#/components/schemas/"
_COMPOSITE = ("properties", "allOf", "anyOf", "oneOf", "additionalProperties")


def normalize(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """A copy of `doc` with component schemas renamed and inline body/response objects hoisted."""
    out: dict[str, Any] = copy_tree(doc)
    schemas: dict[str, Any] = out.setdefault("components", {}).setdefault("schemas", {})
    renames: dict[str, str] = {}
    problems: list[SpecProblem] = []
    for name in schemas:
        new = pascal(name)
        if new in renames.values():
            problems.append(_clash(source, name, new))
        renames[name] = new
    out["components"]["schemas"] = {renames[name]: schema for name, schema in schemas.items()}
    _rename_refs(out, renames)
    schemas = out["components"]["schemas"]
    for pointer, operation in iter_operations(out):
        base = pascal(operation_id(operation, pointer))
        body = operation.get("requestBody")
        if isinstance(body, dict):
            for media in (body.get("content") or {}).values():
                _hoist(media, f"{base}Request", schemas, source, pointer, problems)
        for status, response in (operation.get("responses") or {}).items():
            if str(status).startswith("2") and isinstance(response, dict):
                for media in (response.get("content") or {}).values():
                    _hoist(media, f"{base}Response", schemas, source, pointer, problems)
    if problems:
        raise SpecError(problems)
    return out


def iter_operations(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON pointer, operation object) for every operation, sorted by path then method."""
    paths = doc.get("paths") or {}
    for path in sorted(paths):
        item = paths[path]
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict):
                yield pointer_join("/paths", path, method), operation


def operation_id(operation: dict[str, Any], pointer: str) -> str:
    """The operationId, or one made from the method and path when the spec gives none."""
    given = operation.get("operationId")
    if isinstance(given, str) and given:
        return given
    _, path, method = pointer_parts(pointer)
    return snake(f"{method}_{path}")


def _is_inline_object(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and "$ref" not in schema
        and (schema.get("type") == "object" or any(key in schema for key in _COMPOSITE))
    )


def _hoist(
    media: Any,
    name: str,
    schemas: dict[str, Any],
    source: str,
    pointer: str,
    problems: list[SpecProblem],
) -> None:
    if not isinstance(media, dict):
        return
    schema = media.get("schema")
    if _is_inline_object(schema):
        media["schema"] = _register(schema, name, schemas, source, pointer, problems)
    elif isinstance(schema, dict) and _is_inline_object(schema.get("items")):
        schema["items"] = _register(
            schema["items"], name + "Item", schemas, source, pointer, problems
        )


def _register(
    schema: Any,
    name: str,
    schemas: dict[str, Any],
    source: str,
    pointer: str,
    problems: list[SpecProblem],
) -> dict[str, str]:
    existing = schemas.get(name)
    if existing is not None and existing != schema:
        problems.append(
            SpecProblem(
                source=source,
                pointer=pointer,
                message=f"cannot name this operation's inline schema {name!r}: "
                "a component schema of that name exists (give the schema a $ref instead)",
            )
        )
    schemas[name] = schema
    return {"$ref": SCHEMAS + name}


def _rename_refs(node: Any, renames: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS):
            head, _, rest = ref[len(SCHEMAS) :].partition("/")
            old = pointer_parts("/" + head)[0]
            if old in renames:
                node["$ref"] = SCHEMAS + renames[old] + ("/" + rest if rest else "")
        for value in node.values():
            _rename_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, renames)


def _clash(source: str, name: str, new: str) -> SpecProblem:
    return SpecProblem(
        source=source,
        pointer=pointer_join("/components/schemas", name),
        message=f"schema name {name!r} becomes the Python class name {new!r}, "
        "which another schema already takes",
    )
