"""Python identifiers from spec names, sanitised in one place."""

from __future__ import annotations

import keyword
import re
import textwrap

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


def docstring(text: str, indent: int, width: int = 100) -> str:
    """A docstring literal of `text` whose continuation lines are indented by `indent` spaces.

    Lines longer than `width` (indent included) are wrapped; backslashes and quotes that
    would end the literal are escaped.
    """
    limit = max(width - indent - 6, 20)  # room for the quotes
    lines: list[str] = []
    for line in text.strip().splitlines() or [""]:
        long = len(line) > limit
        lines.extend(textwrap.wrap(line, limit, break_on_hyphens=False) if long else [line])
    escaped = "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    first, *rest = escaped.splitlines() or [""]
    if not rest:
        return f'"""{first[:-1]}\\""""' if first.endswith('"') else f'"""{first}"""'
    pad = " " * indent
    body = "\n".join(pad + line.rstrip() if line.strip() else "" for line in rest)
    return f'"""{first}\n{body}\n{pad}"""'
