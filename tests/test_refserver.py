"""The reference server over real HTTP: auth, bodies, limits, `load_tasks` and `mjspec serve`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from mjapi.models import Task
from mjspec.cli import main
from mjspec.errors import UsageError
from mjspec.serve.refdata import default_tasks
from mjspec.serve.refserver import (
    PromptServer,
    RunningServer,
    load_tasks,
    serve_in_thread,
    server_config,
    start_in_thread,
)
from mjspec.spec import default_spec_path, load_spec
from tests.helpers_conform import hang_guard
from tests.hostile_servers import nested_json
from tests.strategies import set_at_path

ROOT = Path(__file__).resolve().parents[1]
PATH = "/mj/task/list-by-condition"
TOKEN = "refserver-s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Content-Type": "application/json"}

STORE: dict[str, Any] = {
    task.id: msgspec.to_builtins(task)
    for task in default_tasks(load_spec(default_spec_path(), validate=False))
}
KNOWN = sorted(STORE)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve_in_thread(token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    """A client of the shared server that sends the right token."""
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def anon() -> Iterator[httpx.Client]:
    """A client that sends no token unless a test gives one."""
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def tokenless(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, list[Task]]]:
    """A server started with a tasks file and no token, and the tasks of its file."""
    tasks = default_tasks(load_spec(default_spec_path()))[:3]
    file = _write_tasks(tmp_path_factory.mktemp("tokenless") / "tasks.json", tasks)
    with serve_in_thread(file) as running:
        yield running, tasks


def _post_json(http: httpx.Client, body: object) -> httpx.Response:
    return http.post(PATH, content=json.dumps(body, ensure_ascii=False).encode(), headers=JSON)


def _assert_problem(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """A 4xx (`status` when given) with a JSON `{"error", "message"}` body; returns the body."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert isinstance(body["error"], str)
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()]


def _write_tasks(path: Path, tasks: list[Any]) -> Path:
    path.write_bytes(msgspec.json.encode(tasks))
    return path


# Authentication


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"mj-api-secret": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
    ],
    ids=["none", "wrong", "no-scheme", "longer", "other-header", "other-scheme"],
)
def test_request_without_the_bearer_token_gets_401_json(
    server: RunningServer, anon: httpx.Client, headers: dict[str, str]
) -> None:
    response = anon.post(server.base_url + PATH, json={"ids": KNOWN[:1]}, headers=headers)
    body = _assert_problem(response, 401)
    assert body["error"] == "unauthorized"
    assert TOKEN not in response.text
    # RFC 6750: an error code only when a token was sent (and was wrong)
    sent = "authorization" in {name.lower() for name in headers}
    error = ', error="invalid_token"' if sent else ""
    assert response.headers.get_list("www-authenticate") == [f'Bearer realm="mjspec"{error}']


def test_a_401_to_any_route_or_method_carries_the_challenge(
    server: RunningServer, anon: httpx.Client
) -> None:
    for method, path in [("GET", PATH), ("POST", "/nowhere"), ("DELETE", "/")]:
        response = anon.request(method, server.base_url + path)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="mjspec"'


def test_request_with_the_bearer_token_is_answered(http: httpx.Client) -> None:
    assert _ids(_post_json(http, {"ids": KNOWN[:1]})) == KNOWN[:1]


def test_the_bearer_scheme_is_matched_case_insensitively(
    server: RunningServer, anon: httpx.Client
) -> None:
    response = anon.post(
        server.base_url + PATH,
        json={"ids": KNOWN[:1]},
        headers={"Authorization": f"bearer {TOKEN}"},
    )
    assert _ids(response) == KNOWN[:1]


def test_server_without_token_accepts_anonymous_requests(
    tokenless: tuple[RunningServer, list[Task]], anon: httpx.Client
) -> None:
    running, _ = tokenless
    response = anon.post(running.base_url + PATH, json={"ids": running.task_ids[:2]})
    assert _ids(response) == running.task_ids[:2]
    assert len(running.task_ids[:2]) == 2


# Bodies the spec allows


def test_known_tasks_come_back_as_the_store_holds_them(http: httpx.Client) -> None:
    response = _post_json(http, {"ids": KNOWN})
    assert response.headers["content-type"] == "application/json"
    assert {task["id"]: task for task in response.json()} == STORE


def test_default_store_decodes_as_tasks(server: RunningServer, http: httpx.Client) -> None:
    tasks = msgspec.json.decode(_post_json(http, {"ids": server.task_ids}).content, type=list[Task])
    assert {task.status for task in tasks} >= {"SUCCESS", "IN_PROGRESS", "FAILURE", "NOT_START"}
    assert any(task.buttons for task in tasks)


def test_unknown_ids_are_left_out(http: httpx.Client) -> None:
    assert _ids(_post_json(http, {"ids": ["nope", KNOWN[1], "", "12345"]})) == [KNOWN[1]]


def test_duplicate_ids_give_each_task_once(http: httpx.Client) -> None:
    assert sorted(_ids(_post_json(http, {"ids": [KNOWN[0], KNOWN[0], KNOWN[2]]}))) == [
        KNOWN[0],
        KNOWN[2],
    ]


@pytest.mark.parametrize(
    "body",
    [{"ids": []}, {"ids": None}, {}, {"other": 1}],
    ids=["empty", "null", "missing", "extra"],
)
def test_no_ids_give_an_empty_array(http: httpx.Client, body: dict[str, Any]) -> None:
    assert _ids(_post_json(http, body)) == []


def test_multipart_body_is_accepted(http: httpx.Client) -> None:
    parts = [("ids", (None, i.encode())) for i in (KNOWN[0], "unknown", KNOWN[3])]
    assert sorted(_ids(http.post(PATH, files=parts))) == [KNOWN[0], KNOWN[3]]


def test_multipart_body_without_ids_gives_an_empty_array(http: httpx.Client) -> None:
    assert _ids(http.post(PATH, files=[("other", (None, b"x"))])) == []


def test_thousand_ids_are_accepted(http: httpx.Client) -> None:
    ids = [KNOWN[0], *(f"unknown-{n}" for n in range(999))]
    assert _ids(_post_json(http, {"ids": ids})) == [KNOWN[0]]


def test_id_with_surrounding_whitespace_is_not_a_known_id(http: httpx.Client) -> None:
    assert _ids(_post_json(http, {"ids": [f" {KNOWN[0]}", f"{KNOWN[1]}\n"]})) == []


# Bodies the spec forbids, and limits


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"ids": ["1"', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"ids": ["\xff"]}', "not valid JSON"),
        (b'{"ids": ["1\xc3"]}', "not valid JSON"),
        (b"ids=1", "not valid JSON"),
        (b"", "no body"),
        (b'["1"]', "Expected `object`, got `array`"),
        (b"null", "Expected `object`, got `null`"),
        (b'{"ids": "1"}', "`$.ids`"),
        (b'{"ids": {"0": "1"}}', "`$.ids`"),
        (b'{"ids": 1}', "`$.ids`"),
        (b'{"ids": [1]}', "`$.ids[0]`: Expected `str`, got `int`"),
        (b'{"ids": ["1", null]}', "`$.ids[1]`: Expected `str`, got `null`"),
        (b'{"ids": ["1", ["2"]]}', "`$.ids[1]`: Expected `str`, got `array`"),
        (b'{"ids": [true]}', "`$.ids[0]`: Expected `str`, got `bool`"),
        # nested past any decoder's recursion, under a key nobody reads
        (b'{"x": ' + nested_json() + b"}", "not valid JSON: maximum recursion"),
    ],
)
def test_bad_json_body_gets_400_saying_what_is_wrong(
    http: httpx.Client, content: bytes, says: str
) -> None:
    body = _assert_problem(http.post(PATH, content=content, headers=JSON), 400)
    assert says in body["message"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded", "image/png"],
)
def test_unsupported_content_type_gets_415(http: httpx.Client, content_type: str) -> None:
    response = http.post(PATH, content=b'{"ids": []}', headers={"Content-Type": content_type})
    body = _assert_problem(response, 415)
    assert content_type in body["message"]
    assert "application/json" in body["message"]


def test_multipart_without_boundary_gets_400(http: httpx.Client) -> None:
    headers = {"Content-Type": "multipart/form-data"}
    _assert_problem(http.post(PATH, content=b"--x\r\n", headers=headers), 400)


# Each kind of error a malformed form raises in the Starlette and python-multipart versions
# the server allows; python-multipart before 0.0.29 lets the TypeError out of this header.
RFC_2231_MIXED = b"--x\r\nContent-Disposition: form-data; name*0=a; name*=b\r\n\r\n1\r\n--x--\r\n"
FORM_ERRORS = [
    HTTPException(400, "Invalid multipart data."),
    MultiPartException("Invalid multipart data."),
    TypeError("'<' not supported between instances of 'NoneType' and 'int'"),
    ValueError("bad form"),
]


@pytest.mark.parametrize("error", FORM_ERRORS, ids=lambda e: type(e).__name__)
def test_a_form_that_cannot_be_parsed_gets_400_whatever_the_parser_raises(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    async def fails(self: Request, **_: Any) -> None:
        raise error

    headers = {"Content-Type": "multipart/form-data; boundary=x"}
    real = http.post(PATH, content=RFC_2231_MIXED, headers=headers)
    assert _assert_problem(real, 400)["error"] == "invalid_form"
    monkeypatch.setattr(Request, "form", fails)  # the server's thread is in this process
    body = _assert_problem(http.post(PATH, content=RFC_2231_MIXED, headers=headers), 400)
    assert body["error"] == "invalid_form"
    assert str(error) in body["message"]


def test_body_over_one_mebibyte_gets_413(http: httpx.Client) -> None:
    content = json.dumps({"ids": ["x" * 1024] * 1024}).encode()
    assert len(content) > 1 << 20
    body = _assert_problem(http.post(PATH, content=content, headers=JSON), 413)
    assert str(1 << 20) in body["message"]


def test_chunked_body_over_one_mebibyte_gets_413(http: httpx.Client) -> None:
    """Without a Content-Length the limit is enforced while reading."""

    def chunks() -> Iterator[bytes]:
        yield b'{"ids": ['
        for _ in range(1100):
            yield b'"' + b"x" * 1000 + b'",'
        yield b'"x"]}'

    _assert_problem(http.post(PATH, content=chunks(), headers=JSON), 413)


def test_more_than_thousand_ids_get_413(http: httpx.Client) -> None:
    body = _assert_problem(_post_json(http, {"ids": [str(n) for n in range(1001)]}), 413)
    assert "1001" in body["message"]
    assert "1000" in body["message"]


@pytest.mark.parametrize(("method", "path"), [("GET", PATH), ("POST", "/mj/task/nope")])
def test_other_routes_get_a_json_4xx(http: httpx.Client, method: str, path: str) -> None:
    _assert_problem(http.request(method, path))


@pytest.mark.parametrize("method", ["GET", "TRACE", "DELETE"])
def test_an_undeclared_method_gets_405_with_an_allow_header(
    http: httpx.Client, method: str
) -> None:
    response = http.request(method, PATH)
    _assert_problem(response, 405)
    assert response.headers["allow"] == "POST"


# Property tests over the shared server


_unknown_ids = st.one_of(
    st.integers(min_value=10**15, max_value=10**16 - 1).map(str),
    st.text(st.characters(codec="utf-8"), max_size=12),
)


@st.composite
def _allowed_bodies(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(encoding, body): ids of known, unknown, duplicated and unicode ids; null; or missing."""
    ids: list[str] = draw(st.lists(st.one_of(st.sampled_from(KNOWN), _unknown_ids), max_size=12))
    duplicate: bool = draw(st.booleans())
    if ids and duplicate:
        ids += draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
    choice = draw(st.sampled_from(["list", "list", "list", "null", "missing"]))
    body: dict[str, Any] = {"ids": ids} if choice == "list" else {}
    if choice == "null":
        body["ids"] = None
    if draw(st.booleans()):
        body["extra"] = draw(st.integers())  # the request schema allows further properties
    encoding = draw(st.sampled_from(["json", "multipart"])) if choice == "list" else "json"
    return encoding, body


def _send(http: httpx.Client, encoding: str, body: dict[str, Any]) -> httpx.Response:
    if encoding == "json":
        return _post_json(http, body)
    parts = [("ids", (None, i.encode())) for i in body["ids"]]
    parts.append(("extra", (None, str(body.get("extra", "")).encode())))
    return http.post(PATH, files=parts)


@settings(max_examples=50, deadline=None)
@given(_allowed_bodies())
def test_any_allowed_body_gets_exactly_the_known_requested_tasks(
    http: httpx.Client, case: tuple[str, dict[str, Any]]
) -> None:
    encoding, body = case
    response = _send(http, encoding, body)
    assert response.status_code == 200, response.text
    tasks = response.json()
    assert {task["id"] for task in tasks} == set(body.get("ids") or ()) & set(KNOWN)
    assert all(task == STORE[task["id"]] for task in tasks)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content.decode("utf-8"))
    except ValueError:
        return False
    return True


_forbidden_bodies = st.one_of(
    _json_values.filter(lambda v: not isinstance(v, dict)).map(
        lambda v: json.dumps(v, ensure_ascii=False).encode()
    ),
    _json_values.filter(lambda v: not isinstance(v, list) and v is not None).map(
        lambda v: json.dumps({"ids": v}, ensure_ascii=False).encode()
    ),
    st.lists(st.one_of(st.text(max_size=8), _json_values), min_size=1, max_size=5)
    .filter(lambda items: not all(isinstance(i, str) for i in items))
    .map(lambda items: json.dumps({"ids": items}, ensure_ascii=False).encode()),
    st.binary(max_size=40).filter(lambda content: not _is_json(content)),
)


@settings(max_examples=50, deadline=None)
@given(_forbidden_bodies)
def test_any_forbidden_body_gets_a_4xx_json_error(http: httpx.Client, content: bytes) -> None:
    _assert_problem(http.post(PATH, content=content, headers=JSON))


# load_tasks


def test_load_tasks_reads_a_good_file(tmp_path: Path) -> None:
    tasks = default_tasks(load_spec(default_spec_path()))
    assert load_tasks(_write_tasks(tmp_path / "tasks.json", tasks)) == msgspec.to_builtins(tasks)


def test_served_tasks_file_is_what_is_returned(
    tokenless: tuple[RunningServer, list[Task]], anon: httpx.Client
) -> None:
    running, tasks = tokenless
    assert running.task_ids == [task.id for task in tasks]
    response = anon.post(running.base_url + PATH, json={"ids": running.task_ids})
    assert msgspec.json.decode(response.content, type=list[Task]) == tasks


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        ("promptEn", ..., "field `promptEn`: required field is missing"),
        (
            "buttons.3.style",
            "2",
            "field `buttons[3].style`: a JSON string ('2'), documented: integer",
        ),
        ("properties.finalZhPrompt", None, "field `properties.finalZhPrompt`: is null (documented"),
        ("submitTime", 1.5, "field `submitTime`: a JSON number (1.5), documented: integer"),
        ("buttons.2", "U3", "field `buttons[2]`: a JSON string ('U3'), documented: an object"),
    ],
)
def test_load_tasks_names_the_task_and_field_of_a_bad_file(
    tmp_path: Path, path: str, value: object, says: str
) -> None:
    tasks: list[Any] = msgspec.to_builtins(default_tasks(load_spec(default_spec_path())))
    bad = next(n for n, task in enumerate(tasks) if len(task["buttons"]) > 3)
    set_at_path(tasks[bad], path, value)
    file = _write_tasks(tmp_path / "tasks.json", tasks)
    with pytest.raises(UsageError) as caught:
        load_tasks(file)
    message = str(caught.value)
    assert f"task {tasks[bad]['id']!r} (item {bad})" in message
    assert says in message
    assert str(file) in message


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"[{", "not JSON at line 1, column 3: the file ends before the JSON does"),
        (b'{"id": "1"}', "expected a JSON array of tasks, found a JSON object"),
        (b"[7]", "item 0: a JSON integer, documented: a task object"),
    ],
)
def test_load_tasks_rejects_a_file_of_the_wrong_shape(
    tmp_path: Path, content: bytes, says: str
) -> None:
    file = tmp_path / "tasks.json"
    file.write_bytes(content)
    with pytest.raises(UsageError, match=says):
        load_tasks(file)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"{not json", "not JSON at line 1, column 2: object keys must be strings"),
        (b'[\n  {"id": "1"},\n  {"id": x}\n]', "not JSON at line 3, column 10: invalid character"),
        (b"[1] x", "not JSON at line 1, column 5: trailing characters"),
        (b'[{"id": "\xc3\xa9\xc3\xa9"} @]', "not JSON at line 1, column 15: expected ',' or ']'"),
        (b'[\n"\xff"]', "not JSON at line 2, column 2: not UTF-8 (byte 0xFF)"),
        (b"", "not JSON at line 1, column 1: the file is empty"),
        (b"\n\n", "not JSON at line 3, column 1: the file is empty"),
    ],
    ids=["not-json", "line-3", "trailing", "columns-count-characters", "not-utf8", "empty", "nl"],
)
def test_load_tasks_says_where_a_file_stops_being_json(
    tmp_path: Path, content: bytes, says: str
) -> None:
    file = tmp_path / "tasks.json"
    file.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        load_tasks(file)
    assert str(caught.value).startswith(f"{file}: {says}")
    assert "\n" not in str(caught.value)


def test_load_tasks_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the tasks file"):
        load_tasks(tmp_path / "absent.json")


# The command line


def test_cli_serve_on_port_0_announces_the_real_port_serves_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, anon: httpx.Client
) -> None:
    """As the user runs it, in its own process: the banner names the real port once the
    socket is bound (no race for a port), the token is required and never printed, the
    access log is written, and Ctrl-C is a clean stop."""
    tasks = default_tasks(load_spec(default_spec_path()))[:4]
    file = _write_tasks(tmp_path / "tasks.json", tasks)
    command = [sys.executable, "-m", "mjspec.cli", "serve", "--port", "0"]
    command += ["--tasks", str(file), "--token", TOKEN]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    banner = ids_line = ""
    try:
        assert process.stdout is not None
        # both lines are read before any request: the access log comes after them
        with hang_guard(60, "waiting for the banner of mjspec serve"):
            banner, ids_line = process.stdout.readline(), process.stdout.readline()
        found = re.search(r" on (http://127\.0\.0\.1:(\d+)): ", banner)
        assert found is not None, banner
        url, port = found.group(1), int(found.group(2))
        assert port != 0
        # the banner comes once the socket is bound: the server answers at once
        good = anon.post(url + PATH, json={"ids": [tasks[1].id, "x"]}, headers=AUTH)
        bad = anon.post(url + PATH, json={"ids": [tasks[1].id]}, headers={"mj-api-secret": TOKEN})
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert _ids(good) == [tasks[1].id]
    assert bad.status_code == 401
    output = banner + ids_line + stdout + stderr
    assert "4 tasks" in banner
    assert ids_line == f"task ids: {' '.join(task.id for task in tasks)}\n"
    assert "POST /mj/task/list-by-condition" in output, "the access log was captured"
    assert TOKEN not in output


def _one_line_exit_2(returncode: int, stdout: str, stderr: str) -> str:
    """The mistake is one line on stderr, nothing on stdout, exit 2, no traceback."""
    assert returncode == 2, (stdout, stderr)
    assert stdout == ""
    assert "Traceback" not in stderr
    assert stderr.startswith("mjspec: error: ")
    assert stderr.count("\n") == 1, stderr
    return stderr


def test_cli_serve_on_a_busy_port_exits_2_before_claiming_to_serve(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--port", str(port)])
    out, err = capsys.readouterr()
    message = _one_line_exit_2(code, out, err)
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in message


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "99999"], "--port must be from 0 to 65535 (0: any free port), not 99999"),
        (["--port", "-1"], "--port must be from 0 to 65535 (0: any free port), not -1"),
        (["--port", "http"], "--port must be a number from 0 to 65535, not 'http'"),
        # TEST-NET-1 (RFC 5737): no machine has it, and binding sends nothing
        (["--host", "192.0.2.1", "--port", "0"], "192.0.2.1:0: not an address of this machine"),
    ],
    ids=["port-out-of-range", "negative-port", "port-not-a-number", "foreign-host"],
)
def test_cli_serve_argument_mistakes_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code = main(["serve", *args])
    out, err = capsys.readouterr()
    assert says in _one_line_exit_2(code, out, err)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"{not json", "tasks.json: not JSON at line 1, column 2: object keys must be strings"),
        (b'{"id": "7"}', "tasks.json: expected a JSON array of tasks, found a JSON object"),
        (b"", "tasks.json: not JSON at line 1, column 1: the file is empty"),
        (b'[{"id": "7"}]', "tasks.json: task '7' (item 0), field `action`"),
        ("a directory", "tasks.json: cannot read the tasks file: Is a directory"),
        ("absent", "tasks.json: cannot read the tasks file"),
    ],
    ids=["not-json", "not-an-array", "empty", "bad-task", "a-directory", "missing-file"],
)
@pytest.mark.parametrize("dump", [False, True], ids=["serve", "dump-tasks"])
def test_cli_serve_tasks_file_mistakes_exit_2_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | str,
    says: str,
    dump: bool,
) -> None:
    file = tmp_path / "tasks.json"
    if content == "a directory":
        file.mkdir()
    elif isinstance(content, bytes):
        file.write_bytes(content)
    assert file.exists() == (content != "absent")
    args = ["serve", "--port", "0", "--tasks", str(file), *(["--dump-tasks"] if dump else [])]
    code = main(args)
    out, err = capsys.readouterr()
    assert says in _one_line_exit_2(code, out, err)


def test_a_stopped_server_finishes_the_answer_under_way_and_closes_idle_connections() -> None:
    """`PromptServer.stop` (what ends every embedded server) stops as uvicorn does: the
    listener closes, an idle keep-alive connection is closed, and an answer under way is
    sent in full, then its connection closed, before the server's thread ends."""
    asked, release = threading.Event(), threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] == "/slow":
            asked.set()
            await asyncio.to_thread(release.wait, 30)
        body = scope["path"].encode()
        length = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": length})
        await send({"type": "http.response.body", "body": body})

    answers: list[bytes] = []
    with contextlib.ExitStack() as stack:
        sock = stack.enter_context(socket.socket())
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = PromptServer(server_config(app, log_level="error", access_log=False))
        thread = start_in_thread(server, sock)
        stack.callback(server.stop)  # whatever fails, the server ends
        stack.callback(release.set)
        stack.enter_context(hang_guard(30, "a server stopped with an answer under way"))
        idle = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=30))
        idle.sendall(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        answered = b""
        while not answered.endswith(b"\r\n\r\n/fast"):  # answered, and kept open
            chunk = idle.recv(4096)
            assert chunk, f"the connection closed after {answered!r}"
            answered += chunk
        busy = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=30))
        busy.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        reader = threading.Thread(target=lambda: answers.append(_read_to_end(busy)))
        reader.start()
        assert asked.wait(30)
        server.stop()
        assert idle.recv(4096) == b""  # closed by the server
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=30).close()
        assert thread.is_alive()  # it waits for the answer under way
        release.set()
        reader.join()
        thread.join()
    head, _, body = answers[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == b"/slow"  # in full, and then the connection was closed (`_read_to_end`)


def _read_to_end(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)
