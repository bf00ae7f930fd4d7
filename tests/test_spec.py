"""spec/openapi.yaml: valid OpenAPI, faithful to the document, and its example validates."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import mjapi
from mjspec.errors import UsageError
from mjspec.spec import packaged_spec_path
from tests.strategies import RESPONSE_SCHEMA, SPEC, TASK_PATHS, TASK_SCHEMA, deref

OPERATION = SPEC["paths"]["/mj/task/list-by-condition"]["post"]


def test_openapi_spec_validator_accepts_the_spec() -> None:
    from openapi_spec_validator import validate  # here: each test worker imports this module

    validate(SPEC)


def test_the_operation_is_named_and_keeps_the_documents_title() -> None:
    assert OPERATION["operationId"] == "listByCondition"
    assert "根据ID列表查询任务" in OPERATION["summary"]


def test_the_body_is_json_and_multipart_with_an_array_of_string_ids() -> None:
    content = OPERATION["requestBody"]["content"]
    assert list(content) == ["application/json", "multipart/form-data"]
    for media in content.values():
        ids = deref(media["schema"])["properties"]["ids"]
        assert ids["items"] == {"type": "string"}
        assert "ids" not in deref(media["schema"]).get("required", [])


def test_bearer_auth_is_optional() -> None:
    assert {} in OPERATION["security"]
    assert {"bearerAuth": []} in OPERATION["security"]


def test_every_document_field_is_required_with_the_documents_type() -> None:
    expected = {
        "id": "string", "action": "string", "customId": "string", "botType": "string",
        "prompt": "string", "promptEn": "string", "description": "string", "state": "string",
        "submitTime": "integer", "startTime": "integer", "finishTime": "integer",
        "imageUrl": "string", "status": "string", "progress": "string", "failReason": "string",
        "buttons": "array", "maskBase64": "string", "properties": "object",
        "buttons[].customId": "string", "buttons[].emoji": "string", "buttons[].label": "string",
        "buttons[].type": "integer", "buttons[].style": "integer",
        "properties.finalPrompt": "string", "properties.finalZhPrompt": "string",
    }  # fmt: skip
    assert {str(p): p.type for p in TASK_PATHS} == expected


def test_extra_fields_are_allowed_on_tasks_buttons_and_properties() -> None:
    task = TASK_SCHEMA
    assert task.get("additionalProperties", True) is not False
    assert deref(task["properties"]["properties"])["additionalProperties"] is True
    assert deref(task["properties"]["buttons"]["items"]).get("additionalProperties", True)


def test_times_are_int64_milliseconds() -> None:
    for name in ("submitTime", "startTime", "finishTime"):
        field = TASK_SCHEMA["properties"][name]
        assert field["format"] == "int64"
        assert "milliseconds" in field["description"]


def test_open_sets_document_their_known_values_without_an_enum() -> None:
    for name in ("action", "status", "botType"):
        field = TASK_SCHEMA["properties"][name]
        assert "enum" not in field
        assert field["x-known-values"]
    assert "IMAGINE" in TASK_SCHEMA["properties"]["action"]["x-known-values"]


def test_errors_are_declared_as_4xx_with_a_json_body() -> None:
    responses = OPERATION["responses"]
    assert set(responses) == {"200", "4XX"}
    error = deref(responses["4XX"])
    assert "application/json" in error["content"]


def _validator() -> jsonschema.Draft202012Validator:
    root: dict[str, Any] = {**SPEC, **RESPONSE_SCHEMA}
    return jsonschema.Draft202012Validator(root)


def test_the_response_example_is_one_task_in_an_array_and_validates() -> None:
    example = OPERATION["responses"]["200"]["content"]["application/json"]["example"]
    assert isinstance(example, list)
    assert len(example) == 1
    _validator().validate(example)


def test_the_schema_rejects_a_single_object_and_a_missing_field() -> None:
    example = OPERATION["responses"]["200"]["content"]["application/json"]["example"]
    validator = _validator()
    assert not validator.is_valid(example[0])
    broken = {k: v for k, v in example[0].items() if k != "promptEn"}
    assert not validator.is_valid([broken])


def test_values_kept_by_content_are_shared_by_equal_documents_and_bounded() -> None:
    from mjspec.spec import ByContent

    made: list[str] = []
    memo: ByContent[str] = ByContent(kept=2)

    def make(doc: Mapping[str, object]) -> str:
        made.append(repr(doc))
        return repr(doc)

    def value(doc: Mapping[str, object]) -> str:
        return memo.get(doc, make)

    assert value({"a": 1}) == value({"a": 1}) == "{'a': 1}"
    assert value({"a": 2}) == "{'a': 2}"  # changed content: made anew
    assert len(made) == 2
    value({"a": 3})  # over the bound: all are forgotten, never a wrong value kept
    assert value({"a": 1}) == "{'a': 1}" and len(made) == 4
    kept_none: ByContent[None] = ByContent()
    nones: list[int] = []
    for _ in range(2):
        kept_none.get({"b": 1}, lambda doc: nones.append(1))  # a None value is a value
    assert nones == [1]
    too_deep: dict[str, object] = {}
    inner = too_deep
    for _ in range(100_000):
        inner["a"] = inner = {}
    deep: list[int] = []

    def make_deep(doc: Mapping[str, object]) -> str:
        deep.append(1)
        return "deep"

    memo.get(too_deep, make_deep)  # no digest: made every time, never shared
    memo.get(too_deep, make_deep)
    assert deep == [1, 1]


def test_equal_values_of_other_types_or_order_get_other_digests() -> None:
    import datetime

    from mjspec.spec import content_digest

    digests = {
        content_digest(doc)
        for doc in (
            {"a": 1},
            {"a": "1"},
            {"a": True},
            {"a": 1.0},
            {1: 1},
            {"a": datetime.date(2024, 1, 1)},
            {"a": "2024-01-01"},
            {"a": 1, "b": 2},
            {"b": 2, "a": 1},
        )
    }
    assert len(digests) == 9 and None not in digests
    cycle: list[object] = [1]
    cycle.append(cycle)  # prints as [1, [...]], as would another cycle
    assert content_digest({"a": cycle}) is None
    assert content_digest({"a": object()}) is None  # its repr holds a reusable address
    inner: list[object] = []
    inner.append((inner,))  # a cycle through a tuple, which no document has
    assert content_digest({"a": inner}) is None
    # what marshal writes it tells apart by type: a tuple is not a list
    assert None is not content_digest({"a": (1,)}) != content_digest({"a": [1]})


def test_a_plain_document_is_digested_without_walking_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    import mjspec.spec
    from mjspec.spec import content_digest

    walked: list[object] = []
    real = mjspec.spec.tree_problem

    def counting(value: object, *, plain: bool = False) -> tuple[str, str] | None:
        walked.append(value)
        return real(value, plain=plain)

    monkeypatch.setattr(mjspec.spec, "tree_problem", counting)
    plain = content_digest(dict(SPEC))
    assert plain is not None and walked == []
    dated = {"a": datetime.date(2024, 1, 1)}
    assert content_digest(dated) is not None and walked == [dated]  # marshal writes no date


def test_a_text_read_again_gives_new_equal_objects_with_the_same_digest() -> None:
    from mjspec.spec import content_digest, parse_document

    # An anchor makes the first parse share one object in two places, the JSON rebuild
    # of a text read again does not: the digest must not see the difference.
    text = "a: &shared {k: [1, 2]}\nb: *shared\n"
    first, second = parse_document(text, "t.yaml"), parse_document(text, "t.yaml")
    assert first == second and first is not second
    assert first["a"] is not first["b"]  # no YAML sharing, on the first read as on others
    assert content_digest(first) == content_digest(second)
    dated = "c: 2024-01-01\nd: &x [1]\ne: *x\n"  # not kept as JSON: parsed on each read
    once, again = parse_document(dated, "t.yaml"), parse_document(dated, "t.yaml")
    assert once == again and once["d"] is not once["e"] and content_digest(once) is not None
    json_text = '{"a": {"k": [1, 2]}, "b": {"k": [1, 2]}}'
    one, two = parse_document(json_text, "t.json"), parse_document(json_text, "t.json")
    assert one == two and one["a"] is not two["a"]
    one["a"]["k"].append(3)  # a caller changing its copy changes no later read
    assert parse_document(json_text, "t.json")["a"]["k"] == [1, 2]
    assert content_digest(parse_document(text, "t.yaml")) == content_digest(
        parse_document(json_text, "t.json")
    )


def test_a_shared_node_is_walked_once_and_judged_at_its_deepest_place() -> None:
    from mjspec.spec import MAX_DEPTH, tree_problem

    def nested(levels: int, inner: object = None) -> list[object]:
        value: list[object] = [inner]
        for _ in range(levels - 1):
            value = [value]
        return value

    shared = nested(150)  # met first at depth 1: fine there
    assert tree_problem({"a": shared}) is None
    found = tree_problem({"a": shared, "b": nested(100, shared)})  # met again 100 deeper
    assert found is not None
    assert found[0] == "/b" + "/0" * 100 and f"more than {MAX_DEPTH} levels" in found[1]
    laughs: list[object] = list(range(9))
    for _ in range(9):  # nine aliases of nine aliases: 9**10 values, ten lists to walk
        laughs = [laughs] * 9
    found = tree_problem(laughs)
    assert found is not None and "more than 1,000,000 values" in found[1]


def test_the_packaged_spec_is_found_without_importing_the_generated_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`conform` and `serve` read `mjapi/openapi.json`: finding it must not import `mjapi`,
    whose client imports httpx (about 0.1 s of every command's start)."""
    for name in [name for name in sys.modules if name == "mjapi" or name.startswith("mjapi.")]:
        monkeypatch.delitem(sys.modules, name)
    path = packaged_spec_path()
    assert "mjapi" not in sys.modules
    assert path.name == "openapi.json" and path.is_file()
    assert path.parent == Path(mjapi.__file__).parent  # the package imported at the top


def test_without_the_generated_package_the_spec_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UsageError) as caught:
        packaged_spec_path()
    assert str(caught.value) == "the mjapi package is not installed: reinstall mjspec"
