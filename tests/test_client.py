"""The generated client, sync and async, against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import copy
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgspec
import pytest

import mjapi
from mjapi.models import Task
from mjspec.serve.refdata import default_tasks
from mjspec.serve.refserver import RunningServer, serve_in_thread
from mjspec.spec import default_spec_path, load_spec
from tests import helpers_client
from tests.helpers_client import (
    Serve,
    empty_trust_store,  # noqa: F401 (autouse)
    spec_example,
)
from tests.helpers_http import Reply, refusing_url, stub_server, wait_until
from tests.strategies import set_at_path

TOKEN = "t0ken-for-tests"

# The shared client fixtures, bound here so that pytest finds them in this module.
fetch = helpers_client.fetch
module_stub = helpers_client.module_stub
serve = helpers_client.serve

Fetch = Callable[..., list[Task]]


@pytest.fixture(scope="module")
def reference() -> Iterator[RunningServer]:
    with serve_in_thread(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def reference_tasks() -> dict[str, Task]:
    return {task.id: task for task in default_tasks(load_spec(default_spec_path()))}


def _tasks_json(count: int) -> list[dict[str, Any]]:
    """`count` valid tasks, ids `t0`, `t1`, ..., each with the example's buttons."""
    template = spec_example()[0]
    tasks = []
    for n in range(count):
        task = copy.deepcopy(template)
        task["id"] = f"t{n}"
        tasks.append(task)
    return tasks


def _json(value: object) -> bytes:
    return msgspec.json.encode(value)


# Reference server: what comes back


def test_known_tasks_are_returned_as_the_server_holds_them(
    fetch: Fetch, reference: RunningServer, reference_tasks: dict[str, Task]
) -> None:
    wanted = reference.task_ids[:5]
    tasks = fetch(reference.base_url, wanted, token=TOKEN)
    assert sorted(task.id for task in tasks) == sorted(wanted)
    assert all(task == reference_tasks[task.id] for task in tasks)
    assert any(task.buttons for task in tasks), "the first tasks include a SUCCESS with buttons"


def test_unknown_ids_are_left_out(fetch: Fetch, reference: RunningServer) -> None:
    known = reference.task_ids[0]
    tasks = fetch(reference.base_url, ["no-such-task", known, "999"], token=TOKEN)
    assert [task.id for task in tasks] == [known]


@pytest.mark.parametrize("ids", [[], None, ["no-such-task"]], ids=["empty", "none", "unknown"])
def test_no_known_id_gives_an_empty_list(
    fetch: Fetch, reference: RunningServer, ids: list[str] | None
) -> None:
    assert fetch(reference.base_url, ids, token=TOKEN) == []


def test_every_task_of_the_reference_server_decodes(fetch: Fetch, reference: RunningServer) -> None:
    tasks = fetch(reference.base_url, reference.task_ids, token=TOKEN)
    assert {task.id for task in tasks} == set(reference.task_ids)


# Authentication


def test_bearer_token_is_accepted_by_the_reference_server(
    fetch: Fetch, reference: RunningServer
) -> None:
    assert len(fetch(reference.base_url, reference.task_ids[:1], token=TOKEN)) == 1


@pytest.mark.parametrize(
    "options",
    [{}, {"token": "wrong"}, {"token": TOKEN, "auth_header": "mj-api-secret"}],
    ids=["no-token", "wrong-token", "raw-token-in-other-header"],
)
def test_rejected_credentials_raise_status_error_401(
    fetch: Fetch, reference: RunningServer, options: dict[str, str]
) -> None:
    with pytest.raises(mjapi.StatusError) as caught:
        fetch(reference.base_url, reference.task_ids[:1], **options)
    assert caught.value.status_code == 401
    assert msgspec.json.decode(caught.value.body)["error"] == "unauthorized"


def test_token_goes_as_bearer_in_authorization_by_default(fetch: Fetch, serve: Serve) -> None:
    stub = serve(Reply())
    fetch(stub.base_url, ["1"], token=TOKEN)
    (seen,) = stub.requests
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert "mj-api-secret" not in seen.headers


def test_token_goes_raw_in_a_named_header(fetch: Fetch, serve: Serve) -> None:
    stub = serve(Reply())
    fetch(stub.base_url, ["1"], token=TOKEN, auth_header="mj-api-secret")
    (seen,) = stub.requests
    assert seen.headers["mj-api-secret"] == TOKEN
    assert "authorization" not in seen.headers


def test_no_token_sends_no_credentials(fetch: Fetch, serve: Serve) -> None:
    stub = serve(Reply())
    fetch(stub.base_url, ["1"], auth_header="mj-api-secret")
    (seen,) = stub.requests
    assert "authorization" not in seen.headers
    assert "mj-api-secret" not in seen.headers


# The request


@pytest.mark.parametrize(
    ("ids", "body"),
    [(["1", "二"], {"ids": ["1", "二"]}), ([], {"ids": []}), (None, {})],
    ids=["ids", "empty", "none"],
)
def test_request_is_a_json_post_of_the_ids(
    fetch: Fetch, serve: Serve, ids: list[str] | None, body: dict[str, Any]
) -> None:
    stub = serve(Reply())
    fetch(stub.base_url, ids)
    (seen,) = stub.requests
    assert (seen.method, seen.path) == ("POST", "/mj/task/list-by-condition")
    assert seen.headers["content-type"] == "application/json"
    assert msgspec.json.decode(seen.body) == body


# The spec's example


def test_spec_example_decodes_field_for_field(fetch: Fetch, serve: Serve) -> None:
    example = spec_example()
    stub = serve(Reply(body=_json(example)))
    tasks = fetch(stub.base_url, ["1730621826053455"])
    assert msgspec.to_builtins(tasks) == example
    (task,) = tasks
    assert task.id == "1730621826053455"
    assert task.submit_time == 1730621826053
    assert [button.label for button in task.buttons][:4] == ["U1", "U2", "U3", "U4"]
    assert task.buttons[4].emoji == "\U0001f504"
    assert task.properties.final_prompt == "pig --v 6.1"


def test_extra_fields_are_allowed(fetch: Fetch, serve: Serve) -> None:
    tasks = _tasks_json(1)
    tasks[0]["mode"] = "FAST"
    tasks[0]["properties"]["discordInstanceId"] = "1234"
    stub = serve(Reply(body=_json(tasks)))
    assert [task.id for task in fetch(stub.base_url, ["t0"])] == ["t0"]


# Non-2xx answers


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (400, b'{"error":"invalid_body","message":"ids"}', "application/json"),
        (404, b"Not Found", "text/plain"),
        (500, b"<h1>Internal Server Error</h1>", "text/html"),
        (503, b"", "text/plain"),
    ],
)
def test_non_2xx_answer_raises_status_error_with_code_and_body(
    fetch: Fetch, serve: Serve, status: int, body: bytes, content_type: str
) -> None:
    reply = Reply(status=status, body=body, content_type=content_type)
    stub = serve(reply)
    with pytest.raises(mjapi.StatusError) as caught:
        fetch(stub.base_url, ["1"])
    assert caught.value.status_code == status
    assert caught.value.body == body
    assert f"HTTP {status}" in str(caught.value)


# 2xx answers that break the contract


def _break(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """A defect at `path` (dot-separated, numbers index lists); `...` removes the field."""

    def apply(task: dict[str, Any]) -> None:
        set_at_path(task, path, value)

    return apply


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("promptEn", ..., "promptEn", "missing"),
        ("buttons.3.style", "2", "buttons[3].style", "Expected `int`, got `str`"),
        ("properties.finalZhPrompt", None, "properties.finalZhPrompt", "got `null`"),
        ("properties.finalPrompt", ..., "properties.finalPrompt", "missing"),
        ("submitTime", 1730621826053.5, "submitTime", "Expected `int`, got `float`"),
        ("startTime", True, "startTime", "Expected `int`, got `bool`"),
        ("finishTime", "1730621855817", "finishTime", "Expected `int`, got `str`"),
        ("status", 1, "status", "Expected `str`, got `int`"),
        ("buttons", None, "buttons", "got `null`"),
        ("buttons.0", "U1", "buttons[0]", "Expected `object`, got `str`"),
        ("properties", [], "properties", "Expected `object`, got `array`"),
    ],
)
def test_contract_break_names_the_field_path_and_the_task(
    fetch: Fetch, serve: Serve, path: str, value: object, field: str, reason: str
) -> None:
    tasks = _tasks_json(3)
    _break(path, value)(tasks[2])
    stub = serve(Reply(body=_json(tasks)))
    with pytest.raises(mjapi.ContractError) as caught:
        fetch(stub.base_url, ["t0", "t1", "t2"])
    error = caught.value
    assert (error.field, error.task_id, error.index, error.status_code) == (field, "t2", 2, 200)
    assert reason in error.reason
    assert f"`{field}`" in str(error)
    assert "'t2'" in str(error)


def test_single_object_instead_of_an_array_is_a_contract_error(fetch: Fetch, serve: Serve) -> None:
    (task,) = _tasks_json(1)
    stub = serve(Reply(body=_json(task)))
    with pytest.raises(mjapi.ContractError) as caught:
        fetch(stub.base_url, ["t0"])
    assert "Expected `array`, got `object`" in caught.value.reason
    assert caught.value.index is None


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, b"[{"), (200, b"<html>ok</html>"), (200, b""), (204, b""), (200, b'[{"id": "\xff"}]')],
    ids=["truncated", "html", "empty-200", "empty-204", "not-utf8"],
)
def test_invalid_json_is_a_contract_error(
    fetch: Fetch, serve: Serve, status: int, body: bytes
) -> None:
    stub = serve(Reply(status=status, body=body))
    with pytest.raises(mjapi.ContractError) as caught:
        fetch(stub.base_url, ["1"])
    assert "not valid JSON" in str(caught.value)
    assert caught.value.status_code == status


# Transport failures


def test_slow_server_raises_request_timeout(fetch: Fetch, serve: Serve) -> None:
    """The answer would come after 10 s: getting the error at all is the deadline's doing."""
    stub = serve(Reply(delay=10))
    with pytest.raises(mjapi.RequestTimeout) as caught:
        fetch(stub.base_url, ["1"], timeout=0.2)
    assert "within the 0.2 s deadline (timeout=0.2)" in str(caught.value)


def test_unreachable_server_raises_connect_error(fetch: Fetch) -> None:
    with refusing_url() as url, pytest.raises(mjapi.ConnectError) as caught:
        fetch(url, ["1"], timeout=2)
    assert url.removeprefix("http://") in str(caught.value)


def test_connection_dropped_without_answer_raises_connect_error(fetch: Fetch, serve: Serve) -> None:
    stub = serve(Reply(drop=True))
    with pytest.raises(mjapi.ConnectError):
        fetch(stub.base_url, ["1"])


@pytest.mark.parametrize(
    ("reply", "options", "expected"),
    [
        (Reply(status=500, body=b"boom"), {}, mjapi.StatusError),
        (Reply(body=b'{"id": 1}'), {}, mjapi.ContractError),
        (Reply(body=b"nope"), {}, mjapi.ContractError),
        (Reply(delay=10), {"timeout": 0.2}, mjapi.RequestTimeout),
        (Reply(drop=True), {}, mjapi.ConnectError),
        (None, {"timeout": 2}, mjapi.ConnectError),
    ],
    ids=["status", "contract", "invalid-json", "timeout", "dropped", "unreachable"],
)
def test_every_failure_is_an_api_error_and_never_a_raw_httpx_error(
    fetch: Fetch,
    serve: Serve,
    reply: Reply | None,
    options: dict[str, Any],
    expected: type[mjapi.ApiError],
) -> None:
    with pytest.raises(mjapi.ApiError) as caught:
        if reply is None:
            with refusing_url() as url:
                fetch(url, ["1"], **options)
        else:
            stub = serve(reply)
            fetch(stub.base_url, ["1"], **options)
    assert type(caught.value) is expected
    assert not isinstance(caught.value, httpx.HTTPError)
    assert caught.value.operation == "listByCondition"


# Context managers and connections


def test_client_context_manager_closes_its_connection() -> None:
    with stub_server(Reply()) as stub:
        with mjapi.Client(stub.base_url) as client:
            client.list_by_condition(["1"])
            client.list_by_condition(["2"])
            assert stub.closed_connections == 0, "one kept-alive connection for both calls"
        assert wait_until(lambda: stub.closed_connections == 1)
    assert len(stub.requests) == 2


def test_client_close_closes_its_connection() -> None:
    with stub_server(Reply()) as stub:
        client = mjapi.Client(stub.base_url)
        client.list_by_condition(["1"])
        client.close()
        assert wait_until(lambda: stub.closed_connections == 1)


async def test_async_client_context_manager_closes_its_connection() -> None:
    with stub_server(Reply()) as stub:
        async with mjapi.AsyncClient(stub.base_url) as client:
            await client.list_by_condition(["1"])
            await client.list_by_condition(["2"])
            assert stub.closed_connections == 0, "one kept-alive connection for both calls"
        assert wait_until(lambda: stub.closed_connections == 1)
    assert len(stub.requests) == 2


async def test_async_client_serves_concurrent_calls(reference: RunningServer) -> None:
    ids = reference.task_ids
    async with mjapi.AsyncClient(reference.base_url, token=TOKEN) as client:
        results = await asyncio.gather(*(client.list_by_condition([i]) for i in ids[:8]))
    assert [[task.id for task in tasks] for tasks in results] == [[i] for i in ids[:8]]


def test_every_client_of_a_process_shares_one_tls_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building a TLS context loads the trust store (tens of milliseconds): once per
    process, not once per client, sync or async."""
    from mjapi import _http

    built: list[object] = []
    real = httpx.create_ssl_context

    def counting() -> ssl.SSLContext:
        context = real()
        built.append(context)
        return context

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    _http.tls_context.cache_clear()
    try:
        clients = [mjapi.Client("https://one.example"), mjapi.Client("https://two.example")]
        async_client = mjapi.AsyncClient("https://three.example")
        assert len(built) == 1
        assert _http.tls_context() is built[0]
        for client in clients:
            client.close()
        asyncio.run(async_client.aclose())
    finally:
        _http.tls_context.cache_clear()
