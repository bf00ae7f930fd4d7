"""Field paths from the spec, and the pure checks of one answer."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from mjspec.conform import Settings, derive_fields, run
from mjspec.conform.checks import check_ok_answer, describe, observe_task
from mjspec.conform.fields import SpecShapeError, json_type
from tests.conform_servers import TASK_IDS, TASKS, serve

SPEC: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[1] / "spec" / "openapi.yaml").read_text("utf-8")
)
FIELDS = derive_fields(SPEC)
BY_PATH = {f.path: f for f in FIELDS}
BUTTON_FIELDS = ("customId", "emoji", "label", "type", "style")


def _task() -> dict[str, Any]:
    return copy.deepcopy(TASKS[TASK_IDS[0]])


def test_nested_paths_are_derived_through_refs() -> None:
    assert BY_PATH["buttons[].style"].types == {"integer"}
    assert BY_PATH["properties.finalZhPrompt"].types == {"string"}
    assert BY_PATH["submitTime"].steps == ("submitTime",)
    assert BY_PATH["buttons[].customId"].steps == ("buttons", "[]", "customId")


def test_a_required_field_added_to_the_spec_is_derived() -> None:
    spec = copy.deepcopy(SPEC)
    task = spec["components"]["schemas"]["Task"]
    task["required"].append("videoUrl")
    task["properties"]["videoUrl"] = {"type": "string"}
    assert "videoUrl" in {f.path for f in derive_fields(spec)}


def test_a_spec_without_a_200_array_is_rejected() -> None:
    spec = copy.deepcopy(SPEC)
    del spec["paths"]["/mj/task/list-by-condition"]["post"]["responses"]["200"]
    with pytest.raises(SpecShapeError, match="200"):
        derive_fields(spec)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "integer"), (1.0, "number"), (True, "boolean"), ("1", "string"), (None, "null")],
)
def test_json_types_keep_bools_floats_and_numeric_strings_apart(
    value: object, expected: str
) -> None:
    assert json_type(value) == expected


@pytest.mark.parametrize("value", [1730621826053.0, True, "1730621826053"])
def test_an_integer_field_rejects_floats_bools_and_numeric_strings(value: object) -> None:
    task = _task()
    task["submitTime"] = value
    statuses = {o.status for o in observe_task(task, FIELDS) if o.path == "submitTime"}
    assert statuses == {"wrong_type"}


def test_a_null_nested_field_is_reported_with_its_location() -> None:
    task = _task()
    task["buttons"][3]["style"] = None
    bad = [o for o in observe_task(task, FIELDS) if o.status != "ok"]
    assert [(o.path, o.location, o.status) for o in bad] == [
        ("buttons[].style", "buttons[3].style", "null")
    ]


@pytest.mark.parametrize("item", ["U5", None, 7, ["x"]])
def test_an_array_item_that_is_not_an_object_is_reported_under_its_fields(item: Any) -> None:
    task = _task()
    task["buttons"].append(item)
    index = len(task["buttons"]) - 1
    bad = [o for o in observe_task(task, FIELDS) if o.status != "ok"]
    assert {o.path for o in bad} == {f"buttons[].{name}" for name in BUTTON_FIELDS}
    assert {(o.location, o.status) for o in bad} == {
        (f"buttons[{index}].{name}", "wrong_type") for name in BUTTON_FIELDS
    }
    message = describe(bad[0], BY_PATH[bad[0].path], task["id"])
    assert message.startswith(f"buttons[{index}] of task {task['id']!r} is a JSON ")
    assert "documented: an object with a required" in message


def test_a_missing_parent_reports_the_parent_only() -> None:
    task = _task()
    del task["properties"]
    bad = [(o.path, o.status) for o in observe_task(task, FIELDS) if o.status != "ok"]
    assert bad == [("properties", "missing")]


def test_a_single_object_is_reported_as_exactly_that() -> None:
    verdict = check_ok_answer(
        content_type="application/json",
        body=_task(),
        fields=FIELDS,
        requested=[TASK_IDS[0]],
        known=TASK_IDS,
    )
    assert verdict.tasks_checked == 0
    assert [p.check for p in verdict.problems] == ["shape"]
    assert "single JSON object" in verdict.problems[0].message


def test_tasks_not_asked_for_and_known_tasks_left_out_are_reported() -> None:
    verdict = check_ok_answer(
        content_type="application/json; charset=utf-8",
        body=[_task()],
        fields=FIELDS,
        requested=[TASK_IDS[1]],
        known=TASK_IDS,
    )
    assert sorted(p.check for p in verdict.problems) == ["missing_known_task", "unrequested_task"]


def test_a_field_added_to_the_spec_is_checked_against_a_server() -> None:
    """Only one default task has `videoUrl`: the server fails the extended spec, naming it."""
    spec = copy.deepcopy(SPEC)
    task = spec["components"]["schemas"]["Task"]
    task["required"].append("videoUrl")
    task["properties"]["videoUrl"] = {"type": "string"}
    with serve() as server:
        settings = Settings(
            spec=spec, base_url=server.base_url, task_ids=tuple(TASK_IDS), max_examples=1, seed=3
        )
        report = run(settings)
    assert report.verdict == "fail"
    assert {f.field for f in report.failures} == {"videoUrl"}
    result = next(f for f in report.fields if f.path == "videoUrl")
    assert result.status == "missing"
    assert result.counts["ok"] > 0
