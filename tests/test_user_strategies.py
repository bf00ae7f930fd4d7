"""`mjspec.strategies`, the strategies users draw tasks from, as a user would use them.

Every drawn answer must be accepted both by the conformance kit's own check of a 200
answer under the same profile and by the generated client's decoder for that profile;
over many draws the strategies must reach what each profile allows (null, absent,
values outside an open enum).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import mjapi
from mjspec import strategies
from mjspec.conform.checks import check_ok_answer
from mjspec.conform.fields import FieldSpec, derive_fields
from mjspec.profiles import Profile, load_profiles
from mjspec.spec import packaged_spec_path
from tests.helpers_client import empty_trust_store  # noqa: F401 (autouse)

PROFILES = ("doc", "midjourney-proxy-csharp", "midjourney-proxy-java", "new-api")
EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
SEARCH = settings(database=None, derandomize=True, max_examples=400, phases=[Phase.generate])


@functools.cache
def _profiles() -> dict[str, Profile]:
    return load_profiles(packaged_spec_path(), check=False)


@functools.cache
def _fields(profile: str) -> tuple[FieldSpec, ...]:
    # Optional fields too: a documented field that is present must have its type.
    return derive_fields(_profiles()[profile].document, optional=True)


class _Answers:
    """One client per profile; each call answers with the body set last."""

    def __init__(self, profile: str) -> None:
        self.body = b"[]"
        transport = httpx.MockTransport(lambda request: httpx.Response(200, content=self.body))
        self.client = mjapi.Client("http://127.0.0.1:9", profile=profile, transport=transport)

    def decode(self, answer: list[dict[str, Any]]) -> list[Any]:
        self.body = json.dumps(answer).encode()
        return list(self.client.list_by_condition(["1730621826053455"]))


@functools.cache
def _answers(profile: str) -> _Answers:
    return _Answers(profile)


def test_the_profiles_are_the_packaged_ones() -> None:
    assert strategies.profile_names() == list(_profiles())
    assert tuple(strategies.profile_names()) == PROFILES


def test_an_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"'nope'.*doc, midjourney-proxy-csharp"):
        strategies.tasks("nope")


def test_importing_mjspec_does_not_import_hypothesis() -> None:
    code = "import sys, mjspec, mjspec.testing; print('hypothesis' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("profile", PROFILES)
@EXAMPLES
@given(data=st.data())
def test_answers_pass_the_kit_and_decode(profile: str, data: st.DataObject) -> None:
    answer = data.draw(strategies.list_by_condition_answers(profile))
    json.dumps(answer, allow_nan=False).encode()  # JSON-ready, sendable as UTF-8
    verdict = check_ok_answer(
        content_type="application/json",
        body=answer,
        fields=_fields(profile),
        requested=None,
        known=(),
    )
    assert verdict.problems == []
    assert verdict.tasks_checked == len(answer)
    decoded = _answers(profile).decode(answer)
    assert [task.id for task in decoded] == [task["id"] for task in answer]


@EXAMPLES
@given(button=strategies.buttons("doc"))
def test_buttons_have_every_documented_field(button: dict[str, Any]) -> None:
    assert {"customId", "emoji", "label", "type", "style"} <= set(button)
    assert isinstance(button["type"], int) and 0 <= button["type"] <= 2**31 - 1


def _finds(strategy: st.SearchStrategy[Any], condition: Any) -> Any:
    return find(strategy, condition, settings=SEARCH)


def test_draws_reach_what_each_profile_allows() -> None:
    new_api = strategies.tasks("new-api")
    java = strategies.tasks("midjourney-proxy-java")
    doc = strategies.tasks("doc")
    # Each search fails (NoSuchExample) unless the strategy draws such a task.
    _finds(new_api, lambda t: t["buttons"] is None)
    _finds(java, lambda t: "buttons" not in t)
    _finds(new_api, lambda t: "videoUrl" in t)
    _finds(doc, lambda t: t["status"] == "SUCCESS")
    known = _profiles()["doc"].document["components"]["schemas"]["Task"]["properties"]
    statuses = known["status"]["x-known-values"]
    _finds(doc, lambda t: t["status"] not in statuses)
    # a realistic millisecond time, not merely a large integer: before the year 2100
    assert _finds(doc, lambda t: t["submitTime"] > 10**12)["submitTime"] <= 4_102_444_800_000
