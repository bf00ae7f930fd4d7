"""Python identifiers from spec names, sanitised in one place."""

from __future__ import annotations

import keyword
import re

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_IDENT = re.compile(r"[^0-9A-Za-z]+")
_RESERVED = frozenset({"self", "close", "aclose", "service"})


def snake(name: str) -> str:
    """`listByCondition` -> `list_by_condition`; `task-id` -> `task_id`; keywords get a `_`."""
    spaced = _WORD_BOUNDARY.sub("_", name)
    ident = _NOT_IDENT.sub("_", spaced).strip("_").lower() or "value"
    if ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident) or ident in _RESERVED:
        ident += "_"
    return ident


def pascal(name: str) -> str:
    """`list-by condition` -> `ListByCondition`; `listByCondition` -> `ListByCondition`."""
    parts = [p for p in _NOT_IDENT.split(name) if p]
    ident = "".join(p[0].upper() + p[1:] for p in parts) or "Model"
    return "_" + ident if ident[0].isdigit() else ident
