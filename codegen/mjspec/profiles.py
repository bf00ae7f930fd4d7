"""Implementation profiles: the contract as each server family serves it (OpenAPI Overlays).

A profile is an OpenAPI Overlay 1.0 document in `profiles/<name>.yaml` next to the spec
(`spec/profiles/` in a checkout, `mjapi/profiles/*.json` in the installed package). The
profile `doc` is the spec itself. `apply_overlay` is pure: it finds each action's target
with an RFC 9535 JSONPath library and applies `update` (objects merged recursively, other
values replaced; appended when the target is an array) or `remove`. Every target must
match at least one node, and the result must be a valid OpenAPI document: a profile that
silently does nothing would judge servers against the wrong contract.

What a profile says about the wire is read back out of the overlaid document, never
hand-kept beside it: `auth_ways` (from the operation's security), `request_media_types`
(from the request body), and, through the `x-mjspec-served` extension on each field, how
the family's stand-in server fills a task (`mjspec serve --profile`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mjspec.errors import SpecError, SpecProblem, UsageError
from mjspec.spec import (
    check_spec,
    copy_tree,
    deref,
    describe,
    load_spec,
    parse_document,
    pointer_join,
)

if TYPE_CHECKING:
    from jsonpath_rfc9535 import JSONPathQuery

DOC = "doc"
OPERATION_PATH = "/mj/task/list-by-condition"
OVERLAY_SUFFIXES = (".yaml", ".yml", ".json")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AuthWay:
    """One way of sending the key: `Authorization: Bearer <key>`, or raw in a header."""

    header: str
    bearer: bool = False

    @property
    def label(self) -> str:
        return f"{self.header}: Bearer" if self.bearer else f"{self.header} (raw)"

    def headers(self, token: str) -> dict[str, str]:
        return {self.header: f"Bearer {token}" if self.bearer else token}

    def key(self) -> tuple[str, bool]:
        return (self.header.lower(), self.bearer)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """One profile: its name, what it says, and the overlaid OpenAPI document."""

    name: str
    title: str
    description: str
    document: dict[str, Any]
    source: str
    """Where it came from: the overlay's path, or the spec's for `doc`."""
    overlay: dict[str, Any] | None = None

    @property
    def module_name(self) -> str:
        """A Python identifier for the profile: `new-api` -> `new_api`."""
        return self.name.replace("-", "_")

    @property
    def auth_ways(self) -> tuple[AuthWay, ...]:
        return auth_ways(self.document)

    @property
    def auth_optional(self) -> bool:
        return any(not requirement for requirement in _security(self.document))

    @property
    def request_media_types(self) -> tuple[str, ...]:
        return request_media_types(self.document)


# -- the overlay --------------------------------------------------------------------


def _problem(source: str, pointer: str, message: str) -> SpecProblem:
    return SpecProblem(source=source, pointer=pointer, message=message)


def _merge(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    """Overlay 1.0 update of an object: objects merge recursively, other values replace."""
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy_tree(value)


def _check_overlay_shape(overlay: Any, source: str) -> list[SpecProblem]:
    if not isinstance(overlay, dict):
        return [_problem(source, "", f"expected an Overlay document, found {describe(overlay)}")]
    problems = []
    version = overlay.get("overlay")
    if not isinstance(version, str) or not version.startswith("1."):
        found = describe(version)
        message = f"expected an Overlay version 1.x, found {found}"
        problems.append(_problem(source, "/overlay", message))
    info = overlay.get("info")
    if not isinstance(info, dict) or not isinstance(info.get("title"), str):
        problems.append(_problem(source, "/info", "expected an object with a string title"))
    actions = overlay.get("actions")
    if not isinstance(actions, list) or not actions:
        problems.append(_problem(source, "/actions", "expected a non-empty array of actions"))
        return problems
    for index, action in enumerate(actions):
        where = pointer_join("/actions", index)
        if not isinstance(action, dict):
            found = describe(action)
            problems.append(_problem(source, where, f"expected an object, found {found}"))
            continue
        if not isinstance(action.get("target"), str):
            found = describe(action.get("target")) if "target" in action else "nothing"
            problems.append(
                _problem(source, f"{where}/target", f"expected a JSONPath string, found {found}")
            )
        remove = action.get("remove", False)
        if not isinstance(remove, bool):
            problems.append(
                _problem(source, f"{where}/remove", f"expected a boolean, found {describe(remove)}")
            )
        if remove and "update" in action:
            problems.append(_problem(source, where, "an action has either update or remove: true"))
        if not remove and "update" not in action:
            problems.append(_problem(source, where, "an action needs update or remove: true"))
    return problems


def apply_overlay(document: Mapping[str, Any], overlay: Any, source: str) -> dict[str, Any]:
    """The document with the overlay's actions applied, in order; pure.

    Raises SpecError naming the overlay file and the action's JSON pointer when the
    overlay is malformed, a target is not valid JSONPath, or a target matches nothing.
    """
    import jsonpath_rfc9535 as jsonpath

    problems = _check_overlay_shape(overlay, source)
    if problems:
        raise SpecError(problems)
    result: dict[str, Any] = copy_tree(dict(document))
    for index, action in enumerate(overlay["actions"]):
        where = pointer_join("/actions", index)
        try:
            nodes = _query(action["target"]).find(result)
        except jsonpath.JSONPathError as exc:
            message = f"not a valid RFC 9535 JSONPath: {str(exc).splitlines()[0]}"
            raise SpecError([_problem(source, f"{where}/target", message)]) from None
        if not nodes:
            message = f"the target {action['target']} matches nothing in the document"
            raise SpecError([_problem(source, f"{where}/target", message)])
        # Deepest first and from the end, so removing one node never moves another.
        locations = sorted((tuple(n.location) for n in nodes), key=_location_order, reverse=True)
        for location in locations:
            _apply_action(result, location, action, source, where)
    return result


@functools.lru_cache(maxsize=256)
def _query(target: str) -> JSONPathQuery:
    """A target compiled once: every run's profiles apply the same few overlays."""
    import jsonpath_rfc9535 as jsonpath

    return jsonpath.compile(target)


def _location_order(location: tuple[str | int, ...]) -> tuple[int, tuple[str, ...]]:
    return (len(location), tuple(f"{p:010d}" if isinstance(p, int) else p for p in location))


def _apply_action(
    document: dict[str, Any],
    location: tuple[str | int, ...],
    action: Mapping[str, Any],
    source: str,
    where: str,
) -> None:
    parent: Any = None
    node: Any = document
    for part in location:
        parent, node = node, node[part]
    if action.get("remove", False):
        if parent is None:
            raise SpecError([_problem(source, f"{where}/target", "cannot remove the root")])
        del parent[location[-1]]
        return
    update = action["update"]
    if isinstance(node, list):
        # An array target grows: by each item of an array update, or by the update itself.
        node.extend(copy_tree(update) if isinstance(update, list) else [copy_tree(update)])
    elif isinstance(node, dict) and isinstance(update, Mapping):
        _merge(node, update)
    else:
        message = f"cannot update {describe(node)} with {describe(update)}"
        raise SpecError([_problem(source, f"{where}/update", message)])


# -- loading ------------------------------------------------------------------------


def overlay_files(spec_path: Path) -> dict[str, Path]:
    """{profile name: overlay file} from `profiles/` next to the spec, sorted by name."""
    folder = spec_path.parent / "profiles"
    found: dict[str, Path] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix in OVERLAY_SUFFIXES and _NAME.match(path.stem) and path.stem != DOC:
                found.setdefault(path.stem, path)
    return found


def _read_overlay(path: Path) -> dict[str, Any]:
    source = path.as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([_problem(source, "", f"cannot read the overlay: {exc}")]) from None
    overlay = parse_document(text, source)
    problems = _check_overlay_shape(overlay, source)
    if problems:
        raise SpecError(problems)
    return dict(overlay)


def build_profile(
    name: str,
    document: Mapping[str, Any],
    overlay: dict[str, Any],
    source: str,
    *,
    check: bool = True,
    validate: bool = True,
) -> Profile:
    """Apply one overlay and check the result as an OpenAPI document; pure."""
    overlaid = apply_overlay(document, overlay, source)
    problems = check_spec(overlaid, checked_label(source), validate=validate) if check else []
    if problems:
        raise SpecError(problems)
    info = overlay["info"]
    return Profile(
        name=name,
        title=str(info["title"]),
        description=str(info.get("description", "")).strip(),
        document=overlaid,
        source=source,
        overlay=overlay,
    )


def doc_profile(document: dict[str, Any], source: str) -> Profile:
    info = document.get("info", {})
    return Profile(
        name=DOC,
        title="the document",
        description="The API page as written: every field required, with its documented type. "
        + str(info.get("summary", "")).strip(),
        document=document,
        source=source,
    )


def checked_label(overlay_source: str) -> str:
    """How problems in an overlaid document name it."""
    return f"{overlay_source} applied to the spec"


def load_profiles(
    spec_path: Path,
    document: dict[str, Any] | None = None,
    *,
    check: bool = True,
    validate: bool = True,
) -> dict[str, Profile]:
    """`doc` first, then every overlay next to the spec, each applied and checked.

    `validate=False` runs only our own checks, not openapi-spec-validator (see check_spec).
    """
    if document is None:
        document = load_spec(spec_path, check=check, validate=validate)
    profiles = {DOC: doc_profile(document, spec_path.as_posix())}
    for name, path in overlay_files(spec_path).items():
        overlay = _read_overlay(path)
        source = path.as_posix()
        profiles[name] = build_profile(
            name, document, overlay, source, check=check, validate=validate
        )
    return profiles


def read_profile(spec_path: Path, name: str) -> Profile:
    """One profile of the spec: `doc`, or the named overlay applied and checked.

    Reads the spec and that one overlay only (`load_profiles` reads them all); a
    KeyError when no overlay of that name is next to the spec.
    """
    document = load_spec(spec_path)
    if name == DOC:
        return doc_profile(document, spec_path.as_posix())
    path = overlay_files(spec_path)[name]
    return build_profile(name, document, _read_overlay(path), path.as_posix())


def profile_names(spec_path: Path) -> list[str]:
    return [DOC, *overlay_files(spec_path)]


def unknown_profile(name: str, choices: Iterable[str]) -> str:
    """What every command says about a profile name it does not know."""
    return f"unknown profile {name!r}; choose one of: {', '.join(choices)}"


def profile_file(spec_path: Path, name: str) -> Path | None:
    """The overlay file of profile `name` (None for `doc`); a UsageError naming the choices
    when the spec has no such profile. A directory listing: nothing is read or parsed."""
    if name == DOC:
        return None
    overlays = overlay_files(spec_path)
    if name not in overlays:
        raise UsageError(unknown_profile(name, [DOC, *overlays]))
    return overlays[name]


def select(profiles: Mapping[str, Profile], wanted: str) -> list[Profile]:
    """`all`, or one name; a UsageError names the choices otherwise."""
    if wanted == "all":
        return list(profiles.values())
    if wanted not in profiles:
        raise UsageError(unknown_profile(wanted, [*profiles, "all"]))
    return [profiles[wanted]]


# -- what a profile says about the wire ---------------------------------------------


def operation(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The operation `POST /mj/task/list-by-condition` of a document ({} when it has none)."""
    found = (document.get("paths") or {}).get(OPERATION_PATH, {}).get("post", {})
    return found if isinstance(found, Mapping) else {}


def _security(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    security = operation(document).get("security", document.get("security", []))
    return [r for r in security if isinstance(r, Mapping)] if isinstance(security, list) else []


def auth_ways(document: Mapping[str, Any]) -> tuple[AuthWay, ...]:
    """How the key may be sent, in the profile's order of preference (from `security`)."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    ways: list[AuthWay] = []
    for requirement in _security(document):
        for name in requirement:
            scheme = schemes.get(name, {})
            way: AuthWay | None = None
            if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                way = AuthWay(header="Authorization", bearer=True)
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                way = AuthWay(header=str(scheme.get("name")))
            if way is not None and way.key() not in {w.key() for w in ways}:
                ways.append(way)
    return tuple(ways)


def request_media_types(document: Mapping[str, Any]) -> tuple[str, ...]:
    body = operation(document).get("requestBody", {})
    return tuple(body.get("content", {})) if isinstance(body, Mapping) else ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServedRule:
    """One rule of `x-mjspec-served`: when it applies, and what the field then is."""

    statuses: frozenset[str] | None = None
    """Applies when the task's status is one of these (None: any status)."""
    when_empty: bool = False
    """Applies when the field's value is empty (`""`, `[]`, `0`, null)."""
    absent: bool = False
    value: Any = None

    def applies(self, status: Any, value: Any) -> bool:
        if self.statuses is not None and status not in self.statuses:
            return False
        return not self.when_empty or value in ("", [], 0, None, {})


def served_rules(schema: Mapping[str, Any]) -> tuple[ServedRule, ...]:
    """The `x-mjspec-served` rules of a field's schema (none: served as the document says)."""
    rules = []
    for raw in schema.get("x-mjspec-served", ()) or ():
        when = raw.get("when", {}) or {}
        statuses = when.get("status")
        rules.append(
            ServedRule(
                statuses=frozenset(str(s) for s in statuses) if statuses is not None else None,
                when_empty=bool(when.get("empty", False)),
                absent=bool(raw.get("absent", False)),
                value=raw.get("value"),
            )
        )
    return tuple(rules)


def differences(base: Mapping[str, Any], other: Mapping[str, Any]) -> list[str]:
    """What `other` changes in the Task (and its nested schemas) against `base`, one line each."""
    from mjspec.conform.fields import derive_fields

    lines = []
    before = {f.path: f for f in derive_fields(base, optional=True)}
    after = {f.path: f for f in derive_fields(other, optional=True)}
    for path, field in after.items():
        old = before.get(path)
        if old is None:
            lines.append(f"+ {path}: {field.describe()}")
        elif old.describe() != field.describe():
            lines.append(f"~ {path}: {old.describe()} -> {field.describe()}")
    lines += [f"- {path}" for path in before if path not in after]
    ways = ", ".join(w.label for w in auth_ways(other)) or "none"
    if auth_ways(base) != auth_ways(other):
        lines.append(f"~ auth: {ways}")
    if request_media_types(base) != request_media_types(other):
        lines.append(f"~ request bodies: {', '.join(request_media_types(other))}")
    before_answers, after_answers = answers(base), answers(other)
    for status, shape in after_answers.items():
        if before_answers.get(status) != shape:
            lines.append(f"~ answer {status}: {shape}")
    return lines


def answers(document: Mapping[str, Any]) -> dict[str, str]:
    """Each declared answer of the operation but 200: `4XX: application/json SpringError`."""
    found = {}
    for status, declared in (operation(document).get("responses") or {}).items():
        if str(status) == "200":
            continue
        try:
            response = deref(document, declared)
        except KeyError:
            continue
        if not isinstance(response, Mapping):
            continue
        content = response.get("content") or {}
        shapes = []
        for media_type, media in content.items():
            schema = media.get("schema", {}) if isinstance(media, Mapping) else {}
            ref = schema.get("$ref", "") if isinstance(schema, Mapping) else ""
            shapes.append(f"{media_type} {ref.rpartition('/')[2]}".strip())
        found[str(status)] = ", ".join(shapes) or "an empty body"
    return found


def error_answers(document: Mapping[str, Any]) -> list[str]:
    """The component schemas marked `x-mjspec-error-answer`: errors sent with a 2xx status."""
    schemas = document.get("components", {}).get("schemas", {})
    return [
        name
        for name, schema in schemas.items()
        if isinstance(schema, Mapping) and schema.get("x-mjspec-error-answer") is True
    ]


def summary(profiles: Mapping[str, Profile]) -> str:
    """What `mjspec profiles` prints: each profile, where it comes from, how it sends the key
    and its bodies, and how it differs from doc (`differences`)."""
    base = profiles[DOC].document if DOC in profiles else {}
    blocks = []
    for profile in profiles.values():
        ways = ", ".join(w.label for w in profile.auth_ways) or "none"
        lines = [
            f"{profile.name}: {profile.title}",
            f"  source: {profile.source}",
            f"  auth{' (optional)' if profile.auth_optional else ''}: {ways}",
            f"  request bodies: {', '.join(profile.request_media_types) or 'none'}",
        ]
        errors = error_answers(profile.document)
        if errors:
            lines.append(f"  errors answered with a 2xx status: {', '.join(errors)}")
        if profile.name == DOC:
            lines.append("  differences from doc: none (it is the document)")
        else:
            found = differences(base, profile.document)
            lines.append(f"  differences from doc: {len(found) or 'none'}")
            lines += [f"    {line}" for line in found]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


__all__ = [
    "DOC",
    "AuthWay",
    "Profile",
    "ServedRule",
    "apply_overlay",
    "auth_ways",
    "differences",
    "error_answers",
    "load_profiles",
    "overlay_files",
    "profile_names",
    "request_media_types",
    "select",
    "served_rules",
    "summary",
]
