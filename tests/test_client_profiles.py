"""The client made for each profile, sync and async, against real HTTP servers on 127.0.0.1.

Each family's answers are written out here from what its servers send (see
../shared/facts/implementations.md), not derived from the overlays, so a wrong overlay
shows up as a failing decode.
"""

from __future__ import annotations

import copy
from typing import Any, get_args

import msgspec
import pytest

import mjapi
from mjapi.profiles import midjourney_proxy_csharp, midjourney_proxy_java, new_api
from tests import helpers_client
from tests.helpers_client import (
    Fetch,
    Serve,
    empty_trust_store,  # noqa: F401 (autouse)
    spec_example,
)
from tests.helpers_http import Reply

TOKEN = "t0ken-for-tests"
PROFILES = ("doc", "midjourney-proxy-csharp", "midjourney-proxy-java", "new-api")

# The shared client fixtures, bound here so that pytest finds them in this module.
fetch = helpers_client.fetch
module_stub = helpers_client.module_stub
serve = helpers_client.serve


def _example() -> dict[str, Any]:
    """The document's example task (a SUCCESS with nine buttons); a copy, parsed once."""
    return spec_example()[0]


def _new_api_answer() -> list[dict[str, Any]]:
    """new-api: a just-submitted task with buttons and properties null; a finished one."""
    submitted = copy.deepcopy(_example())
    submitted.update(
        id="2",
        status="",
        progress="0%",
        startTime=0,
        finishTime=0,
        buttons=None,
        properties=None,
        videoUrl="",
        videoUrls=None,
    )
    done = copy.deepcopy(_example())
    done.update(videoUrl="", videoUrls=[{"url": "https://relay.example/mj/video/1"}])
    return [submitted, done]


def _java_answer() -> list[dict[str, Any]]:
    """Java: no customId, botType, buttons or maskBase64; nulls before the task starts."""
    task = copy.deepcopy(_example())
    for absent in ("customId", "botType", "buttons", "maskBase64"):
        del task[absent]
    task.update(
        id="3",
        status="NOT_START",
        promptEn=None,
        state=None,
        startTime=None,
        finishTime=None,
        imageUrl=None,
        progress=None,
        failReason=None,
        properties={"notifyHook": None, "nonce": "1302547211321741343"},
    )
    return [task]


def _csharp_answer() -> list[dict[str, Any]]:
    """The C# fork: its entity as is, about fifty fields more, nulls while the task runs."""
    task = copy.deepcopy(_example())
    del task["customId"], task["maskBase64"]
    task.update(
        id="4",
        action=None,
        status="IN_PROGRESS",
        state=None,
        finishTime=None,
        imageUrl=None,
        failReason=None,
        buttons=[],
        displays={"submitTime": "2024-10-16 17:59:24", "status": "执行中"},
        isCompleted=False,
        seed="",
        mode="FAST",
        imageUrls=[],
        videoUrls=[],
        instanceId="1300842274347028520",
    )
    task["properties"].update(remix=False, messageContent="**pig**", discordChannelId="13")
    return [task]


ANSWERS = {
    "new-api": _new_api_answer,
    "midjourney-proxy-java": _java_answer,
    "midjourney-proxy-csharp": _csharp_answer,
}


def _json(value: object) -> bytes:
    return msgspec.json.encode(value)


# Each profile decodes its family's answers


def test_new_api_client_decodes_null_buttons_and_properties_and_the_video_fields(
    fetch: Fetch,
    serve: Serve,
) -> None:
    stub = serve(Reply(body=_json(_new_api_answer())))
    submitted, done = fetch(stub.base_url, ["2", "1730621826053455"], profile="new-api")
    assert isinstance(submitted, new_api.Task)
    assert (submitted.buttons, submitted.properties, submitted.status) == (None, None, "")
    assert (submitted.video_url, submitted.video_urls) == ("", None)
    assert done.buttons is not None and done.buttons[0].label == "U1"
    assert done.properties is not None and done.properties.final_prompt == "pig --v 6.1"
    assert [video.url for video in done.video_urls] == ["https://relay.example/mj/video/1"]


def test_java_client_decodes_absent_fields_and_nulls(fetch: Fetch, serve: Serve) -> None:
    stub = serve(Reply(body=_json(_java_answer())))
    (task,) = fetch(stub.base_url, ["3"], profile="midjourney-proxy-java")
    assert isinstance(task, midjourney_proxy_java.Task)
    assert task.buttons is msgspec.UNSET
    assert task.custom_id is msgspec.UNSET and task.bot_type is msgspec.UNSET
    nulls = (task.prompt_en, task.state, task.start_time, task.finish_time, task.image_url)
    assert nulls == (None, None, None, None, None)
    assert (task.progress, task.fail_reason) == (None, None)
    assert task.properties.final_prompt is msgspec.UNSET


def test_csharp_client_decodes_nulls_and_ignores_the_extra_fields(
    fetch: Fetch, serve: Serve
) -> None:
    stub = serve(Reply(body=_json(_csharp_answer())))
    (task,) = fetch(stub.base_url, ["4"], profile="midjourney-proxy-csharp")
    assert isinstance(task, midjourney_proxy_csharp.Task)
    assert (task.action, task.finish_time, task.image_url, task.buttons) == (None, None, None, [])
    assert task.custom_id is msgspec.UNSET
    assert not hasattr(task, "displays")
    assert task.properties.final_prompt == "pig --v 6.1"


@pytest.mark.parametrize("profile", sorted(ANSWERS))
def test_the_doc_client_rejects_each_familys_answer_naming_the_field(
    fetch: Fetch, serve: Serve, profile: str
) -> None:
    stub = serve(Reply(body=_json(ANSWERS[profile]())))
    with pytest.raises(mjapi.ContractError) as caught:
        fetch(stub.base_url, ["1"])
    assert caught.value.index == 0
    assert caught.value.field in {"buttons", "customId", "action", "promptEn", "properties"}
    assert f"`{caught.value.field}`" in str(caught.value)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_decodes_the_documents_example_or_rejects_it_by_name(
    fetch: Fetch, serve: Serve, profile: str
) -> None:
    """The document's own example is valid for every family: none requires less of it."""
    stub = serve(Reply(body=_json([_example()])))
    (task,) = fetch(stub.base_url, ["1730621826053455"], profile=profile)
    assert task.id == "1730621826053455"
    assert type(task).__module__ == (
        "mjapi.models"
        if profile == "doc"
        else mjapi.profiles.__name__ + "." + profile.replace("-", "_")
    )


def test_a_profile_still_rejects_what_its_family_never_sends(fetch: Fetch, serve: Serve) -> None:
    (task,) = _java_answer()
    task["submitTime"] = None  # Java's submitTime is a long that is always set
    stub = serve(Reply(body=_json([task])))
    with pytest.raises(mjapi.ContractError) as caught:
        fetch(stub.base_url, ["3"], profile="midjourney-proxy-java")
    assert (caught.value.field, caught.value.task_id) == ("submitTime", "3")


# The C# fork's error object answered with HTTP 200

CSHARP_ERROR = b'{"success": false, "code": -1, "description": "Parameter error", "result": null}'


def test_csharp_error_object_with_http_200_raises_status_error(fetch: Fetch, serve: Serve) -> None:
    stub = serve(Reply(body=CSHARP_ERROR))
    with pytest.raises(mjapi.StatusError) as caught:
        fetch(stub.base_url, ["1"], profile="midjourney-proxy-csharp")
    assert caught.value.status_code == 200
    assert caught.value.body == CSHARP_ERROR
    assert "answered an error object with HTTP 200" in str(caught.value)
    assert caught.value.operation == "listByCondition"


@pytest.mark.parametrize("profile", ["doc", "new-api", "midjourney-proxy-java"])
def test_other_profiles_take_the_error_object_for_a_broken_contract(
    fetch: Fetch, serve: Serve, profile: str
) -> None:
    stub = serve(Reply(body=CSHARP_ERROR))
    with pytest.raises(mjapi.ContractError) as caught:
        fetch(stub.base_url, ["1"], profile=profile)
    assert "Expected `array`, got `object`" in caught.value.reason


def test_csharp_answer_that_is_neither_is_a_contract_error(fetch: Fetch, serve: Serve) -> None:
    stub = serve(Reply(body=b'"nope"'))
    with pytest.raises(mjapi.ContractError) as caught:
        fetch(stub.base_url, ["1"], profile="midjourney-proxy-csharp")
    assert "got `str`" in caught.value.reason


# How the token is sent


@pytest.mark.parametrize(
    ("profile", "header", "value"),
    [
        ("doc", "authorization", f"Bearer {TOKEN}"),
        ("new-api", "authorization", f"Bearer {TOKEN}"),
        ("midjourney-proxy-java", "mj-api-secret", TOKEN),
        ("midjourney-proxy-csharp", "authorization", TOKEN),
    ],
)
def test_each_profile_sends_the_token_its_familys_way(
    fetch: Fetch, serve: Serve, profile: str, header: str, value: str
) -> None:
    stub = serve(Reply())
    fetch(stub.base_url, ["1"], token=TOKEN, profile=profile)
    (seen,) = stub.requests
    assert seen.headers[header] == value
    other = {"authorization", "mj-api-secret"} - {header}
    assert not other & set(seen.headers)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("header", ["Authorization", "mj-api-secret", "X-Api-Key"])
def test_a_named_auth_header_gets_the_raw_token_whatever_the_profile(
    fetch: Fetch, serve: Serve, profile: str, header: str
) -> None:
    stub = serve(Reply())
    fetch(stub.base_url, ["1"], token=TOKEN, profile=profile, auth_header=header)
    (seen,) = stub.requests
    assert seen.headers[header.lower()] == TOKEN
    sent = {"authorization", "mj-api-secret", "x-api-key"} & set(seen.headers)
    assert sent == {header.lower()}


@pytest.mark.parametrize("profile", PROFILES)
def test_no_token_sends_no_credentials_in_any_profile(
    fetch: Fetch, serve: Serve, profile: str
) -> None:
    stub = serve(Reply())
    fetch(stub.base_url, ["1"], profile=profile)
    (seen,) = stub.requests
    assert not {"authorization", "mj-api-secret"} & set(seen.headers)


# Picking a profile


@pytest.mark.parametrize("client_class", [mjapi.Client, mjapi.AsyncClient])
@pytest.mark.parametrize("name", ["newapi", "", "DOC", "new_api"])
def test_an_unknown_profile_is_a_value_error_listing_the_choices(
    client_class: type[Any], name: str
) -> None:
    with pytest.raises(ValueError, match="unknown profile") as caught:
        client_class("http://127.0.0.1:9", profile=name)
    message = str(caught.value)
    assert repr(name) in message
    assert all(choice in message for choice in PROFILES)


def test_profile_names_are_the_literal_type_of_the_argument() -> None:
    assert get_args(mjapi.ProfileName) == PROFILES
