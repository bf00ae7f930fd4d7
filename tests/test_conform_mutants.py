"""Testing the tests: every broken server must be judged `fail`, naming what it broke.

The field mutants are derived from each profile's spec: for every documented field
path (nested ones included) and every defect the profile forbids (missing when
required, null when not nullable, each wrong JSON type), a server that breaks only
that field, in every task it returns. A mutant several profiles forbid runs once and
is judged under every profile at once (one run, a column per profile); it must be
caught, naming that field and no other, under each profile that derived it. All
mutants run over real HTTP against one standard-library server whose mutation is
swapped between runs. Its tasks are valid under every profile and carry every
documented field, new-api's optional video fields included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mjspec.conform import FieldSpec, Report, Settings, derive_fields, run
from mjspec.profiles import load_profiles
from tests.conform_servers import TASK_IDS, TASKS, Mutation, Reply, serve

PROFILES = load_profiles(Path(__file__).parents[1] / "spec" / "openapi.yaml")
SPEC: dict[str, Any] = PROFILES["doc"].document
FIELDS = derive_fields(SPEC)
PROFILE_FIELDS = {name: derive_fields(p.document, optional=True) for name, p in PROFILES.items()}
MAX_EXAMPLES = 10
SEED = 1234
VIDEO = {"videoUrl": "", "videoUrls": [{"url": "https://cdn.example.com/video.mp4"}]}
PROOF_TASKS = {task_id: {**task, **VIDEO} for task_id, task in TASKS.items()}

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
    profiles: tuple[str, ...] = tuple(PROFILES)
    """The profiles that forbid it: each must catch it."""


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


def _defects(field: FieldSpec) -> Iterator[tuple[str, Callable[[dict[str, Any], str], None]]]:
    """Every way of breaking a field that its profile forbids: (name, edit)."""
    if field.required:
        yield f"{field.path} missing", _delete
    if "null" not in field.types:
        yield f"{field.path} null", _set(None)
    for json_type in sorted(field.types):
        for value in WRONG_VALUES.get(json_type, []):
            if not any(_matches(value, t) for t in field.types):
                yield f"{field.path} as {value!r}", _set(value)


def _matches(value: Any, json_type: str) -> bool:
    from mjspec.conform.fields import type_matches

    return type_matches(value, frozenset({json_type}))


def field_mutants() -> Iterator[Mutant]:
    """One mutant per (field, defect) of any profile, knowing which profiles forbid it."""
    found: dict[str, tuple[FieldSpec, Callable[[dict[str, Any], str], None], list[str]]] = {}
    for name, fields in PROFILE_FIELDS.items():
        for field in fields:
            for defect, edit in _defects(field):
                found.setdefault(defect, (field, edit, []))[2].append(name)
    for defect, (field, edit, profiles) in found.items():
        yield Mutant(defect, _field_mutation(field, edit), "field", field.path, tuple(profiles))


def _one_object(reply: Reply) -> Reply:
    reply.body = reply.body[0] if reply.body else {}
    return reply


def _extra_task(reply: Reply) -> Reply:
    extra = dict(PROOF_TASKS[TASK_IDS[0]], id="9999999999999999")
    reply.body = [*reply.body, extra]
    return reply


def _all_tasks(reply: Reply) -> Reply:
    reply.body = list(PROOF_TASKS.values())
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
            task["startTime"] = "1730621828024"  # a string: wrong under every profile
    return reply


def _known_task_dropped(reply: Reply) -> Reply:
    """Comes back alone, goes missing from larger answers (never returned at all is a
    mistyped id: inconclusive, see tests/test_conform_verdicts.py)."""
    if len(set(reply.ids)) > 1:
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
    Mutant("a known task left out of larger answers", _known_task_dropped, "missing_known_task"),
]
FIELD_MUTANTS = list(field_mutants())
MUTANTS = [*FIELD_MUTANTS, *OTHER_MUTANTS]


def _judge(base_url: str) -> Report:
    settings = Settings(
        spec=SPEC,
        base_url=base_url,
        task_ids=tuple(TASK_IDS),
        profiles=tuple(PROFILES.values()),
        max_examples=MAX_EXAMPLES,
        seed=SEED,
    )
    return run(settings)


def _caught(mutant: Mutant, report: Report, profile: str) -> bool:
    result = report.profiles[profile]
    if result.verdict != "fail":
        return False
    if not any(f.check == mutant.check for f in result.failures):
        return False
    named = {f.field for f in result.failures if f.field is not None}
    return named == ({mutant.field} if mutant.field else named)


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    results = {}
    with serve(tasks=PROOF_TASKS) as server:
        for mutant in MUTANTS:
            server.set_mutation(mutant.mutation)
            results[mutant.name] = _judge(server.base_url)
    return results


CASES = [(m, p) for m in MUTANTS for p in m.profiles]


@pytest.mark.parametrize(("mutant", "profile"), CASES, ids=[f"{p}: {m.name}" for m, p in CASES])
def test_mutant_is_judged_fail_under_each_profile_that_forbids_it(
    mutant: Mutant, profile: str, reports: dict[str, Report]
) -> None:
    result = reports[mutant.name].profiles[profile]
    summary = [(f.check, f.field, f.message) for f in result.failures]
    assert _caught(mutant, reports[mutant.name], profile), (
        f"{profile}: {mutant.name}: {result.verdict}, {summary}"
    )


def test_every_documented_field_path_of_every_profile_has_mutants() -> None:
    for name, fields in PROFILE_FIELDS.items():
        paths = {m.field for m in MUTANTS if m.check == "field" and name in m.profiles}
        assert paths == {f.path for f in fields}, name
    assert {"buttons[].style", "properties.finalZhPrompt"} <= {f.path for f in FIELDS}
    assert len(FIELDS) >= 25
    # What a profile allows is no mutant of it: new-api's null buttons, Java's absent ones.
    by_name = {m.name: m for m in MUTANTS}
    assert "new-api" not in by_name["buttons null"].profiles
    assert "midjourney-proxy-java" not in by_name["buttons missing"].profiles
    assert "midjourney-proxy-java" in by_name["buttons as {'0': 'not an array'}"].profiles


def test_mutant_summary(reports: dict[str, Report], capsys: pytest.CaptureFixture[str]) -> None:
    lines = []
    for name in PROFILES:
        mine = [m for m in MUTANTS if name in m.profiles]
        caught = [m for m in mine if _caught(m, reports[m.name], name)]
        fields = [m for m in mine if m.check == "field"]
        lines.append(
            f"  {name}: {len(caught)} of {len(mine)} mutants caught ({len(fields)} field "
            f"mutants over {len(PROFILE_FIELDS[name])} field paths, "
            f"{len(mine) - len(fields)} shape/meaning mutants)"
        )
        assert len(caught) == len(mine), name
    with capsys.disabled():
        print(
            f"\nmjspec conform mutation proof ({len(MUTANTS)} servers, each judged under "
            f"every profile in one run):\n" + "\n".join(lines)
        )


def test_the_correct_server_between_mutants_passes_under_every_profile() -> None:
    with serve(tasks=PROOF_TASKS) as server:
        report = _judge(server.base_url)
    for name, result in report.profiles.items():
        assert result.verdict == "pass", (name, [(f.check, f.message) for f in result.failures])
        assert result.tasks_checked > 0
        assert {f.status for f in result.fields} == {"ok"}, name
