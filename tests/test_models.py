"""The generated models and the client's decoder, against documents derived from the spec.

Every required field is broken in every way (missing, null, each wrong JSON type) in
valid tasks: the spec's example, and a task with every documented field; a property
test round-trips any valid response drawn from the schema.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mjapi._http import ResponseDecoder
from mjapi.errors import ApiError, ContractError
from mjapi.models import Task
from tests.strategies import (
    DEFECTS,
    EXAMPLE,
    RESPONSE_SCHEMA,
    TASK_PATHS,
    TASK_SCHEMA,
    VALID_TASKS,
    FieldPath,
    broken_bodies,
    project,
    tasks,
)

DECODER = ResponseDecoder[list[Task]]("listByCondition", list[Task], is_array=True)
FULL_TASK = VALID_TASKS["every documented field"]


def decode(body: Any) -> list[Task]:
    return DECODER.decode_content(msgspec.json.encode(body))


def test_every_required_field_of_the_spec_is_covered() -> None:
    paths = {str(p) for p in TASK_PATHS}
    assert len(TASK_SCHEMA["required"]) == 18
    assert {"promptEn", "buttons[].style", "properties.finalZhPrompt"} <= paths
    assert len(paths) == 18 + 5 + 2


def test_the_documents_example_decodes() -> None:
    [task] = decode(EXAMPLE)
    assert task.id == "1730621826053455"
    assert task.prompt_en == "pig --v 6.1"
    assert [b.label for b in task.buttons][:4] == ["U1", "U2", "U3", "U4"]
    assert task.buttons[4].emoji == "\U0001f504"
    assert task.properties.final_prompt == "pig --v 6.1"


def test_a_task_with_every_documented_field_round_trips() -> None:
    assert len(FULL_TASK["buttons"]) == 2 and "extra" in FULL_TASK["properties"]
    decoded = decode([FULL_TASK, EXAMPLE[0]])
    assert msgspec.to_builtins(decoded) == project([FULL_TASK, EXAMPLE[0]], RESPONSE_SCHEMA)


@settings(max_examples=30)
@given(st.lists(tasks(), max_size=4))
def test_any_valid_response_round_trips_through_the_models(body: list[dict[str, Any]]) -> None:
    decoded = decode(body)
    assert msgspec.to_builtins(decoded) == project(body, RESPONSE_SCHEMA)


@pytest.mark.parametrize("field", TASK_PATHS, ids=str)
def test_a_broken_required_field_is_rejected_with_its_path_and_task_id(field: FieldPath) -> None:
    for defect in DEFECTS:  # missing, null, each wrong type
        cases = list(broken_bodies(field, defect))
        assert len(cases) >= 4, defect
        for label, broken in cases:
            label = f"{defect}: {label}"
            with pytest.raises(ContractError) as caught:
                decode(broken.body)
            error = caught.value
            assert isinstance(error, ApiError), label
            assert (error.field, error.index) == (broken.path, broken.index), label
            assert broken.path in str(error), label
            if field.parts != ("id",):
                assert error.task_id == f"task-{broken.index}", label
                assert repr(error.task_id) in str(error), label


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (EXAMPLE[0], "Expected `array`, got `object`"),
        ("tasks", "Expected `array`, got `str`"),
        ([1], "Expected `object`, got `int`"),
    ],
)
def test_a_body_of_the_wrong_shape_is_rejected(body: Any, reason: str) -> None:
    with pytest.raises(ContractError, match=reason) as caught:
        decode(body)
    assert caught.value.status_code == 200


def test_a_body_that_is_not_json_is_rejected() -> None:
    with pytest.raises(ContractError, match="not valid JSON"):
        DECODER.decode_content(b"<html>oops</html>")


def test_an_integer_field_rejects_a_float_a_bool_and_a_numeric_string() -> None:
    for value in (1.0, True, "1730621826053"):
        body = [dict(EXAMPLE[0], submitTime=value)]
        with pytest.raises(ContractError, match="submitTime"):
            decode(body)
