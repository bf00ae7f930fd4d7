"""Models with datamodel-code-generator, and an index of what it generated.

datamodel-code-generator is pinned exactly in pyproject.toml: its output is committed.
Models are msgspec Structs: decoding and type-checking a response with them is faster
than parsing it with orjson alone, and their errors name the JSON path of a bad field.

Two rewrites keep the models readable, and neither changes how they decode:

* a field's description becomes its attribute docstring rather than an
  `Annotated[..., Meta(description=...)]` (`field_docs` takes the descriptions, titles and
  examples out of the properties before generation, `add_field_docs` writes them back
  as docstrings);
* a component schema with no type (any JSON value) makes no model: it would be a public
  alias of `Any` (`without_untyped_schemas`); what refers to it is typed `Any` instead.

Importing datamodel-code-generator is most of a cold `mjspec generate`: `Models` can run
it in a worker (`mjspec.worker`; this module run as `python -m mjspec.generate.modelgen`)
that imports it while the spec is read and checked, and generates every document's models
once they are known. Its output is the same as here: the same function on the same JSON.
"""

from __future__ import annotations

import ast
import contextlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from mjspec.collector import one_shot
from mjspec.errors import GenerateError
from mjspec.worker import Closing, Worker, serve

# The worker (`main`) imports this module and the generator, and of mjspec's only what this
# module imports (errors, collector, worker): the rest is imported by the functions that the
# process rendering the files calls.


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelIndex:
    """The classes and aliases a models module defines, and each class's attribute per JSON name."""

    names: frozenset[str]
    attributes: dict[str, dict[str, str]]

    def attribute(self, model: str, json_name: str) -> str:
        try:
            return self.attributes[model][json_name]
        except KeyError:
            msg = f"the generated models have no attribute for {model}.{json_name}"
            raise GenerateError(msg) from None


# keywords that only document a value: they do not change what decodes
_DOC_KEYWORDS = ("description", "title", "examples", "example")
# keywords that give a schema a type; a schema with none of them accepts any JSON value
_TYPING_KEYWORDS = frozenset(
    {
        "type", "properties", "items", "prefixItems", "additionalProperties",
        "patternProperties", "$ref", "allOf", "anyOf", "oneOf", "not", "enum", "const",
    }
)  # fmt: skip


def generate_models(doc: dict[str, Any], header: str) -> str:
    """Python source of msgspec models for the component schemas of a normalized spec."""
    with Models(worker=False) as models:
        models.submit([(doc, header)])
        return models.results()[0]


class Models(Closing):
    """`generate_models` for several documents: in a worker, or in this process.

    With a worker, it starts on construction and imports the generator at once; `submit`
    hands it the documents, `results` waits for their models. Whenever the worker cannot be
    used (it did not start, crashed, hung past `worker.TIMEOUT` seconds, or the documents
    are not JSON) the models are generated here instead. `worker=None` (the default) starts
    one unless the generator is imported in this process already (a one-off command pays
    for the import in the worker; a process that has paid it renders here).
    """

    def __init__(self, *, worker: bool | None = None) -> None:
        if worker is None:
            worker = "datamodel_code_generator" not in sys.modules
        self._worker = Worker("mjspec.generate.modelgen") if worker else None
        self._jobs: list[tuple[dict[str, Any], dict[str, dict[str, str]], str]] = []
        self.answered_by_worker = False
        """Whether `results()` came from the worker (for tests and curiosity)."""

    @property
    def in_worker(self) -> bool:
        """Whether a worker is generating (or will generate) the models."""
        return self._worker is not None and self._worker.started

    def submit(self, documents: Sequence[tuple[dict[str, Any], str]]) -> None:
        """The normalized documents and their files' headers, in order; once."""
        if self._jobs:
            raise RuntimeError("Models.submit is called once, with every document")
        for doc, header in documents:
            bare, docs = field_docs(without_untyped_schemas(doc))
            self._jobs.append((bare, docs, header))
        jobs = [[bare, header] for bare, _, header in self._jobs]
        if self._worker is not None and not self._worker.send(jobs):
            self.close()

    def results(self) -> list[str]:
        """Each submitted document's models source; raises `GenerateError` as here."""
        answers = None
        if self._worker is not None:
            answers = _answers(self._worker.answer(), len(self._jobs))
        self.answered_by_worker = answers is not None
        if answers is None:
            answers = [("ok", _generate(bare, header)) for bare, _, header in self._jobs]
        sources = []
        for (kind, text), (_, docs, _) in zip(answers, self._jobs, strict=True):
            if kind != "ok":
                raise GenerateError(text)
            sources.append(add_field_docs(text, docs))
        return sources

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None


def _answers(answer: Any, count: int) -> list[tuple[str, str]] | None:
    """The worker's `[[kind, text], ...]`, or None when it is not that."""
    if not (isinstance(answer, list) and len(answer) == count):
        return None
    found = []
    for item in answer:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and item[0] in ("ok", "error")
            and isinstance(item[1], str)
        ):
            return None
        found.append((item[0], item[1]))
    return found


def without_untyped_schemas(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `doc` without the component schemas that have no type; refs to them become `{}`."""
    from mjspec.generate.normalize import SCHEMAS
    from mjspec.spec import copy_tree  # here: the worker imports nothing of the spec stage

    out: dict[str, Any] = copy_tree(dict(doc))
    schemas: dict[str, Any] = out.get("components", {}).get("schemas") or {}
    untyped = {
        name
        for name, schema in schemas.items()
        if isinstance(schema, dict) and not _TYPING_KEYWORDS & schema.keys()
    }
    for name in untyped:
        del schemas[name]
    refs = {SCHEMAS + name for name in untyped}

    def untype(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("$ref") in refs:
                return {k: v for k, v in node.items() if k != "$ref"}
            return {k: untype(v) for k, v in node.items()}
        if isinstance(node, list):
            return [untype(v) for v in node]
        return node

    return untype(out)  # type: ignore[no-any-return]


def field_docs(doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """A copy of `doc` whose component properties carry no documentation, and that text.

    The text is `{class name: {JSON name: description}}`: each description, or title when
    there is none, followed by its examples; the class's own description is under "".
    """
    from mjspec.spec import copy_tree

    out: dict[str, Any] = copy_tree(dict(doc))
    docs: dict[str, dict[str, str]] = {}
    schemas = out.get("components", {}).get("schemas") or {}
    for name, schema in schemas.items():
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict):
            continue
        text = _doc_text(
            {key: schema.pop(key) for key in ("description", "title") if key in schema}
        )
        if text:
            docs.setdefault(name, {})[""] = text
        for json_name, prop in properties.items():
            if not isinstance(prop, dict):
                continue
            taken = {key: prop.pop(key) for key in _DOC_KEYWORDS if key in prop}
            text = _doc_text(taken)
            if text:
                docs.setdefault(name, {})[json_name] = text
    return out, docs


def _doc_text(taken: Mapping[str, Any]) -> str:
    text = str(taken.get("description") or taken.get("title") or "").strip()
    examples = taken.get("examples")
    if not isinstance(examples, list):
        examples = [taken["example"]] if "example" in taken else []
    if examples:
        shown = ", ".join(json.dumps(e, ensure_ascii=False) for e in examples)
        text += ("\n\n" if text else "") + f"Example{'s' if len(examples) > 1 else ''}: {shown}"
    return text


def add_field_docs(source: str, docs: Mapping[str, Mapping[str, str]]) -> str:
    """`source` with a docstring after each attribute that `docs` documents (see `field_docs`)."""
    from mjspec.generate.names import docstring

    tree = ast.parse(source)
    after: dict[int, str] = {}  # line number (1-based) -> the docstring that follows it
    before: dict[int, str] = {}  # line number -> the class docstring that precedes it
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name not in docs:
            continue
        by_attribute = {a: j for j, a in _class_attributes(node).items()}
        first = node.body[0]
        if docs[node.name].get("") and not _is_docstring(first):
            column = first.col_offset
            before[first.lineno] = " " * column + docstring(docs[node.name][""], column) + "\n"
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                text = docs[node.name].get(by_attribute[statement.target.id])
                if text and statement.end_lineno is not None:
                    column = statement.col_offset
                    after[statement.end_lineno] = " " * column + docstring(text, column)
    lines = source.splitlines()
    out: list[str] = []
    for number, line in enumerate(lines, start=1):
        if number in before:
            out.append(before[number])
        out.append(line)
        if number in after:
            out.append(after[number])
    return "\n".join(out) + "\n"


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _generate(doc: dict[str, Any], header: str) -> str:
    # imported here: a cached `mjspec generate` does not need it, and it is slow to import
    from datamodel_code_generator import PythonVersion, generate
    from datamodel_code_generator.enums import DataModelType, InputFileType

    try:
        source = generate(
            json.dumps(doc, sort_keys=False, ensure_ascii=False),
            input_file_type=InputFileType.OpenAPI,
            output_model_type=DataModelType.MsgspecStruct,
            target_python_version=PythonVersion.PY_311,
            snake_case_field=True,
            use_standard_collections=True,
            use_union_operator=True,
            disable_timestamp=True,
            strict_nullable=True,
            formatters=[],
            custom_file_header=header,
        )
    except Exception as exc:  # the generator's own errors have no common base class
        raise GenerateError(f"datamodel-code-generator failed: {exc}") from exc
    if not isinstance(source, str):
        raise GenerateError("datamodel-code-generator returned several modules; expected one")
    return source


def index_models(source: str) -> ModelIndex:
    """Read the class names and field aliases out of generated model source."""
    tree = ast.parse(source)
    names: set[str] = set()
    attributes: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
            attributes[node.name] = _class_attributes(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return ModelIndex(names=frozenset(names), attributes=attributes)


def _class_attributes(node: ast.ClassDef) -> dict[str, str]:
    found: dict[str, str] = {}
    for statement in node.body:
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        attribute = statement.target.id
        json_name = attribute
        value = statement.value
        if isinstance(value, ast.Call):
            for keyword in value.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    json_name = str(keyword.value.value)
        found[json_name] = attribute
    return found


def _generate_each(jobs: list[list[Any]]) -> list[list[str]]:
    answers = []
    for bare, header in jobs:
        try:
            answers.append(["ok", _generate(bare, header)])
        except GenerateError as exc:
            answers.append(["error", str(exc)])
    return answers


def _warm() -> None:
    """Import what a first generation imports, before the documents arrive."""
    with contextlib.suppress(ImportError):
        import datamodel_code_generator.config
        import datamodel_code_generator.model.msgspec
        import datamodel_code_generator.parser.openapi  # noqa: F401


def main() -> NoReturn:
    """The worker: [[document, header], ...] on stdin, [[kind, source or message], ...] out."""
    one_shot()
    _warm()
    serve(_generate_each)


if __name__ == "__main__":
    main()
