"""Models with datamodel-code-generator, and an index of what it generated.

datamodel-code-generator is pinned exactly in pyproject.toml: its output is committed.
Models are msgspec Structs: decoding and type-checking a response with them is faster
than parsing it with orjson alone, and their errors name the JSON path of a bad field.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

from datamodel_code_generator import PythonVersion, generate
from datamodel_code_generator.enums import DataModelType, InputFileType

from mjspec.errors import GenerateError


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


def generate_models(doc: dict[str, Any], header: str) -> str:
    """Python source of msgspec models for the component schemas of a normalized spec."""
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
