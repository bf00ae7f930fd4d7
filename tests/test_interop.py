"""The spec in tools nobody here wrote (`tools/interop.py`; all of them: `nox -s interop`)."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mjspec.profiles import load_profiles
from mjspec.serve.refserver import serve_in_thread
from tools import interop

BODY = ("paths", interop.OPERATION, "post", "requestBody", "content")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(interop.SPEC.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def server() -> Iterator[interop.Server]:
    """The reference server in this process (`nox -s interop` runs `mjspec serve`; the
    command itself is test_refserver's)."""
    with serve_in_thread() as running:
        yield interop.Server(base_url=running.base_url, task_ids=tuple(running.task_ids)[:2])


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
    server: interop.Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check and both modes, 5 cases each (`nox -s interop` runs the default 100).

    Run from a fresh directory, Hypothesis would compute its Unicode tables again (2-3 s
    of the run's CPU, where a user's project keeps them in `.hypothesis`): it shares the
    suite's home instead, which changes nothing of what is generated or checked."""
    from mjspec.conform.command import hypothesis_home

    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(hypothesis_home()))
    found = interop.check_schemathesis(interop.SPEC, server, tmp_path, max_examples=5)
    counted = re.fullmatch(r"(\d+) generated, (\d+) passed", found)
    assert counted is not None, found  # schemathesis' own count of what it generated
    generated, passed = map(int, counted.groups())
    assert generated > 0 and passed == generated, found


def test_pydantic_models_decode_the_example_and_a_live_answer(
    server: interop.Server, tmp_path: Path
) -> None:
    result = interop.check_pydantic_models(interop.SPEC, server, tmp_path)
    assert result == "decoded the example (9 buttons) and 2 live tasks"


@pytest.mark.skipif(
    importlib.util.find_spec("openapi_python_client") is None,
    reason="openapi-python-client is not installed (the test dependency group has it)",
)
def test_the_client_openapi_python_client_generates_as_the_readme_says_sends_json(
    server: interop.Server, tmp_path: Path
) -> None:
    """With spec/openapi-python-client.yaml, as a project (the tool's default) and as the
    package alone (`nox -s interop` also tries the bare client), into a folder git ignores,
    as a build folder is: ruff skips ignored files unless told not to."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("*\n", encoding="utf-8")
    work = tmp_path / "build"
    work.mkdir()
    result = interop.check_openapi_python_client(interop.SPEC, server, work, bare=False)
    assert result == (
        "sent JSON, decoded 2 tasks; generated with spec/openapi-python-client.yaml "
        "(project and package-only layouts)"
    )


def test_a_server_with_no_task_ids_is_refused_before_any_check_could_pass_on_nothing() -> None:
    with pytest.raises(interop.InteropError, match="listed no task ids"):
        interop.Server(base_url="http://127.0.0.1:1", task_ids=())


def test_the_linted_documents_are_the_spec_and_each_overlaid_profile(tmp_path: Path) -> None:
    documents = interop.lint_documents(interop.SPEC, tmp_path)
    assert list(documents) == [
        "openapi.yaml",
        "profile midjourney-proxy-csharp",
        "profile midjourney-proxy-java",
        "profile new-api",
    ]
    assert documents["openapi.yaml"] == interop.SPEC
    profiles = load_profiles(interop.SPEC)
    for label, path in list(documents.items())[1:]:
        assert path.parent == tmp_path
        assert json.loads(path.read_text(encoding="utf-8")) == profiles[label[8:]].document


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_no_document_keeps_a_component_nothing_refers_to(tmp_path: Path) -> None:
    """Redocly's no-unused-components and Spectral's oas3-unused-component, without Node:
    an overlay that drops the multipart body or the error body drops its schema too."""
    for label, path in interop.lint_documents(interop.SPEC, tmp_path).items():
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        refs = set(_refs(document))
        for kind in ("schemas", "responses"):
            for name in document["components"].get(kind, {}):
                assert f"#/components/{kind}/{name}" in refs, (label, kind, name)


def test_the_info_names_a_contact_and_a_license(spec: dict[str, Any]) -> None:
    """Spectral's info-contact and Redocly's info-license."""
    assert spec["info"]["contact"]["name"]
    assert spec["info"]["license"] == {"name": "MIT", "identifier": "MIT"}


def test_only_errors_and_warnings_of_either_linter_count() -> None:
    redocly = {
        "totals": {"errors": 1, "warnings": 1, "ignored": 0},
        "problems": [
            {"ruleId": "no-unused-components", "severity": "warn", "message": "unused",
             "location": [{"pointer": "#/components/schemas/Error"}]},
            {"ruleId": "struct", "severity": "error", "message": "bad", "location": []},
            {"ruleId": "tag-description", "severity": "info", "message": "note",
             "location": [{"pointer": "#/tags/0"}]},
        ],
    }  # fmt: skip
    assert interop.redocly_problems(json.dumps(redocly)) == (
        [
            "warning no-unused-components at #/components/schemas/Error: unused",
            "error struct at #: bad",
        ],
        3,
    )
    spectral = [
        {"code": "info-contact", "severity": 1, "message": "no contact", "path": ["info"]},
        {"code": "oas3-schema", "severity": 0, "message": "bad", "path": ["paths", "/a/b", "get"]},
        {"code": "some-hint", "severity": 3, "message": "hint", "path": []},
    ]
    assert interop.spectral_problems(json.dumps(spectral)) == (
        [
            "warning info-contact at #/info: no contact",
            "error oas3-schema at #/paths/~1a~1b/get: bad",
        ],
        3,
    )
    with pytest.raises(interop.InteropError, match="redocly did not print JSON"):
        interop.redocly_problems("Woohoo!")
