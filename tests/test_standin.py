"""The families' stand-ins (`mjspec serve --profile`): tasks, auth, bodies and errors over HTTP."""

from __future__ import annotations

import http
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from mjspec.cli import main
from mjspec.conform.checks import observe_task
from mjspec.conform.fields import derive_fields
from mjspec.errors import UsageError
from mjspec.profiles import AuthWay, Profile, served_rules
from mjspec.serve.errorbody import bad_body_answer, error_answer
from mjspec.serve.refdata import default_tasks, task_dicts
from mjspec.serve.refserver import (
    RunningServer,
    create_app,
    load_tasks,
    serve_app_in_thread,
    serve_in_thread,
)
from mjspec.serve.standin import served_tasks
from mjspec.spec import default_spec_path, resolve
from tests.helpers_conform import checkout_profiles
from tests.helpers_serve import serve_profiles
from tests.hostile_servers import nested_json

PATH = "/mj/task/list-by-condition"
TOKEN = "standin-s3cret-token"
PROFILES = checkout_profiles()
NAMES = list(PROFILES)
FAMILIES = [name for name in NAMES if name != "doc"]
JSON = {"Content-Type": "application/json"}
# Every way a client sends a key; each profile accepts some of them.
WAYS = (
    AuthWay(header="Authorization", bearer=True),
    AuthWay(header="Authorization"),
    AuthWay(header="mj-api-secret"),
)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, RunningServer]]:
    """Every profile's server, each requiring TOKEN its own ways."""
    with serve_profiles(PROFILES.values(), token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """One client for every request of the module (no headers of its own)."""
    with httpx.Client(timeout=10) as shared:
        yield shared


def _post(
    client: httpx.Client,
    server: RunningServer,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    profile = PROFILES[server.profile]
    sent = {**JSON, **profile.auth_ways[0].headers(TOKEN)}
    sent.update(headers or {})
    return client.post(server.base_url + PATH, content=body, headers=sent)


def _ids_body(ids: object) -> bytes:
    return json.dumps({"ids": ids}).encode()


def _assert_family_error(
    name: str, response: httpx.Response, status: int, path: str = PATH
) -> None:
    """The family's error form, as implementations.md describes it."""
    assert response.status_code == status, response.text
    assert TOKEN not in response.text
    content_type = response.headers.get("content-type", "")
    if name == "doc":
        assert content_type == "application/json"
        assert set(response.json()) == {"error", "message"}
    elif name == "new-api":
        assert content_type == "application/json"
        body = response.json()
        assert list(body) == ["description", "type", "code"]
        assert (body["type"], body["code"]) == ("upstream_error", 4)
        assert body["description"]
    elif name == "midjourney-proxy-java" and status == 401:
        assert response.content == b""
        assert "content-type" not in response.headers
    elif name == "midjourney-proxy-java":
        assert content_type == "application/json"
        body = response.json()
        assert list(body) == ["timestamp", "status", "error", "path"]
        assert body["status"] == status
        assert body["error"] == http.HTTPStatus(status).phrase
        assert body["path"] == path
    elif name == "midjourney-proxy-csharp":
        assert content_type.startswith("text/plain")
        assert response.text
    else:
        raise AssertionError(f"no expectation for the profile {name}")


# The tasks each stand-in serves (pure)


def test_doc_serves_exactly_the_default_tasks() -> None:
    doc = PROFILES["doc"].document
    assert served_tasks(PROFILES["doc"]) == msgspec.to_builtins(default_tasks(doc))
    assert served_tasks(PROFILES["doc"]) == task_dicts(doc)


def _wrong(profile_or_doc: Profile, tasks: list[dict[str, Any]]) -> dict[str, set[str]]:
    """{field path: statuses} of what breaks the profile's documented fields."""
    fields = derive_fields(profile_or_doc.document, optional=True)
    required = {f.path: f.required for f in fields}
    found: dict[str, set[str]] = {}
    for task in tasks:
        for seen in observe_task(task, fields):
            if seen.status in ("ok", "absent") or (
                seen.status == "missing" and not required[seen.path]
            ):
                continue
            found.setdefault(seen.path, set()).add(seen.status)
    return found


@pytest.mark.parametrize("name", NAMES)
def test_each_stand_in_serves_tasks_valid_under_its_own_profile(name: str) -> None:
    tasks = served_tasks(PROFILES[name])
    assert len(tasks) >= 4
    assert len({task["id"] for task in tasks}) == len(tasks)
    assert _wrong(PROFILES[name], tasks) == {}


def _schema_at(document: Mapping[str, Any], steps: tuple[str, ...]) -> Mapping[str, Any]:
    """The profile's schema of a field path (through $ref, anyOf/oneOf and array items)."""
    from mjspec.conform.fields import item_schema

    def alternatives(schema: Any) -> list[Mapping[str, Any]]:
        while isinstance(schema, Mapping) and "$ref" in schema:
            schema = resolve(document, schema["$ref"])
        members = [*schema.get("anyOf", ()), *schema.get("oneOf", ())]
        return [schema, *(m for member in members for m in alternatives(member))]

    schema: Mapping[str, Any] = item_schema(document)
    for index, step in enumerate(steps):
        if step == "[]":
            continue
        owner = next(s for s in alternatives(schema) if step in s.get("properties", {}))
        schema = owner["properties"][step]
        if index + 1 < len(steps) and steps[index + 1] == "[]":
            schema = next(s["items"] for s in alternatives(schema) if "items" in s)
    return schema


@pytest.mark.parametrize("name", FAMILIES)
def test_a_family_breaks_the_document_exactly_where_its_served_rules_touch(name: str) -> None:
    profile = PROFILES[name]
    tasks = served_tasks(profile)
    broken = _wrong(PROFILES["doc"], tasks)
    assert broken, "a family's stand-in that the document accepts proves nothing"
    doc_fields = derive_fields(PROFILES["doc"].document)
    nulling = {
        field.path
        for field in doc_fields
        if any(
            rule.absent or rule.value is None
            for rule in served_rules(_schema_at(profile.document, field.steps))
        )
    }
    # Nothing breaks that no rule touched, and every rule that takes a documented field
    # away or nulls it does so in some task.
    assert set(broken) == nulling


def test_java_serves_only_its_statuses_and_none_of_the_fields_it_lacks() -> None:
    profile = PROFILES["midjourney-proxy-java"]
    tasks = served_tasks(profile)
    known = profile.document["components"]["schemas"]["Task"]["properties"]["status"]
    assert {task["status"] for task in tasks} == set(known["x-known-values"])
    for task in tasks:
        assert not {"customId", "botType", "buttons", "maskBase64"} & set(task)
        if task["status"] in ("NOT_START", "SUBMITTED"):
            assert task["startTime"] is None
        if task["status"] == "NOT_START":
            assert task["progress"] is None
            assert "finalPrompt" not in task["properties"]


def test_new_api_serves_nulls_a_blank_status_and_its_video_fields() -> None:
    tasks = served_tasks(PROFILES["new-api"])
    blank = [task for task in tasks if task["status"] == ""]
    assert blank
    assert all(task["progress"] == "0%" and task["properties"] is None for task in blank)
    for task in tasks:
        assert (task["customId"], task["botType"], task["maskBase64"]) == ("", "", "")
        assert (task["videoUrl"], task["videoUrls"]) == ("", None)
        assert task["buttons"] is None or task["buttons"]
        assert (task["properties"] is None) == (task["status"] in ("NOT_START", ""))


def test_csharp_serves_its_extra_fields_and_nulls() -> None:
    profile = PROFILES["midjourney-proxy-csharp"]
    extra = profile.document["components"]["schemas"]["Task"]["x-mjspec-served-extra"]
    tasks = served_tasks(profile)
    assert extra
    assert "IN_PROGRESS" in {task["status"] for task in tasks}
    for task in tasks:
        assert {name: task[name] for name in extra} == extra
        assert list(task)[-len(extra) :] == list(extra)
        assert not {"customId", "maskBase64"} & set(task)
        if task["status"] == "IN_PROGRESS":
            assert (task["finishTime"], task["failReason"]) == (None, None)


# Over HTTP


@pytest.mark.parametrize("name", NAMES)
def test_each_stand_in_answers_its_tasks_as_served(
    client: httpx.Client, servers: dict[str, RunningServer], name: str
) -> None:
    server = servers[name]
    tasks = served_tasks(PROFILES[name])
    response = _post(client, server, _ids_body([*server.task_ids, "unknown"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.content == msgspec.json.encode(tasks)
    assert server.task_ids == [task["id"] for task in tasks]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("body", [b'{"ids": []}', b'{"ids": null}', b"{}", b'{"ids": ["nope"]}'])
def test_no_known_ids_give_an_empty_array(
    client: httpx.Client, servers: dict[str, RunningServer], name: str, body: bytes
) -> None:
    response = _post(client, servers[name], body)
    assert (response.status_code, response.json()) == (200, [])


def _case_variants(way: AuthWay) -> list[dict[str, str]]:
    value = f"bEaReR {TOKEN}" if way.bearer else TOKEN
    return [way.headers(TOKEN), {way.header.upper(): value}, {way.header.lower(): value}]


@pytest.mark.parametrize("name", NAMES)
def test_the_token_is_accepted_every_way_the_profile_declares(
    client: httpx.Client, servers: dict[str, RunningServer], name: str
) -> None:
    server = servers[name]
    ways = PROFILES[name].auth_ways
    assert len(ways) == len(CHALLENGES[name]), "every declared way is tried"
    for way in ways:
        for headers in _case_variants(way):
            response = client.post(
                server.base_url + PATH, json={"ids": server.task_ids[:1]}, headers=headers
            )
            assert response.status_code == 200, (way, headers, response.text)
            assert [task["id"] for task in response.json()] == server.task_ids[:1]


@pytest.mark.parametrize("name", NAMES)
def test_any_other_way_gets_the_familys_401(
    client: httpx.Client, servers: dict[str, RunningServer], name: str
) -> None:
    server = servers[name]
    declared = {way.key() for way in PROFILES[name].auth_ways}
    attempts: list[dict[str, str]] = [{}, {"Authorization": f"Basic {TOKEN}"}]
    attempts += [way.headers(TOKEN) for way in WAYS if way.key() not in declared]
    attempts += [way.headers(TOKEN + "x") for way in PROFILES[name].auth_ways]
    attempts += [way.headers(TOKEN[:-1]) for way in PROFILES[name].auth_ways]
    for headers in attempts:
        response = client.post(server.base_url + PATH, json={"ids": []}, headers=headers)
        _assert_family_error(name, response, 401)
        challenges = response.headers.get_list("www-authenticate")
        assert [c.replace(', error="invalid_token"', "") for c in challenges] == CHALLENGES[name]
        assert all(_is_challenge(challenge) for challenge in challenges), challenges


# RFC 9110 §11.6.1: challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ], where an
# auth-param is token BWS "=" BWS ( token / quoted-string ).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = rf'{_TOKEN}[ \t]*=[ \t]*(?:{_TOKEN}|"(?:[^"\\]|\\.)*")'
_CHALLENGE = re.compile(rf"{_TOKEN}(?: +{_PARAM}(?:[ \t]*,[ \t]*{_PARAM})*)?")
# What each family's 401 asks for: every way it takes the key, by scheme and header.
CHALLENGES = {
    "doc": ['Bearer realm="mjspec"'],
    "new-api": [
        'Bearer realm="mjspec"',
        'ApiKey realm="mjspec", header="mj-api-secret"',
        'ApiKey realm="mjspec", header="Authorization"',
    ],
    "midjourney-proxy-java": ['ApiKey realm="mjspec", header="mj-api-secret"'],
    "midjourney-proxy-csharp": [
        'ApiKey realm="mjspec", header="Authorization"',
        'ApiKey realm="mjspec", header="Mj-Api-Secret"',
    ],
}


def _is_challenge(value: str) -> bool:
    return _CHALLENGE.fullmatch(value) is not None


def test_the_challenge_grammar_refuses_what_rfc_9110_refuses() -> None:
    assert _is_challenge('Bearer realm="mjspec", error="invalid_token"')
    assert _is_challenge("Basic")
    for bad in ['Bearer realm="x', "realm=x", 'Api Key header="x"', 'Bearer realm="x",']:
        assert not _is_challenge(bad), bad


@pytest.mark.parametrize("name", NAMES)
def test_a_401_names_the_bearer_error_only_when_a_bearer_token_was_sent(
    client: httpx.Client, servers: dict[str, RunningServer], name: str
) -> None:
    url = servers[name].base_url + PATH
    bare = client.post(url, json={"ids": []})
    wrong = client.post(url, json={"ids": []}, headers=PROFILES[name].auth_ways[0].headers("no"))
    assert bare.headers.get_list("www-authenticate") == CHALLENGES[name]
    expected = [
        c + ', error="invalid_token"' if c.startswith("Bearer") else c for c in CHALLENGES[name]
    ]
    assert wrong.headers.get_list("www-authenticate") == expected


def test_without_a_token_a_stand_in_lets_everyone_in(client: httpx.Client) -> None:
    with serve_in_thread(profile=PROFILES["midjourney-proxy-java"]) as server:
        response = client.post(server.base_url + PATH, json={"ids": server.task_ids[:2]})
    assert response.status_code == 200, response.text
    assert [task["id"] for task in response.json()] == server.task_ids[:2]
    assert len(server.task_ids[:2]) == 2


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=x", "text/plain", "application/xml", None]
)
def test_a_body_the_family_does_not_parse_gets_its_4xx(
    client: httpx.Client, servers: dict[str, RunningServer], name: str, content_type: str | None
) -> None:
    headers = PROFILES[name].auth_ways[0].headers(TOKEN)
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = b'--x\r\nContent-Disposition: form-data; name="ids"\r\n\r\n1\r\n--x--\r\n'
    response = client.post(servers[name].base_url + PATH, content=body, headers=headers)
    _assert_family_error(name, response, 400 if name == "new-api" else 415)


def test_a_json_media_type_with_a_suffix_or_charset_is_parsed(
    client: httpx.Client,
    servers: dict[str, RunningServer],
) -> None:
    server = servers["midjourney-proxy-java"]
    for content_type in ("application/json; charset=utf-8", "application/problem+json"):
        response = _post(
            client, server, _ids_body(server.task_ids[:1]), headers={"Content-Type": content_type}
        )
        assert response.status_code == 200, (content_type, response.text)
        assert [task["id"] for task in response.json()] == server.task_ids[:1], content_type


BAD_BODIES = [
    b'{"ids": ["1"',
    b"",
    b"\xff{}",
    b"null",
    b'["1"]',
    b'{"ids": "1"}',
    b'{"ids": [1]}',
    b'{"ids": ["1", null]}',
    b'{"x": ' + nested_json() + b"}",  # past any decoder's recursion
]


@pytest.mark.parametrize("name", ["new-api", "midjourney-proxy-java"])
@pytest.mark.parametrize("body", BAD_BODIES)
def test_a_bad_body_gets_the_familys_400(
    client: httpx.Client, servers: dict[str, RunningServer], name: str, body: bytes
) -> None:
    _assert_family_error(name, _post(client, servers[name], body), 400)


@pytest.mark.parametrize("body", BAD_BODIES)
def test_the_csharp_fork_answers_a_bad_body_with_200_and_its_result_object(
    client: httpx.Client, servers: dict[str, RunningServer], body: bytes
) -> None:
    response = _post(client, servers["midjourney-proxy-csharp"], body)
    assert response.status_code == 200
    answer = response.json()
    assert list(answer) == ["success", "code", "description"]
    assert (answer["success"], answer["code"]) == (False, -1)
    assert isinstance(answer["description"], str) and answer["description"]


def test_a_bad_body_message_names_the_place(
    client: httpx.Client, servers: dict[str, RunningServer]
) -> None:
    answer = _post(client, servers["new-api"], b'{"ids": ["1", 2]}').json()
    assert "`$.ids[1]`" in answer["description"]


@pytest.mark.parametrize("name", FAMILIES)
def test_too_many_ids_and_other_routes_get_the_familys_4xx(
    client: httpx.Client, servers: dict[str, RunningServer], name: str
) -> None:
    server = servers[name]
    _assert_family_error(name, _post(client, server, _ids_body([str(n) for n in range(1001)])), 413)
    auth = PROFILES[name].auth_ways[0].headers(TOKEN)
    wrong_method = client.get(server.base_url + PATH, headers=auth)
    _assert_family_error(name, wrong_method, 405)
    assert wrong_method.headers["allow"] == "POST"
    nowhere = client.post(server.base_url + "/mj/nope", headers=auth)
    _assert_family_error(name, nowhere, 404, path="/mj/nope")


def test_a_stand_in_parses_the_forms_its_profile_declares(client: httpx.Client) -> None:
    doc = PROFILES["doc"]
    custom = Profile(
        name="forms", title="forms", description="", document=doc.document, source="test"
    )
    app = create_app(served_tasks(doc), profile=custom, max_body_bytes=1000)
    with serve_app_in_thread(app) as base_url:
        ids = [("ids", (None, task_id.encode())) for task_id in app.state.store.ids[:2]]
        parts = [*ids, ("ids", (None, b"nope")), ("other", (None, b"x"))]
        good = client.post(base_url + PATH, files=parts)
        broken = client.post(
            base_url + PATH, content=b"--x\r\n", headers={"Content-Type": "multipart/form-data"}
        )
        large = client.post(base_url + PATH, files=[("ids", (None, b"x" * 2000))])
    assert [task["id"] for task in good.json()] == app.state.store.ids[:2]
    _assert_family_error("doc", broken, 400)
    _assert_family_error("doc", large, 413)


# Error bodies are built from the profile's schemas


def test_error_bodies_fill_the_required_properties_of_the_profiles_schemas() -> None:
    java = PROFILES["midjourney-proxy-java"].document
    spring = json.loads(error_answer(java, 415, "no", path="/x").body)
    required = java["components"]["schemas"]["SpringError"]["required"]
    assert list(spring) == required
    assert (spring["status"], spring["error"], spring["path"]) == (
        415,
        "Unsupported Media Type",
        "/x",
    )
    assert error_answer(java, 401, "no").body == b""
    challenge = 'ApiKey realm="mjspec", header="mj-api-secret"'
    assert error_answer(java, 401, "no").headers == (("WWW-Authenticate", challenge),)
    assert error_answer(java, 415, "no").headers == ()
    doc = PROFILES["doc"].document
    assert bad_body_answer(doc, "bad").status == 400
    assert json.loads(error_answer(doc, 401, "m", error="unauthorized").body) == {
        "error": "unauthorized",
        "message": "m",
    }


# --tasks under a profile, and the command line


def test_a_file_a_family_would_serve_is_refused_under_doc_in_one_line(tmp_path: Path) -> None:
    tasks = served_tasks(PROFILES["new-api"])
    file = tmp_path / "new-api.json"
    file.write_bytes(msgspec.json.encode(tasks))
    assert load_tasks(file, PROFILES["new-api"]) == tasks
    with pytest.raises(UsageError) as caught:
        load_tasks(file, PROFILES["doc"])
    message = str(caught.value)
    assert message.startswith(f"{file}: task '{tasks[0]['id']}' (item 0), field `buttons`: ")
    assert "is null (documented: array, not nullable)" in message
    assert "\n" not in message


def test_cli_dump_tasks_prints_the_tasks_as_the_stand_in_serves_them(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    code = main(["serve", "--profile", "midjourney-proxy-csharp", "--dump-tasks"])
    out, err = capsysbinary.readouterr()
    assert (code, err) == (0, b"")
    tasks = served_tasks(PROFILES["midjourney-proxy-csharp"])
    assert json.loads(out.decode("utf-8")) == tasks
    assert out == msgspec.json.encode(tasks) + b"\n"


def test_cli_refuses_a_new_api_file_under_doc_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "new-api.json"
    file.write_bytes(msgspec.json.encode(served_tasks(PROFILES["new-api"])))
    code = main(["serve", "--tasks", str(file), "--dump-tasks"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith(f"mjspec: error: {file}: task ")
    assert "field `buttons`: is null" in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_profile_looked_up_by_name_is_read_once_and_again_when_its_files_change(
    tmp_path: Path,
) -> None:
    from mjspec.serve.standin import load_profile

    spec = tmp_path / "openapi.yaml"
    checkout = default_spec_path()
    spec.write_bytes(checkout.read_bytes())
    (tmp_path / "profiles").mkdir()
    overlay = tmp_path / "profiles" / "new-api.yaml"
    overlay.write_bytes((checkout.parent / "profiles" / "new-api.yaml").read_bytes())
    # another overlay, broken: looking up new-api reads new-api's overlay only
    (tmp_path / "profiles" / "broken.yaml").write_text("overlay: [", encoding="utf-8")
    first = load_profile("new-api", spec)
    assert first.name == "new-api"
    assert load_profile("new-api", spec) is first
    overlay.write_bytes(overlay.read_bytes() + b"\n# changed\n")
    again = load_profile("new-api", spec)
    assert again is not first
    assert again.document == first.document
    with pytest.raises(UsageError, match="choose one of: doc, broken, new-api"):
        load_profile("nope", spec)
