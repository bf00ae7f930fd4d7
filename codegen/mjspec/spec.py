"""Load a spec file and check that the generator can use it.

`load_spec` is the only function here that touches the disk; `check_spec` is pure and
returns every problem it finds, each with the file and JSON pointer of its place.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import yaml

from mjspec.errors import SpecError, SpecProblem, UsageError

T = TypeVar("T")
D = TypeVar("D", bound=Mapping[str, Any])

JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
FORMATS = {"integer": ("int32", "int64"), "number": ("float", "double")}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# libyaml's safe loader where PyYAML was built with it: ten times faster on the spec.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCHEMA_CHILDREN = ("items", "additionalProperties", "not", "contains", "propertyNames")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
# Keys whose values are data, not spec: a "$ref" inside them is just a string.
_DATA_KEYS = frozenset(
    {
        "example",
        "examples",
        "x-known-values",
        "default",
        "enum",
        "const",
        "x-mjspec-served",
        "x-mjspec-served-extra",
    }
)


def pointer_join(pointer: str, *parts: str | int) -> str:
    """Extend a JSON pointer, escaping `~` and `/` in each part (RFC 6901)."""
    for part in parts:
        pointer += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return pointer


def pointer_parts(pointer: str) -> list[str]:
    """The unescaped parts of a JSON pointer (`/paths/~1a~0b` -> `["paths", "/a~b"]`), RFC 6901.

    The inverse of `pointer_join`: `~1` is undone before `~0`, so `~01` stays `~1`.
    """
    return [raw.replace("~1", "/").replace("~0", "~") for raw in pointer.split("/")[1:]]


def describe(value: Any) -> str:
    """A short description of a JSON value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return f"an object with keys {sorted(map(str, value))[:6]}"


def load_spec(path: Path, *, check: bool = True, validate: bool = True) -> dict[str, Any]:
    """Read a YAML or JSON spec file and (unless `check` is false) check it for generation.

    Raises SpecError naming the file and place.
    """
    source = path.as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([SpecProblem(source=source, pointer="", message="no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read the file: {exc}"
        raise SpecError([SpecProblem(source=source, pointer="", message=msg)]) from None
    return parse_spec(text, source, check=check, validate=validate)


def parse_spec(
    text: str, source: str, *, check: bool = True, validate: bool = True
) -> dict[str, Any]:
    """Parse spec text (YAML or JSON) and check it (what it finds is kept per text and per
    content, see `parse_document` and `ByContent`)."""
    doc = parse_document(text, source)
    if not isinstance(doc, dict):
        msg = f"expected an OpenAPI document (a mapping), found {describe(doc)}"
        raise SpecError([SpecProblem(source=source, pointer="", message=msg)])
    problems = check_spec(doc, source, validate=validate) if check else []
    if problems:
        raise SpecError(problems)
    return doc


# The deepest nesting a document may have: far beyond any real spec, well within the
# recursion that walking it takes.
MAX_DEPTH = 200
# Leaves whose `repr` tells each from every other value: a default repr holds a reusable
# memory address, and a cycle prints as `[...]` (`tree_problem` refuses cycles).
_PLAIN_LEAVES = (str, int, float, bool, type(None), datetime.date)
# The most values a document may hold once its YAML aliases are expanded (a spec has a few
# thousand): nine nested aliases of nine items each make a billion, which no walk ends.
MAX_VALUES = 1_000_000


def parse_document(text: str, source: str) -> Any:
    """YAML or JSON text as a tree of plain values; SpecError naming the file and place.

    A YAML alias inside the node it names (`&a [*a]`) makes a value that contains itself,
    and very deep nesting one no walk can finish: both are refused here, once, for every
    stage after. The tree shares no node, as JSON cannot: YAML aliases are copied out, so
    a stage that changes one place changes no other, and a text gives the same tree
    however often it is read. A text JSON can hold is parsed once per process
    (`_PARSED`).
    """
    kept = _PARSED.get(text)
    if kept is not None:
        return json.loads(kept)
    try:
        doc = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        msg = f"not valid YAML or JSON{where}: {problem}"
        raise SpecError([SpecProblem(source=source, pointer="", message=msg)]) from None
    found = tree_problem(doc)
    if found is not None:
        raise SpecError([SpecProblem(source=source, pointer=found[0], message=found[1])])
    rebuilt = _PARSED.put(text, doc)
    return rebuilt if rebuilt is not None else copy_tree(doc)


def copy_tree(value: Any) -> Any:
    """A copy of a tree of dicts and lists (a parsed document, checked by `tree_problem`)
    that shares no dict or list with it, nor any between two of its places; several times
    faster than `copy.deepcopy`, which keeps YAML's sharing. Leaves are not copied."""
    if isinstance(value, dict):
        return {key: copy_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_tree(item) for item in value]
    return value


def tree_problem(value: Any, *, plain: bool = False) -> tuple[str, str] | None:
    """(pointer, message) where `value` is not a finite tree of bounded depth and size
    (`MAX_DEPTH`, `MAX_VALUES`), or None; with `plain`, also where a leaf or a key is not a
    plain value (`_PLAIN_LEAVES`: a tuple is not one, nor anything whose default repr holds
    a memory address).

    A node that YAML aliases share is walked once: its size and height are kept by its
    identity, so aliases of aliases (a billion values from a few lines) cost what their
    text does. The recursion ends by `MAX_DEPTH`.
    """
    seen: dict[int, tuple[int, int]] = {}  # id -> (values, height) of a node walked
    open_ids: set[int] = set()  # the containers on the current path
    parts: list[str | int] = []

    def problem(message: str) -> _TreeProblem:
        return _TreeProblem(pointer_join("", *parts), message)

    def walk(node: Any, depth: int) -> tuple[int, int]:
        if not isinstance(node, dict | list):
            if plain and not isinstance(node, _PLAIN_LEAVES):
                raise problem(f"not a plain value: {type(node).__name__}")
            return 1, 0
        key = id(node)
        if key in open_ids:
            raise problem("a YAML alias inside the node it names: the value would be infinite")
        values, height = seen.get(key) or (1, 1)
        if key not in seen:
            if depth >= MAX_DEPTH:
                raise problem(f"nested more than {MAX_DEPTH} levels deep")
            open_ids.add(key)
            if plain and isinstance(node, dict):
                odd = next((k for k in node if not isinstance(k, _PLAIN_LEAVES)), None)
                if odd is not None:
                    raise problem(f"a key that is not a plain value: {type(odd).__name__}")
            for part, child in node.items() if isinstance(node, dict) else enumerate(node):
                parts.append(part)
                child_values, child_height = walk(child, depth + 1)
                values, height = values + child_values, max(height, child_height + 1)
                if values > MAX_VALUES:
                    raise problem(
                        f"more than {MAX_VALUES:,} values once its YAML aliases are expanded "
                        "(aliases inside aliases repeat the nodes they name)"
                    )
                parts.pop()
            open_ids.discard(key)
            seen[key] = values, height
        elif depth + height > MAX_DEPTH:  # a shared node, deeper here than where first met
            raise problem(f"nested more than {MAX_DEPTH} levels deep")
        return values, height

    try:
        walk(value, 0)
    except _TreeProblem as found:
        return found.pointer, found.message
    return None


class _TreeProblem(Exception):
    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


class _ParsedTexts:
    """Parsed texts kept as JSON: a file read again (each run's profiles, a fleet, a test
    suite) is rebuilt by `json.loads`, several times faster than parsing YAML, into new
    objects each time. A value JSON would change (a date, an integer key) is not kept: its
    text is parsed on every read."""

    def __init__(self, kept: int = 64) -> None:
        self._kept = kept
        self._texts: dict[str, str] = {}

    def get(self, text: str) -> str | None:
        return self._texts.get(text)

    def put(self, text: str, value: Any) -> Any:
        """Keep `value` as JSON for `text`; a new tree rebuilt from that JSON (it is how the
        JSON is checked), or None when JSON would change the value."""
        try:
            dumped = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            return None
        rebuilt = json.loads(dumped)
        if rebuilt != value:
            return None
        if len(self._texts) >= self._kept:
            self._texts.clear()
        self._texts[text] = dumped
        return rebuilt


_PARSED = _ParsedTexts()


def check_spec(doc: Mapping[str, Any], source: str, *, validate: bool = True) -> list[SpecProblem]:
    """Every problem that stops generation: OpenAPI validity, references, types, formats.

    `validate=False` leaves out openapi-spec-validator (our own checks only): the
    generator runs it in a second process beside rendering (`mjspec.validation`).
    """
    version = doc.get("openapi")
    if not isinstance(version, str) or not version.startswith(("3.0.", "3.1.")):
        found = describe(version) if "openapi" in doc else "nothing"
        msg = f"unsupported OpenAPI version: expected a string 3.0.x or 3.1.x, found {found}"
        return [SpecProblem(source=source, pointer="/openapi", message=msg)]
    problems = [
        SpecProblem(source=source, pointer=pointer, message=message)
        for pointer, message in _STRUCTURE.get(doc, _structure)
    ]
    if problems or not validate:
        # The validator cannot resolve a broken reference and locates nested schema
        # errors relative to the schema, so our own, precise findings come first.
        return problems
    from mjspec.validation import validator_problems

    return validator_problems(doc, source)


_NOTHING = object()
"""What `ByContent` keeps under no key (a kept value may be None)."""


class Kept(Protocol[T]):
    """Where a `ByContent` keeps values beyond its process (`mjspec.validation`'s verdicts
    on disk): `load` gives None for a value it does not have."""

    def load(self, digest: bytes) -> T | None: ...

    def store(self, digest: bytes, value: T) -> None: ...


class ByContent(Generic[T]):
    """Values computed from a document, kept by the document's content digest.

    For pure functions of a document that one process computes many times over (a fleet,
    the profiles of every run, a test suite): equal documents share one value, a changed
    one gets its own. Values are shared, so callers only read them. At most `kept`
    documents are remembered; `beyond` also keeps them for the next process.
    """

    def __init__(self, kept: int = 64, *, beyond: Kept[T] | None = None) -> None:
        self._kept = kept
        self._beyond = beyond
        self._values: dict[bytes, T] = {}

    def get(self, doc: D, make: Callable[[D], T]) -> T:
        """`make(doc)`, computed once per content."""
        key = content_digest(doc)
        if key is None:
            return make(doc)
        found = self._kept_value(key)
        if found is _NOTHING:
            found = make(doc)
            if self._beyond is not None:
                self._beyond.store(key, found)
            self._remember(key, found)
        return found  # type: ignore[return-value]  # not _NOTHING: a T

    def recall(self, doc: Mapping[Any, Any]) -> T | None:
        """The value kept for `doc`'s content, here or beyond, or None: none is kept (or
        the value is None: `get` tells them apart)."""
        key = content_digest(doc)
        found = _NOTHING if key is None else self._kept_value(key)
        return None if found is _NOTHING else found  # type: ignore[return-value]

    def _kept_value(self, key: bytes) -> T | object:
        """The value kept under `key`, here or beyond, or `_NOTHING`. One lookup of the dict:
        another thread may clear it meanwhile."""
        found = self._values.get(key, _NOTHING)
        if found is _NOTHING and self._beyond is not None:
            beyond = self._beyond.load(key)
            if beyond is not None:
                self._remember(key, beyond)
                found = beyond
        return found

    def _remember(self, key: bytes, value: T) -> None:
        if len(self._values) >= self._kept:
            self._values.clear()  # the simplest bound: a process meets few documents
        self._values[key] = value


def content_digest(doc: Mapping[Any, Any]) -> bytes | None:
    """The document's content digest; None for a value `repr` might not tell apart (one
    `tree_problem(..., plain=True)` finds) or that nests too deeply to print.

    Taken over `marshal` format 2, which writes values only: no references (format 3 on
    records which equal values are one object, a YAML anchor or a string the JSON decoder
    reused, so the same document parsed twice could get two digests), a type code for
    each value (`1`, `"1"`, `True` and `1.0` differ) and dict items in their order. It
    is about twenty times faster than the walk and `repr` below, which remain for what
    marshal does not write: a date, a value of another type, a cycle, a deep nesting.
    The two never give one input: each hashes a prefix of its own.
    """
    import hashlib
    import marshal

    value: Any = doc  # any Mapping: marshal refuses what is not a plain dict (ValueError)
    try:
        data = b"m" + marshal.dumps(value, 2)
    except ValueError:
        if tree_problem(doc, plain=True) is not None:  # `repr` might not tell it apart
            return None
        try:
            data = b"r" + repr(doc).encode("utf-8", "surrogatepass")
        except RecursionError:
            return None
    return hashlib.blake2b(data, digest_size=20).digest()


_STRUCTURE: ByContent[list[tuple[str, str]]] = ByContent()
"""Our own checks' findings (pointer, message), for the documents met again."""


def resolve(doc: Mapping[str, Any], ref: str) -> Any:
    """The value a local `$ref` points to; KeyError if it points nowhere."""
    if not ref.startswith("#"):
        raise KeyError(ref)
    node: Any = doc
    for part in pointer_parts(ref[1:]):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(ref)
    return node


def deref(doc: Mapping[str, Any], node: Any, trail: list[str] | None = None) -> Any:
    """`node` with its chain of local `$ref`s followed; KeyError if one points nowhere or
    the chain goes round in a circle. `trail` collects the refs followed. The one resolver
    every stage uses."""
    seen: list[str] = [] if trail is None else trail
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            raise KeyError(ref)
        seen.append(ref)
        node = resolve(doc, ref)
    return node


def fold_all_of(
    doc: Mapping[str, Any],
    schema: Any,
    follow: Callable[[Mapping[str, Any], Any], Any] = deref,
) -> dict[str, Any]:
    """`schema` with its `$ref` chain followed (`follow`) and its `allOf` members folded in:
    their `required` and `properties` joined to its own, any other key taken from the
    schema itself or else from the first member that has it; `{}` for a non-object."""
    schema = follow(doc, schema)
    if not isinstance(schema, Mapping):
        return {}
    folded = {key: value for key, value in schema.items() if key != "allOf"}
    required = list(schema.get("required", []))
    properties = dict(schema.get("properties", {}))
    for member in schema.get("allOf") or ():
        sub = fold_all_of(doc, member, follow)
        required += sub.get("required", [])
        properties.update(sub.get("properties", {}))
        for key, value in sub.items():
            folded.setdefault(key, value)
    if required or "required" in schema:
        folded["required"] = list(dict.fromkeys(required))
    if properties:
        folded["properties"] = properties
    return folded


def _structure(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    return list(_structural_problems(doc))


def _structural_problems(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    refs = list(_ref_problems(doc, doc, ""))
    yield from refs
    for pointer, schema in _schema_roots(doc):
        yield from _schema_problems(schema, pointer)
    if not refs:
        yield from _path_template_problems(doc)


def _path_template_problems(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    paths = doc.get("paths")
    for path, item in paths.items() if isinstance(paths, dict) else ():
        if not isinstance(item, dict):
            continue
        names = [chunk.split("}")[0] for chunk in str(path).split("{")[1:]]
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            declared = set()
            for raw in [*(item.get("parameters") or ()), *(operation.get("parameters") or ())]:
                param = (
                    resolve(doc, raw["$ref"]) if isinstance(raw, dict) and "$ref" in raw else raw
                )
                if isinstance(param, dict) and param.get("in") == "path":
                    declared.add(param.get("name"))
            for name in names:
                if name not in declared:
                    yield (
                        pointer_join("/paths", path, method),
                        f"path template variable {{{name}}} has no path parameter",
                    )


def _ref_problems(doc: Mapping[str, Any], node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/"):
                yield (
                    pointer_join(pointer, "$ref"),
                    f"unsupported $ref {ref!r} (expected a local reference such as "
                    "'#/components/schemas/Name')",
                )
            else:
                try:
                    resolve(doc, ref)
                except KeyError:
                    yield (
                        pointer_join(pointer, "$ref"),
                        f"unresolved $ref {ref!r} (expected a pointer to a part of this file)",
                    )
        in_properties = pointer.endswith("/properties")
        for key, value in node.items():
            if in_properties or key not in _DATA_KEYS:
                yield from _ref_problems(doc, value, pointer_join(pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _ref_problems(doc, value, pointer_join(pointer, index))


def _schema_roots(doc: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    components = doc.get("components")
    if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
        for name, schema in components["schemas"].items():
            yield pointer_join("/components/schemas", name), schema
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield from _operation_schemas(operation, pointer_join("/paths", path, method))


def _operation_schemas(operation: dict[str, Any], pointer: str) -> Iterator[tuple[str, Any]]:
    for index, param in enumerate(operation.get("parameters") or ()):
        if isinstance(param, dict) and "schema" in param:
            yield pointer_join(pointer, "parameters", index, "schema"), param["schema"]
    body = operation.get("requestBody")
    if isinstance(body, dict):
        yield from _content_schemas(body, pointer_join(pointer, "requestBody"))
    for status, response in (operation.get("responses") or {}).items():
        if isinstance(response, dict):
            yield from _content_schemas(response, pointer_join(pointer, "responses", status))


def _content_schemas(holder: dict[str, Any], pointer: str) -> Iterator[tuple[str, Any]]:
    content = holder.get("content")
    if isinstance(content, dict):
        for media, media_object in content.items():
            if isinstance(media_object, dict) and "schema" in media_object:
                yield pointer_join(pointer, "content", media, "schema"), media_object["schema"]


def _schema_problems(schema: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if not isinstance(schema, dict):
        return
    declared = schema.get("type")
    types = declared if isinstance(declared, list) else [declared] if declared else []
    for kind in types:
        if kind not in JSON_TYPES:
            yield (
                pointer_join(pointer, "type"),
                f"unsupported type {kind!r} (expected one of {', '.join(JSON_TYPES)})",
            )
    fmt = schema.get("format")
    for kind in types:
        if kind in FORMATS and fmt is not None and fmt not in FORMATS[kind]:
            yield (
                pointer_join(pointer, "format"),
                f"unsupported format {fmt!r} for {kind} (expected {' or '.join(FORMATS[kind])})",
            )
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, child in properties.items():
            yield from _schema_problems(child, pointer_join(pointer, "properties", name))
        for name in schema.get("required") or ():
            if name not in properties and not schema.get("allOf"):
                yield (
                    pointer_join(pointer, "required"),
                    f"required property {name!r} is not among the properties",
                )
    for key in _SCHEMA_CHILDREN:
        yield from _schema_problems(schema.get(key), pointer_join(pointer, key))
    for key in _SCHEMA_LISTS:
        for index, child in enumerate(schema.get(key) or ()):
            yield from _schema_problems(child, pointer_join(pointer, key, index))


def default_spec_path() -> Path:
    """`spec/openapi.yaml` in a checkout; else the copy the generated package carries."""
    local = Path("spec/openapi.yaml")
    if local.is_file():
        return local
    return packaged_spec_path()


def packaged_spec_path() -> Path:
    """The spec the generated package carries (`mjapi/openapi.json`, its overlays beside it).

    What `serve` and `conform` use unless `--spec` says otherwise: a `spec/openapi.yaml`
    in the working directory may belong to another project. The package is found, not
    imported: importing it imports its client, and httpx with it.
    """
    import importlib.util

    found = importlib.util.find_spec("mjapi")
    folders = list(found.submodule_search_locations or []) if found is not None else []
    if not folders:
        raise UsageError("the mjapi package is not installed: reinstall mjspec")
    return Path(folders[0]) / "openapi.json"
