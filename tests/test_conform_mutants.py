"""Testing the tests: every broken server must be judged `fail`, naming what it broke.

The field mutants are derived from the spec: for every required field path
(nested ones included) and every defect (missing, null, each wrong JSON type),
a server that breaks only that field, in every task it returns. All mutants run
over real HTTP against one standard-library server whose mutation is swapped
between runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mjspec.conform import FieldSpec, Report, Settings, derive_fields, run
from tests.conform_servers import TASK_IDS, TASKS, Mutation, Reply, serve

SPEC: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[1] / "spec" / "openapi.yaml").read_text("utf-8")
)
FIELDS = derive_fields(SPEC)
MAX_EXAMPLES = 10
SEED = 1234

# A wrong value of each documented JSON type; an integer gets three, the
# usual ways a "number" goes wrong on the wire.
WRONG_VALUES: dict[str, list[Any]] = {
    "string": [12345],
    "integer": ["1730621826053", 1730621826053.5, True],
    "number": ["1.5"],
    "boolean": ["true"],
    "array": [{"0": "not an array"}],
    "object": [["not", "an", "object"]],
}


@dataclasses.dataclass(frozen=True, slots=True)
class Mutant:
    name: str
    mutation: Mutation
    check: str
    """The check that must fail."""
    field: str | None = None
    """The field path the report must name (and no other)."""


def _edit(task: Any, steps: tuple[str, ...], edit: Callable[[dict[str, Any], str], None]) -> None:
    if not steps:
        return
    step, rest = steps[0], steps[1:]
    if step == "[]":
        for item in task if isinstance(task, list) else []:
            _edit(item, rest, edit)
    elif isinstance(task, dict) and step in task:
        if rest:
            _edit(task[step], rest, edit)
        else:
            edit(task, step)


def _field_mutation(field: FieldSpec, edit: Callable[[dict[str, Any], str], None]) -> Mutation:
    def mutate(reply: Reply) -> Reply:
        for task in reply.body if isinstance(reply.body, list) else []:
            _edit(task, field.steps, edit)
        return reply

    return mutate


def _delete(parent: dict[str, Any], key: str) -> None:
    del parent[key]


def _set(value: Any) -> Callable[[dict[str, Any], str], None]:
    def edit(parent: dict[str, Any], key: str) -> None:
        parent[key] = value

    return edit


def field_mutants() -> Iterator[Mutant]:
    for field in FIELDS:
        yield Mutant(f"{field.path} missing", _field_mutation(field, _delete), "field", field.path)
        if "null" not in field.types:
            yield Mutant(
                f"{field.path} null", _field_mutation(field, _set(None)), "field", field.path
            )
        for json_type in sorted(field.types):
            for value in WRONG_VALUES.get(json_type, []):
                yield Mutant(
                    f"{field.path} as {value!r}",
                    _field_mutation(field, _set(value)),
                    "field",
                    field.path,
                )


def _one_object(reply: Reply) -> Reply:
    reply.body = reply.body[0] if reply.body else {}
    return reply


def _extra_task(reply: Reply) -> Reply:
    extra = dict(TASKS[TASK_IDS[0]], id="9999999999999999")
    reply.body = [*reply.body, extra]
    return reply


def _all_tasks(reply: Reply) -> Reply:
    reply.body = list(TASKS.values())
    return reply


def _server_error_on_many_ids(reply: Reply) -> Reply:
    if len(reply.ids) > 20:
        reply.status, reply.body = 500, {"error": "too many"}
    return reply


def _server_error_on_non_ascii_ids(reply: Reply) -> Reply:
    if any(not task_id.isascii() for task_id in reply.ids):
        reply.status, reply.body = 500, {"error": "encoding"}
    return reply


def _server_error_on_empty(reply: Reply) -> Reply:
    if not reply.ids:
        reply.status, reply.body = 500, {"error": "internal"}
    return reply


def _text_plain(reply: Reply) -> Reply:
    reply.content_type = "text/plain; charset=utf-8"
    return reply


def _html_page(reply: Reply) -> Reply:
    reply.content_type, reply.body = "text/html", b"<html><body>tasks</body></html>"
    return reply


def _one_task_broken(reply: Reply) -> Reply:
    for task in reply.body:
        if task["id"] == TASK_IDS[2]:
            task["startTime"] = None
    return reply


def _known_task_dropped(reply: Reply) -> Reply:
    reply.body = [t for t in reply.body if t["id"] != TASK_IDS[1]]
    return reply


def _wrapped(reply: Reply) -> Reply:
    reply.body = {"code": 1, "result": reply.body}
    return reply


OTHER_MUTANTS = [
    Mutant("one object instead of an array", _one_object, "shape"),
    Mutant("an array wrapped in an object", _wrapped, "shape"),
    Mutant("a task nobody asked for", _extra_task, "unrequested_task"),
    Mutant("every task whatever was asked", _all_tasks, "unrequested_task"),
    Mutant("500 to an empty list", _server_error_on_empty, "server_error"),
    Mutant("500 to many ids", _server_error_on_many_ids, "server_error"),
    Mutant("500 to non-ASCII ids", _server_error_on_non_ascii_ids, "server_error"),
    Mutant("a non-JSON Content-Type", _text_plain, "content_type"),
    Mutant("an HTML page instead of JSON", _html_page, "not_json"),
    Mutant("only one of several tasks broken", _one_task_broken, "field", "startTime"),
    Mutant("a known task left out", _known_task_dropped, "missing_known_task"),
]
FIELD_MUTANTS = list(field_mutants())
MUTANTS = [*FIELD_MUTANTS, *OTHER_MUTANTS]


def _judge(base_url: str) -> Report:
    settings = Settings(
        spec=SPEC,
        base_url=base_url,
        task_ids=tuple(TASK_IDS),
        max_examples=MAX_EXAMPLES,
        seed=SEED,
    )
    return run(settings)


def _caught(mutant: Mutant, report: Report) -> bool:
    if report.verdict != "fail":
        return False
    if not any(f.check == mutant.check for f in report.failures):
        return False
    named = {f.field for f in report.failures if f.field is not None}
    return named == ({mutant.field} if mutant.field else named)


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    results = {}
    with serve() as server:
        for mutant in MUTANTS:
            server.set_mutation(mutant.mutation)
            results[mutant.name] = _judge(server.base_url)
    return results


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_judged_fail_naming_what_it_broke(
    mutant: Mutant, reports: dict[str, Report]
) -> None:
    report = reports[mutant.name]
    summary = [(f.check, f.field, f.message) for f in report.failures]
    assert _caught(mutant, report), f"{mutant.name}: {report.verdict}, {summary}"


def test_every_required_field_path_has_a_mutant_for_each_defect() -> None:
    paths = {m.field for m in MUTANTS if m.check == "field"}
    assert paths == {f.path for f in FIELDS}
    assert {"buttons[].style", "properties.finalZhPrompt"} <= paths
    assert len(FIELDS) >= 25


def test_mutant_summary(reports: dict[str, Report], capsys: pytest.CaptureFixture[str]) -> None:
    caught = [m.name for m in MUTANTS if _caught(m, reports[m.name])]
    fields = len(FIELD_MUTANTS)
    with capsys.disabled():
        print(
            f"\nmjspec conform mutation proof: {len(caught)} of {len(MUTANTS)} mutants caught "
            f"({fields} field mutants over {len(FIELDS)} required field paths, "
            f"{len(MUTANTS) - fields} shape/meaning mutants)"
        )
    assert len(caught) == len(MUTANTS)


def test_the_correct_server_between_mutants_passes() -> None:
    with serve() as server:
        report = _judge(server.base_url)
    assert report.verdict == "pass", [(f.check, f.message) for f in report.failures]
    assert report.tasks_checked > 0
    assert {f.status for f in report.fields} == {"ok"}
