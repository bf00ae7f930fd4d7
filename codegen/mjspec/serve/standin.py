"""What a family's stand-in serves, derived from its profile (pure, but for `load_profile`).

`served_tasks(profile)` is the default tasks (`refdata`, with the profile's known actions,
statuses and bot types) after the profile's `x-mjspec-served` rules: on every Task field,
and on the fields of nested schemas (`properties.finalPrompt`, `buttons[].style`), the
first rule that applies to a task's status and the field's value decides whether the field
is absent or which value it has; `x-mjspec-served-extra` on the Task adds the family's
further fields. The profile `doc` has no rules, so its stand-in serves the default tasks
as they are.

`task_problems` checks tasks (a recorded file, say) against a profile's documented fields,
one line per problem: `task '1730621826053455' (item 3), field `buttons[3].style`: ...`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mjspec.conform.checks import NotAnObject, observe_task
from mjspec.conform.fields import FieldSpec, derive_fields, item_schema, json_type
from mjspec.profiles import (
    DOC,
    Profile,
    profile_file,
    read_profile,
    served_rules,
)
from mjspec.serve.refdata import task_dicts
from mjspec.spec import copy_tree, deref, packaged_spec_path

_MAX_DEPTH = 16


def load_profile(name: str = DOC, spec_path: Path | None = None) -> Profile:
    """One profile by name (`doc` without reading any overlay); a UsageError names the choices.

    Kept for the process while its files are unchanged: the servers and `record` look their
    profile up by name, and reading and checking the spec costs a tenth of a second or more.
    """
    path = packaged_spec_path() if spec_path is None else spec_path
    overlay = profile_file(path, name)
    files = [path] if overlay is None else [path, overlay]
    return _read_profile(path, name, tuple(_signature(f) for f in files))


def _signature(path: Path) -> tuple[int, int] | None:
    """What tells a changed file from the one read before (None: it cannot be read)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _read_profile(path: Path, name: str, signatures: tuple[object, ...]) -> Profile:
    # `signatures` only keys the cache: a changed spec or overlay is read again
    return read_profile(path, name)


def served_tasks(profile: Profile) -> list[dict[str, Any]]:
    """The tasks the profile's stand-in serves, as JSON objects, in id order."""
    document = profile.document
    # `doc` keeps its default tasks exactly as they always were (no status "").
    tasks = task_dicts(document, blank_status=profile.name != DOC)
    return [serve_task(task, document) for task in tasks]


def serve_task(task: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """One task as the profile's family serves it: its served rules applied, extras added."""
    return _apply(task, item_schema(document), document, task.get("status"), 0)


def _apply(
    value: Mapping[str, Any],
    schema: Mapping[str, Any],
    document: Mapping[str, Any],
    status: Any,
    depth: int,
) -> dict[str, Any]:
    served = dict(value)  # key order kept: a replaced value stays where it was
    for name, field_schema in (schema.get("properties") or {}).items():
        for rule in served_rules(field_schema):
            if rule.applies(status, served.get(name)):
                if rule.absent:
                    served.pop(name, None)
                else:
                    served[name] = copy_tree(rule.value)
                break
        if name in served and depth < _MAX_DEPTH:
            served[name] = _nested(served[name], field_schema, document, status, depth + 1)
    for name, extra in (schema.get("x-mjspec-served-extra") or {}).items():
        served.setdefault(name, copy_tree(extra))
    return served


def _nested(
    value: Any, schema: Mapping[str, Any], document: Mapping[str, Any], status: Any, depth: int
) -> Any:
    """A field's value with the rules of its object (or array item) schema applied."""
    if isinstance(value, dict):
        found = _object_schema(document, schema)
        return _apply(value, found, document, status, depth) if found else value
    if isinstance(value, list):
        items = next((s["items"] for s in _alternatives(document, schema) if "items" in s), None)
        found = _object_schema(document, items) if items is not None else None
        if found:
            return [
                _apply(item, found, document, status, depth) if isinstance(item, dict) else item
                for item in value
            ]
    return value


def _resolved(document: Mapping[str, Any], schema: Any) -> Mapping[str, Any]:
    try:
        schema = deref(document, schema)
    except KeyError:
        return {}
    return schema if isinstance(schema, Mapping) else {}


def _alternatives(document: Mapping[str, Any], schema: Any) -> Iterator[Mapping[str, Any]]:
    """The schema itself, then each `anyOf`/`oneOf` member, resolved."""
    resolved = _resolved(document, schema)
    yield resolved
    for key in ("anyOf", "oneOf"):
        for member in resolved.get(key) or ():
            yield _resolved(document, member)


def _object_schema(document: Mapping[str, Any], schema: Any) -> Mapping[str, Any] | None:
    return next((s for s in _alternatives(document, schema) if s.get("properties")), None)


# -- checking tasks against a profile ---------------------------------------------------


def task_problems(tasks: Any, document: Mapping[str, Any]) -> list[str]:
    """Every way `tasks` (decoded JSON) is not an array of tasks the document allows."""
    if not isinstance(tasks, list):
        return [f"expected a JSON array of tasks, found a JSON {json_type(tasks)}"]
    fields = derive_fields(document, optional=True)
    problems: list[str] = []
    for index, task in enumerate(tasks):
        if not isinstance(task, dict):
            problems.append(f"item {index}: a JSON {json_type(task)}, documented: a task object")
            continue
        where = f"task {task.get('id')!r} (item {index})"
        # an array item that is not an object is reported once, not once per field under it
        found = dict.fromkeys(_field_problems(task, fields))
        problems += [f"{where}, {problem}" for problem in found]
    return problems


def _field_problems(task: dict[str, Any], fields: Sequence[FieldSpec]) -> Iterator[str]:
    by_path = {spec.path: spec for spec in fields}
    for seen in observe_task(task, fields):
        spec = by_path[seen.path]
        documented = f"documented: {spec.type_name}"
        if seen.status == "missing" and spec.required:
            yield f"field `{seen.location}`: required field is missing ({documented})"
        elif seen.status == "null":
            yield f"field `{seen.location}`: is null ({documented}, not nullable)"
        elif seen.status == "wrong_type" and isinstance(seen.value, NotAnObject):
            parent = seen.location.rpartition(".")[0]
            item = seen.value.item
            found = f"a JSON {json_type(item)} ({item!r:.40})"
            yield f"field `{parent}`: {found}, documented: an object"
        elif seen.status == "wrong_type":
            shown = repr(seen.value)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            yield f"field `{seen.location}`: a JSON {json_type(seen.value)} ({shown}), {documented}"


__all__ = ["load_profile", "serve_task", "served_tasks", "task_problems"]
