"""Testing the tests: every broken server must be judged `fail`, naming what it broke.

The field mutants are derived from each profile's spec: for every documented field
path (nested ones included) and every defect the profile forbids (missing when
required, null when not nullable, each wrong JSON type), a server that breaks only
that field, in every task it returns. It must be caught, naming that field (with that
defect) and no other, under each profile that derived it; a profile that allows the
defect must name nothing for it.

A run judges every profile at once (a column per profile), and one run judges several
field mutants: those of different fields, none the parent of another (`plan_runs`).
Every field is broken in some run without each other field, so a finding blamed on
the wrong field cannot hide behind a field that really is broken. The `id` mutants and
the shape and meaning mutants run alone. All runs go over real HTTP to one
standard-library server whose mutation is swapped between runs; its tasks are valid
under every profile and carry every documented field, new-api's optional video fields
included. The expected numbers of field paths and mutants are stated here, not derived.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from mjspec.conform import FieldSpec, Report, Settings, derive_fields, run
from tests.conform_servers import TASK_IDS, TASKS, Mutation, Reply, serve, together
from tests.helpers_conform import checkout_profiles

PROFILES = checkout_profiles()
SPEC: dict[str, Any] = PROFILES["doc"].document
FIELDS = derive_fields(SPEC)
PROFILE_FIELDS = {name: derive_fields(p.document, optional=True) for name, p in PROFILES.items()}
# The fixed probes of a run catch every mutant; one generated case per Hypothesis
# phase still takes the generated-case path (and its shrinking) every run.
MAX_EXAMPLES = 1
SEED = 1234
VIDEO = {"videoUrl": "", "videoUrls": [{"url": "https://cdn.example.com/video.mp4"}]}
PROOF_TASKS = {task_id: {**task, **VIDEO} for task_id, task in TASKS.items()}

# A wrong value of each documented JSON type, with the JSON type a report must call it;
# an integer gets three, the usual ways a "number" goes wrong on the wire.
WRONG_VALUES: dict[str, list[tuple[Any, str]]] = {
    "string": [(12345, "integer")],
    "integer": [("1730621826053", "string"), (1730621826053.5, "number"), (True, "boolean")],
    "number": [("1.5", "string")],
    "boolean": [("true", "string")],
    "array": [({"0": "not an array"}, "object")],
    "object": [(["not", "an", "object"], "array")],
}

# Stated from the spec and its overlays (spec/), not derived by the code under test.
# Paths: 18 task fields + 5 of a button + 2 of the properties; new-api adds videoUrl,
# videoUrls and videoUrls[].url.
EXPECTED_PATHS = {
    "doc": 25,
    "midjourney-proxy-csharp": 25,
    "midjourney-proxy-java": 25,
    "new-api": 28,
}
# Field mutants: one per required field (missing), one per non-nullable field (null),
# one per wrong value of its type: 18 strings x 1 + 5 integers x 3 + 1 array + 1 object
# = 35 wrong values for the 25 common paths.
EXPECTED_FIELD_MUTANTS = {
    "doc": 25 + 25 + 35,  # every field required, none nullable
    # customId, maskBase64 and both properties optional; 7 task fields nullable
    "midjourney-proxy-csharp": 21 + 18 + 35,
    # customId, botType, buttons, maskBase64, both properties optional; 7 nullable
    "midjourney-proxy-java": 19 + 18 + 35,
    # + videoUrls[].url required; buttons, properties, videoUrls nullable;
    # + videoUrl and videoUrls[].url strings, videoUrls an array
    "new-api": 26 + 25 + 38,
}
OTHER_MUTANT_COUNT = 11


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
    said: str | None = None
    """What the field's finding must say of it: `is null`, `is a JSON string ('1')`."""
    steps: tuple[str, ...] = ()
    """The field's walk from the task (`buttons`, `[]`, `style`)."""


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


Edit = Callable[[dict[str, Any], str], None]


def _defects(field: FieldSpec) -> Iterator[tuple[str, Edit, str]]:
    """Every way of breaking a field that its profile forbids: (name, edit, what is said)."""
    if field.required:
        yield f"{field.path} missing", _delete, "is missing"
    if "null" not in field.types:
        yield f"{field.path} null", _set(None), "is null"
    for json_type in sorted(field.types):
        for value, called in WRONG_VALUES.get(json_type, []):
            if not any(_matches(value, t) for t in field.types):
                yield f"{field.path} as {value!r}", _set(value), f"is a JSON {called} ({value!r})"


def _matches(value: Any, json_type: str) -> bool:
    from mjspec.conform.fields import type_matches

    return type_matches(value, frozenset({json_type}))


def field_mutants() -> Iterator[Mutant]:
    """One mutant per (field, defect) of any profile, knowing which profiles forbid it."""
    found: dict[str, tuple[FieldSpec, Edit, str, list[str]]] = {}
    for name, fields in PROFILE_FIELDS.items():
        for field in fields:
            for defect, edit, said in _defects(field):
                found.setdefault(defect, (field, edit, said, []))[3].append(name)
    for defect, (field, edit, said, profiles) in found.items():
        mutation = _field_mutation(field, edit)
        yield Mutant(defect, mutation, "field", field.path, tuple(profiles), said, field.steps)


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
    Mutant(
        "only one of several tasks broken",
        _one_task_broken,
        "field",
        "startTime",
        said="is a JSON string ('1730621828024')",
        steps=("startTime",),
    ),
    Mutant("a known task left out of larger answers", _known_task_dropped, "missing_known_task"),
]
FIELD_MUTANTS = list(field_mutants())
MUTANTS = [*FIELD_MUTANTS, *OTHER_MUTANTS]


# Runs: which mutants one server breaks at once


def _related(a: Mutant, b: Mutant) -> bool:
    """The same field, or one field inside the other (`buttons`, `buttons[].style`)."""
    shorter = min(len(a.steps), len(b.steps))
    return a.steps[:shorter] == b.steps[:shorter]


def _unseparated(runs: Sequence[Sequence[Mutant]]) -> dict[str, set[str]]:
    """For each field, the other fields broken in every run that breaks it."""
    runs_of: dict[str, list[set[str]]] = {}
    for mutants in runs:
        fields = {m.field for m in mutants if m.field}
        for field in fields:
            runs_of.setdefault(field, []).append(fields)
    together = {field: set.intersection(*sets) - {field} for field, sets in runs_of.items()}
    return {field: others for field, others in together.items() if others}


def plan_runs(mutants: Sequence[Mutant]) -> list[tuple[Mutant, ...]]:
    """Field mutants in few runs: in a run no two are related (`_related`), and every field
    is broken in some run without each other one.

    The fields sit in the cells of a square grid, no two related ones in a row or column:
    a field's first mutant runs with its row, its second with its column, so two fields
    share at most one of them. Further mutants join any run that keeps both rules. `id`
    mutants run alone (without its id a task cannot be told apart, nor a finding placed
    in it), and so does the only mutant of a field.
    """
    by_field: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_field.setdefault(mutant.field or "", []).append(mutant)
    alone = [[m] for f, ms in by_field.items() if f == "id" or len(ms) == 1 for m in ms]
    fields = [f for f, ms in by_field.items() if f != "id" and len(ms) > 1]
    size = math.isqrt(len(fields) - 1) + 1
    while True:
        rows: list[list[Mutant]] = [[] for _ in range(size)]
        columns: list[list[Mutant]] = [[] for _ in range(size)]
        free = [(r, c) for r in range(size) for c in range(size)]
        for field in fields:
            first, second = by_field[field][:2]
            cell = next(
                (
                    (r, c)
                    for r, c in free
                    if not any(_related(first, m) for m in rows[r] + columns[c])
                ),
                None,
            )
            if cell is None:
                break
            free.remove(cell)
            rows[cell[0]].append(first)
            columns[cell[1]].append(second)
        else:
            break
        size += 1
    runs = rows + columns
    for field in fields:
        for mutant in by_field[field][2:]:
            for run_ in runs:
                if not any(_related(mutant, m) for m in run_):
                    run_.append(mutant)
                    if not _unseparated(runs):
                        break
                    run_.remove(mutant)
            else:
                runs.append([mutant])
    return [tuple(r) for r in runs + alone if r]


RUNS = [*plan_runs(FIELD_MUTANTS), *((m,) for m in OTHER_MUTANTS)]
RUN_OF = {m.name: n for n, mutants in enumerate(RUNS) for m in mutants}
CORRECT = -1
"""The key of the correct server's report, judged after the last mutant."""


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


def _problems(mutant: Mutant, report: Report, profile: str) -> list[str]:
    """Why `report` does not show `mutant` caught under `profile` (empty: it does).

    Caught: the verdict is fail, the mutant's check failed and, for a field mutant, a
    finding names its field saying its defect; the fields named are exactly those that
    the run broke and the profile forbids, each once.
    """
    result = report.profiles[profile]
    problems = []
    if result.verdict != "fail":
        problems.append(f"verdict {result.verdict}")
    if not any(f.check == mutant.check for f in result.failures):
        problems.append(f"no {mutant.check} failure")
    if mutant.field is None or mutant.said is None:
        return problems
    said = mutant.said
    if not any(f.field == mutant.field and said in f.message for f in result.failures):
        problems.append(f"no finding says {mutant.field} {mutant.said}")
    forbidden = [m for m in RUNS[RUN_OF[mutant.name]] if m.field and profile in m.profiles]
    named = [f.field for f in result.failures if f.field is not None]
    if sorted(named) != sorted(m.field for m in forbidden if m.field):
        problems.append(f"named {sorted(named)}, broken {sorted(m.name for m in forbidden)}")
    return problems


@pytest.fixture(scope="module")
def reports() -> dict[int, Report]:
    results = {}
    with serve(tasks=PROOF_TASKS) as server:
        for number, mutants in enumerate(RUNS):
            server.set_mutation(together(m.mutation for m in mutants))
            results[number] = _judge(server.base_url)
        server.set_mutation(None)
        results[CORRECT] = _judge(server.base_url)
    return results


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_judged_fail_under_each_profile_that_forbids_it(
    mutant: Mutant, reports: dict[int, Report]
) -> None:
    assert mutant.profiles, "a mutant no profile forbids proves nothing"
    report = reports[RUN_OF[mutant.name]]
    missed = {}
    for profile in mutant.profiles:
        problems = _problems(mutant, report, profile)
        if problems:
            found = [(f.check, f.field, f.message) for f in report.profiles[profile].failures]
            missed[profile] = (problems, found)
    assert not missed, f"{mutant.name}: {missed}"


def test_a_shape_or_meaning_mutant_names_no_field(reports: dict[int, Report]) -> None:
    for mutant in OTHER_MUTANTS:
        if mutant.field is None:
            for profile, result in reports[RUN_OF[mutant.name]].profiles.items():
                named = [f.field for f in result.failures if f.field is not None]
                assert named == [], (mutant.name, profile)


def _documented_paths(document: dict[str, Any]) -> set[str]:
    """Every property path of the task, read off `components.schemas` by a plain walk."""
    schemas = document["components"]["schemas"]
    answer = document["paths"]["/mj/task/list-by-condition"]["post"]["responses"]["200"]
    array = answer["content"]["application/json"]["schema"]
    array = next((a for a in array.get("oneOf", []) if a.get("type") == "array"), array)
    assert array["items"] == {"$ref": "#/components/schemas/Task"}

    def walk(name: str, prefix: str) -> Iterator[str]:
        for key, prop in schemas[name]["properties"].items():
            yield prefix + key
            for option, inside in [
                (prop, "."),
                (prop.get("items", {}), "[]."),
                *((o, ".") for o in prop.get("anyOf", [])),
            ]:
                if "$ref" in option:
                    yield from walk(option["$ref"].rpartition("/")[2], prefix + key + inside)

    return set(walk("Task", ""))


def test_every_documented_field_path_of_every_profile_has_mutants() -> None:
    for name, profile in PROFILES.items():
        documented = _documented_paths(dict(profile.document))
        assert len(documented) == EXPECTED_PATHS[name], name
        assert {f.path for f in PROFILE_FIELDS[name]} == documented, name
        paths = {m.field for m in MUTANTS if m.check == "field" and name in m.profiles}
        assert paths == documented, name
        mine = [m for m in FIELD_MUTANTS if name in m.profiles]
        assert len(mine) == EXPECTED_FIELD_MUTANTS[name], name
    assert {"buttons[].style", "properties.finalZhPrompt"} <= {f.path for f in FIELDS}
    assert len(OTHER_MUTANTS) == OTHER_MUTANT_COUNT
    # What a profile allows is no mutant of it: new-api's null buttons, Java's absent ones.
    by_name = {m.name: m for m in MUTANTS}
    assert "new-api" not in by_name["buttons null"].profiles
    assert "midjourney-proxy-java" not in by_name["buttons missing"].profiles
    assert "midjourney-proxy-java" in by_name["buttons as {'0': 'not an array'}"].profiles


def test_every_mutant_runs_once_and_never_with_a_related_one() -> None:
    assert sorted(m.name for r in RUNS for m in r) == sorted(m.name for m in MUTANTS)
    assert len(RUN_OF) == len(MUTANTS)
    for mutants in RUNS:
        for n, mutant in enumerate(mutants):
            assert not any(_related(mutant, other) for other in mutants[n + 1 :]), mutant.name
        if any(m.field == "id" or m not in FIELD_MUTANTS for m in mutants):
            assert len(mutants) == 1
    assert _unseparated(RUNS) == {}
    assert all(m.said for m in MUTANTS if m.field), "a field mutant says what its finding says"
    assert len(RUNS) < len(MUTANTS) // 3, "field mutants share runs"


def test_mutant_summary(reports: dict[int, Report], capsys: pytest.CaptureFixture[str]) -> None:
    lines = []
    for name in PROFILES:
        mine = [m for m in MUTANTS if name in m.profiles]
        caught = [m for m in mine if not _problems(m, reports[RUN_OF[m.name]], name)]
        fields = [m for m in mine if m in FIELD_MUTANTS]
        assert len(fields) == EXPECTED_FIELD_MUTANTS[name], name
        assert len(mine) == EXPECTED_FIELD_MUTANTS[name] + OTHER_MUTANT_COUNT, name
        assert len(caught) == len(mine), name
        lines.append(
            f"  {name}: {len(caught)} of {len(mine)} mutants caught ({len(fields)} field "
            f"mutants over {len(PROFILE_FIELDS[name])} field paths, "
            f"{len(mine) - len(fields)} shape/meaning mutants)"
        )
    with capsys.disabled():
        print(
            f"\nmjspec conform mutation proof ({len(MUTANTS)} mutants in {len(RUNS)} runs, "
            f"each judged under every profile at once):\n" + "\n".join(lines)
        )


def test_the_correct_server_between_mutants_passes_under_every_profile(
    reports: dict[int, Report],
) -> None:
    report = reports[CORRECT]
    assert set(report.profiles) == set(PROFILES)  # every profile judged: no empty loop
    for name, result in report.profiles.items():
        assert result.verdict == "pass", (name, [(f.check, f.message) for f in result.failures])
        assert result.tasks_checked > 0
        assert {f.status for f in result.fields} == {"ok"}, name
