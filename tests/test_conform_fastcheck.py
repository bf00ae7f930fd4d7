"""The fast path of the field checks agrees with the walk, field by field.

A task that decodes cleanly into the types built from a profile's fields is counted
without being walked; any other is walked. Both must give the same counts and the same
findings: for any valid answer (drawn by Hypothesis, under every profile), and for every
way to break each field of one task among valid ones (every wrong value, and the
broken task in every place: `strategies.broken_bodies`).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mjspec.conform.checks import AnswerVerdict, check_fast, check_ok_answer
from mjspec.conform.fastcheck import FastTasks
from mjspec.conform.fields import FieldSpec, derive_fields
from tests.helpers_conform import checkout_profiles
from tests.strategies import DEFECTS, TASK_PATHS, FieldPath, broken_bodies, tasks

PROFILES = checkout_profiles()
FIELDS = {name: derive_fields(p.document, optional=True) for name, p in PROFILES.items()}
FAST = {name: FastTasks(fields) for name, fields in FIELDS.items()}


def walked(body: Any, fields: tuple[FieldSpec, ...]) -> AnswerVerdict:
    return check_ok_answer(
        content_type="application/json", body=body, fields=fields, requested=None, known=()
    )


def tallies(verdict: AnswerVerdict) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {}
    for observation in verdict.observations:
        found.setdefault(observation.path, Counter())[observation.status] += 1
    for path, counts in verdict.counts.items():
        for status, number in counts.items():
            if number:
                found.setdefault(path, Counter())[status] += number
    return found


def findings(verdict: AnswerVerdict) -> list[tuple[str, str | None, str]]:
    return sorted((p.check, p.field, p.message) for p in verdict.problems)


def test_every_profile_has_a_fast_path() -> None:
    assert FAST, "no profile found"
    assert all(fast.available for fast in FAST.values())


@settings(max_examples=60)
@given(st.lists(tasks(), max_size=4), st.sampled_from(sorted(PROFILES)))
def test_the_fast_path_is_taken_exactly_when_the_walk_finds_nothing_and_counts_alike(
    body: list[dict[str, Any]], profile: str
) -> None:
    content = json.dumps(body).encode()
    fast = check_fast(
        content_type="application/json",
        content=content,
        fast=FAST[profile],
        requested=None,
        known=(),
    )
    slow = walked(json.loads(content), FIELDS[profile])
    # Valid under the document; an extra key may break a field another profile documents
    # (new-api's `videoUrl` as a number).
    assert (fast is not None) == (slow.problems == [])
    if fast is not None:
        assert tallies(fast) == tallies(slow)
        assert fast.problems == []
        assert fast.tasks_checked == slow.tasks_checked == len(body)
    # Decoded tasks converted and counted without a walk: the same as the walk.
    mixed = check_ok_answer(
        content_type="application/json",
        body=json.loads(content),
        fields=FIELDS[profile],
        requested=None,
        known=(),
        fast=FAST[profile],
    )
    assert findings(mixed) == findings(slow)
    assert tallies(mixed) == tallies(slow)


@pytest.mark.parametrize("field", TASK_PATHS, ids=str)
def test_a_broken_task_is_walked_and_named_while_the_others_are_only_counted(
    field: FieldPath,
) -> None:
    """Every field broken every way: the same findings and counts as the walk, and only
    the broken task walked."""
    fields = FIELDS["doc"]
    json_ = "application/json"
    for defect in DEFECTS:  # missing, null, each wrong type
        bodies = list(broken_bodies(field, defect))
        assert bodies, f"no way to break {field} with {defect}"
        for label, broken in bodies:
            label = f"{defect}: {label}"
            content = json.dumps(broken.body).encode()
            fast = check_fast(
                content_type=json_, content=content, fast=FAST["doc"], requested=None, known=()
            )
            assert fast is None, label
            mixed = check_ok_answer(
                content_type=json_,
                body=json.loads(content),
                fields=fields,
                requested=None,
                known=(),
                fast=FAST["doc"],
            )
            slow = walked(json.loads(content), fields)
            assert findings(mixed) == findings(slow), label
            assert findings(slow), label
            assert tallies(mixed) == tallies(slow), label
            # only the broken task was walked (with its id broken, it has none to name)
            broken_id = broken.body[broken.index].get("id")
            assert mixed.observations, label  # the broken task was walked
            assert all(o.task_id == broken_id for o in mixed.observations), label
