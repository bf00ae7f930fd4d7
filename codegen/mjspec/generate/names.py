"""Python identifiers from spec names, sanitised in one place."""

from __future__ import annotations

import keyword
import re
import sys
import textwrap

from mjspec.errors import UsageError

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_IDENT = re.compile(r"[^0-9A-Za-z]+")
_RESERVED = frozenset({"self", "close", "aclose", "service"})

DEFAULT_PACKAGE = "mjapi"  # this repository's own generated/
_PACKAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# what the generated code imports by absolute name: a package of that name would shadow it
_IMPORTED = frozenset({"anyio", "fastapi", "httpx", "msgspec", "multipart", "starlette"})


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


def package_name(name: str) -> str:
    """`name` when it can be the generated package's name; a one-line UsageError if not.

    One top-level package (no dots): an ASCII identifier starting with a letter, not a
    keyword, not a module of the standard library, not a package the generated code imports.
    """
    if not _PACKAGE_NAME.fullmatch(name):
        why = "the dotted name of a subpackage" if "." in name else "not a Python identifier"
        raise UsageError(
            f"package name {name!r}: {why}; give one top-level package name "
            "(ASCII letters, digits and _, starting with a letter), e.g. acme_mj"
        )
    if keyword.iskeyword(name):
        raise UsageError(f"package name {name!r}: a Python keyword cannot be imported")
    if name in sys.stdlib_module_names or name in _IMPORTED:
        raise UsageError(
            f"package name {name!r}: it would shadow the module {name!r} "
            "(of the standard library or a dependency of the generated code)"
        )
    return name


def distribution_name(package: str) -> str:
    """The distribution of a generated package: `acme_mj` -> `acme-mj`, `mjapi` -> `mjapi`."""
    return "-".join(part for part in package.split("_") if part)


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
