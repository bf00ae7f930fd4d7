"""The fast path of the field checks: msgspec types built from a profile's field specs.

A task that decodes cleanly into them conforms in every documented field (each present
field has one of its JSON types, nothing required is missing), so only the tasks that do
not are walked field by field (`checks.observe_task`), which names what is wrong. The
types are built at run time from `fields.derive_fields`, so the fast path follows any
spec and any profile, not only the generated models. A spec whose types msgspec cannot
express (an unsupported union) simply has no fast path.

JSON types map to msgspec types: string `str`, integer `int` (no floats, no booleans),
number `float` (integers too), boolean `bool`, null `None`, object a Struct of its
documented fields (unknown fields ignored) or `dict`, array a `list` of its item type.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Sequence
from typing import Any

import msgspec

from mjspec.conform.fields import JSON_TYPES, FieldSpec

_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": None,
}


@dataclasses.dataclass(slots=True)
class _Node:
    """A documented field and what is documented under it."""

    path: str = ""
    name: str = ""
    attr: str = ""
    types: frozenset[str] = frozenset()
    required: bool = True
    children: dict[str, _Node] = dataclasses.field(default_factory=dict)
    items: _Node | None = None
    struct: Any = None


Counts = dict[str, dict[str, int]]


class FastTasks:
    """Decodes an answer's tasks into types built from the field specs, and counts them."""

    def __init__(self, fields: Sequence[FieldSpec]) -> None:
        self._root = _tree(fields)
        self._list: msgspec.json.Decoder[list[Any]] | None = None
        self._task: Any = None
        try:
            task_type = _struct(self._root, "Task")
            self._list = msgspec.json.Decoder(list[task_type])  # type: ignore[valid-type]
            self._task = task_type
        except (TypeError, ValueError):  # a type msgspec cannot express: no fast path
            pass
        id_node = self._root.children.get("id")
        self._id_attr = id_node.attr if id_node is not None else None

    @property
    def available(self) -> bool:
        return self._list is not None

    def decode(self, content: bytes) -> list[Any] | None:
        """Every task, decoded; None when any task (or the shape) is off the documented path."""
        if self._list is None:
            return None
        try:
            tasks: list[Any] = self._list.decode(content)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            return None  # the walk names what is wrong
        return tasks

    def convert(self, task: dict[str, Any]) -> Any:
        """One decoded task as the fast type; None when it is off the documented path."""
        if self._task is None:
            return None
        try:
            return msgspec.convert(task, self._task)
        except msgspec.ValidationError:
            return None

    def task_id(self, task: Any) -> Any:
        if self._id_attr is None:
            return None
        value = getattr(task, self._id_attr, msgspec.UNSET)
        return None if value is msgspec.UNSET else value

    def count(self, tasks: list[Any], counts: Counts) -> None:
        """Add the ok and absent counts of every documented path over `tasks`."""
        _count(self._root, tasks, counts)


def _tree(fields: Sequence[FieldSpec]) -> _Node:
    root = _Node()
    for spec in fields:
        node = root
        for step in spec.steps[:-1]:
            if step == "[]":
                node.items = node.items or _Node()
                node = node.items
            else:
                node = node.children.setdefault(step, _Node(name=step))
        leaf = node.children.setdefault(spec.steps[-1], _Node(name=spec.steps[-1]))
        leaf.path, leaf.types, leaf.required = spec.path, spec.types, spec.required
    return root


def _struct(node: _Node, name: str) -> Any:
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    for index, (json_name, child) in enumerate(node.children.items()):
        child.attr = f"f{index}"
        rename[child.attr] = json_name
        annotation = _annotation(child, f"{name}_{index}")
        if child.required:
            fields.append((child.attr, annotation))
        else:
            fields.append((child.attr, annotation | msgspec.UnsetType, msgspec.UNSET))
    struct = msgspec.defstruct(name, fields, rename=rename, kw_only=True, gc=False)
    node.struct = struct
    return struct


def _annotation(node: _Node, name: str) -> Any:
    if node.types >= frozenset(JSON_TYPES) or not node.types:
        return Any
    members: list[Any] = []
    for kind in sorted(node.types):
        if kind in _SCALARS:
            members.append(_SCALARS[kind])
        elif kind == "object":
            members.append(_struct(node, name) if node.children else dict[str, Any])
        elif kind == "array":
            items = node.items
            if items is not None and items.children:
                members.append(list[_struct(items, f"{name}_item")])  # type: ignore[misc]
            else:
                members.append(list[Any])
    return functools.reduce(operator.or_, members[1:], members[0])


def _count(node: _Node, objects: list[Any], counts: Counts) -> None:
    for child in node.children.values():
        values = [getattr(o, child.attr) for o in objects]
        present = [v for v in values if v is not msgspec.UNSET]
        tally = counts.setdefault(child.path, {"ok": 0, "absent": 0})
        tally["ok"] += len(present)
        tally["absent"] += len(values) - len(present)
        if child.children and child.struct is not None:
            nested = [v for v in present if isinstance(v, child.struct)]
            if nested:
                _count(child, nested, counts)
        items = child.items
        if items is not None and items.children and items.struct is not None:
            elements = [i for v in present if isinstance(v, list) for i in v]
            if elements:
                _count(items, elements, counts)
