"""The spec in tools nobody here wrote (`tools/interop.py`; all of them: `nox -s interop`)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import interop

BODY = ("paths", interop.OPERATION, "post", "requestBody", "content")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(interop.SPEC.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def server() -> Iterator[interop.Server]:
    with interop.mjspec_serve() as running:
        yield running


def content(spec: dict[str, Any]) -> dict[str, Any]:
    node: Any = spec
    for key in BODY:
        node = node[key]
    result: dict[str, Any] = node
    return result


def test_json_and_multipart_bodies_have_separate_schemas(spec: dict[str, Any]) -> None:
    """One shared schema made openapi-python-client send every request as multipart."""
    body = content(spec)
    assert list(body) == ["application/json", "multipart/form-data"]
    refs = [media["schema"]["$ref"] for media in body.values()]
    assert refs == [
        "#/components/schemas/ListByConditionRequest",
        "#/components/schemas/ListByConditionForm",
    ]


def test_the_multipart_ids_are_text_parts_without_style_or_explode(spec: dict[str, Any]) -> None:
    """OpenAPI 3.1.0 ignores style/explode outside urlencoded bodies; a JSON type on a text
    part let Prism refuse every multipart body and schemathesis report ST201."""
    form = content(spec)["multipart/form-data"]
    assert form["encoding"] == {"ids": {"contentType": "text/plain"}}
    ids = spec["components"]["schemas"]["ListByConditionForm"]["properties"]["ids"]
    assert "type" not in ids
    assert ids["items"] == {"type": "string"}


def test_the_json_ids_may_still_be_null(spec: dict[str, Any]) -> None:
    ids = spec["components"]["schemas"]["ListByConditionRequest"]["properties"]["ids"]
    assert ids["type"] == ["array", "null"]


def test_every_integer_field_says_fractions_do_not_conform(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    integers = [
        (name, field)
        for name, schema in schemas.items()
        for field, prop in (schema.get("properties") or {}).items()
        if prop.get("type") == "integer"
    ]
    assert len(integers) == 5
    for name, field in integers:
        description = schemas[name]["properties"][field]["description"]
        assert "does not conform" in description, (name, field)
    assert "Integers:" in spec["info"]["description"]


def test_a_bare_schemathesis_run_with_every_check_passes(
    server: interop.Server, tmp_path: Path
) -> None:
    assert "passed" in interop.check_schemathesis(interop.SPEC, server, tmp_path)


def test_pydantic_models_decode_the_example_and_a_live_answer(
    server: interop.Server, tmp_path: Path
) -> None:
    result = interop.check_pydantic_models(interop.SPEC, server, tmp_path)
    assert result == "decoded the example (9 buttons) and 2 live tasks"


@pytest.mark.skipif(
    importlib.util.find_spec("openapi_python_client") is None,
    reason="openapi-python-client is not installed (nox -s interop installs it)",
)
def test_an_openapi_python_client_sends_json(server: interop.Server, tmp_path: Path) -> None:
    result = interop.check_openapi_python_client(interop.SPEC, server, tmp_path)
    assert result.startswith("sent JSON, decoded 2 tasks")
