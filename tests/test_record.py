"""`mjspec record`: a server's answer kept as a tasks file, replayed by `mjspec serve --tasks`."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from mjspec.cli import main
from mjspec.serve.record import RecordError, record
from mjspec.serve.refserver import RunningServer, serve_in_thread
from tests.helpers_conform import checkout_profiles
from tests.helpers_http import Reply, StubServer, refusing_url, stub_server
from tests.helpers_serve import serve_profiles
from tests.hostile_servers import nested_json

PATH = "/mj/task/list-by-condition"
TOKEN = "record-s3cret-token"
PROFILES = checkout_profiles()
NAMES = list(PROFILES)
ODD_TASK = (
    b'{"status":"SUCCESS","id":"42","extra":{"nested":[1,null,"x"]},"promptEn":null,'
    b'"big":123456789012345678901234567890,"ratio":0.1,"prompt":"\xe7\x8c\xab"}'
)


@pytest.fixture(scope="module")
def originals() -> Iterator[dict[str, RunningServer]]:
    """Every profile's server, each requiring TOKEN its own ways."""
    with serve_profiles(PROFILES.values(), token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as shared:
        yield shared


@pytest.fixture(scope="module")
def _stub() -> Iterator[tuple[StubServer, list[Reply]]]:
    """One recording server for the module; it answers with the last reply it was given."""
    replies = [Reply()]
    with stub_server(lambda seen: replies[-1]) as stub:
        yield stub, replies


@pytest.fixture
def answering(_stub: tuple[StubServer, list[Reply]]) -> Callable[[Reply], StubServer]:
    """`answering(reply)`: the module's server, answering `reply`, with no request seen yet."""
    stub, replies = _stub

    def answer(reply: Reply) -> StubServer:
        replies.append(reply)
        stub.requests.clear()
        return stub

    return answer


def _answer(
    client: httpx.Client, server_url: str, ids: list[str], headers: dict[str, str]
) -> bytes:
    response = client.post(server_url + PATH, json={"ids": ids}, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize("name", NAMES)
def test_a_recorded_stand_in_replays_the_same_tasks(
    tmp_path: Path, originals: dict[str, RunningServer], client: httpx.Client, name: str
) -> None:
    output = tmp_path / "tasks.json"
    original = originals[name]
    ids = original.task_ids[::2]
    assert len(ids) >= 2
    recorded = record(original.base_url, [*ids, "unknown"], output, token=TOKEN, profile=name)
    way = PROFILES[name].auth_ways[0]
    first = _answer(client, original.base_url, ids, way.headers(TOKEN))
    assert (recorded.tasks, recorded.missing, recorded.masked) == (len(ids), ("unknown",), False)
    assert json.loads(output.read_bytes()) == json.loads(first)
    with serve_in_thread(output, profile=PROFILES[name]) as replay:
        assert replay.task_ids == ids
        again = _answer(client, replay.base_url, ids, {})
    assert again == first


def test_the_answer_is_written_as_it_came(
    tmp_path: Path, answering: Callable[[Reply], StubServer]
) -> None:
    output = tmp_path / "tasks.json"
    stub = answering(Reply(body=b"[ " + ODD_TASK + b" ]"))
    recorded = record(stub.base_url, ["42", "7"], output)
    assert output.read_bytes() == b"[" + ODD_TASK + b"]\n"
    assert list(json.loads(output.read_bytes())[0]) == list(json.loads(ODD_TASK))
    assert recorded.summary() == f"recorded 1 task to {output}; did not come back: 7"


def test_an_echoed_token_is_masked_and_never_written(
    tmp_path: Path, answering: Callable[[Reply], StubServer]
) -> None:
    output = tmp_path / "tasks.json"
    echo = {"id": "1", "state": f"key={TOKEN}", TOKEN: [f"Bearer {TOKEN}"]}
    stub = answering(Reply(body=json.dumps([echo]).encode()))
    recorded = record(stub.base_url, ["1"], output, token=TOKEN)
    assert TOKEN not in output.read_text()
    assert json.loads(output.read_bytes()) == [
        {"id": "1", "state": "key=***", "***": ["Bearer ***"]}
    ]
    assert recorded.masked
    assert "***" in recorded.summary()
    assert TOKEN not in recorded.summary()


@pytest.mark.parametrize(
    ("profile", "auth_header", "sent"),
    [
        ("doc", None, {"authorization": f"Bearer {TOKEN}"}),
        ("new-api", None, {"authorization": f"Bearer {TOKEN}"}),
        ("midjourney-proxy-java", None, {"mj-api-secret": TOKEN}),
        ("midjourney-proxy-csharp", None, {"authorization": TOKEN}),
        ("doc", "mj-api-secret", {"mj-api-secret": TOKEN}),
    ],
)
def test_the_token_goes_the_profiles_way_or_raw_in_the_named_header(
    tmp_path: Path,
    answering: Callable[[Reply], StubServer],
    profile: str,
    auth_header: str | None,
    sent: dict[str, str],
) -> None:
    stub = answering(Reply())
    record(
        stub.base_url,
        ["1", "2", "1"],
        tmp_path / "t.json",
        token=TOKEN,
        auth_header=auth_header,
        profile=profile,
    )
    (seen,) = stub.requests
    assert {name: seen.headers.get(name) for name in sent} == sent
    assert seen.headers["content-type"] == "application/json"
    assert json.loads(seen.body) == {"ids": ["1", "2"]}
    assert (seen.method, seen.path) == ("POST", PATH)


# Nothing is written when recording fails


@pytest.fixture
def output(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "tasks.json"
    yield path
    assert not path.exists()
    assert list(tmp_path.iterdir()) == [], "no temporary file is left behind"


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (Reply(status=401, body=b"", content_type="text/plain"), "answered HTTP 401: (empty body)"),
        (
            Reply(status=500, body=b"<html>" + b"x" * 500, content_type="text/html"),
            "answered HTTP 500: <html>xxx",
        ),
        (
            Reply(body=b'{"success": false, "code": -1, "description": "bad"}'),
            'the answer is a JSON object, not an array of tasks: {"success": false',
        ),
        (Reply(body=b"[{"), "the answer is not JSON: [{"),
        (Reply(body=b'[{"id": "1"}, "2"]'), "item 1 of the answer is a JSON string"),
        (Reply(body=nested_json()), "the answer is not JSON: [[[["),
    ],
    ids=["401", "500", "object", "not-json", "not-a-task", "nested-past-the-decoder"],
)
def test_a_bad_answer_is_one_line_and_nothing_is_written(
    output: Path, answering: Callable[[Reply], StubServer], reply: Reply, says: str
) -> None:
    stub = answering(reply)
    with pytest.raises(RecordError) as caught:
        record(stub.base_url, ["1"], output)
    message = str(caught.value)
    assert says in message
    assert "\n" not in message
    assert len(message) < 300


def test_the_token_is_masked_in_an_error_excerpt(
    output: Path, answering: Callable[[Reply], StubServer]
) -> None:
    reply = Reply(status=403, body=f"token {TOKEN} is not allowed".encode())
    stub = answering(reply)
    with pytest.raises(RecordError) as caught:
        record(stub.base_url, ["1"], output, token=TOKEN)
    assert "answered HTTP 403: token *** is not allowed" in str(caught.value)


def test_an_unreachable_server_is_one_line(output: Path) -> None:
    with refusing_url() as base_url, pytest.raises(RecordError) as caught:
        record(base_url, ["1"], output)
    message = str(caught.value)
    assert message.startswith(f"cannot reach {base_url}{PATH}: ")
    assert "\n" not in message


def test_a_slow_server_times_out(output: Path) -> None:
    with stub_server(Reply(delay=5)) as stub, pytest.raises(RecordError, match="no answer within"):
        record(stub.base_url, ["1"], output, timeout=0.05)


def test_an_answer_over_the_declared_limit_is_refused(
    output: Path, answering: Callable[[Reply], StubServer]
) -> None:
    big = Reply(body=b"[" + b" " * 2000 + b"]")
    stub = answering(big)
    with pytest.raises(RecordError, match="over the limit of 1000"):
        record(stub.base_url, ["1"], output, max_bytes=1000)


def test_a_streamed_answer_is_cut_at_the_limit(output: Path) -> None:
    """Without a Content-Length, the limit is enforced while reading."""
    read: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield b"["
        for n in range(1000):
            read.append(n)
            yield b" " * 100

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=chunks()))
    with pytest.raises(RecordError, match="over the limit of 1000 bytes"):
        record("http://127.0.0.1:9", ["1"], output, max_bytes=1000, transport=transport)
    assert len(read) < 20


def test_an_output_in_a_missing_folder_is_refused_before_asking(
    tmp_path: Path, answering: Callable[[Reply], StubServer]
) -> None:
    stub = answering(Reply())
    with pytest.raises(RecordError, match="is not a directory"):
        record(stub.base_url, ["1"], tmp_path / "absent" / "tasks.json")
    assert stub.requests == []


def test_an_unwritable_output_is_one_line_and_leaves_nothing(
    tmp_path: Path, answering: Callable[[Reply], StubServer]
) -> None:
    target = tmp_path / "tasks.json"
    target.mkdir()  # os.replace cannot put a file over a directory
    stub = answering(Reply())
    with pytest.raises(RecordError, match="cannot write"):
        record(stub.base_url, ["1"], target)
    assert [p.name for p in tmp_path.iterdir()] == ["tasks.json"]
    assert target.is_dir()


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("127.0.0.1:8080", "it must start with http:// or https://"),
        ("ftp://127.0.0.1/", "it must start with http:// or https://"),
        ("http://", "it names no host"),
        ("http://127.0.0.1:8080/?key=s3cret", "'http://127.0.0.1:8080/?...' cannot be used"),
        ("http://127.0.0.1:8080?", "it has a query string"),
        ("http://127.0.0.1:8080/#s3cret", "'http://127.0.0.1:8080/#...' cannot be used: it has a"),
        ("http://127.0.0.1:99999/?k=s3cret", "/?...' is not a URL: Port out of range 0-65535"),
        ("http://[::1", "is not a URL: Invalid IPv6 URL"),
        ("http://me:s3cret@127.0.0.1/", "'http://me:***@127.0.0.1/' cannot be used: it carries"),
    ],
)
def test_a_base_url_that_cannot_be_used_is_refused_before_asking(
    output: Path, base_url: str, says: str
) -> None:
    with pytest.raises(RecordError) as caught:
        record(base_url, ["1"], output)
    message = str(caught.value)
    assert message.startswith("--base-url ")
    assert says in message
    assert "s3cret" not in message


@contextmanager
def resetting_server() -> Iterator[str]:
    """A server that reads a request and resets the connection (RST) without answering."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def run() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.recv(65536)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _one_line_exit_2(code: int, capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("mjspec: error: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_cli_record_of_an_unresolvable_host_gives_the_resolvers_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unresolvable(host: object, *args: object, **kwargs: object) -> NoReturn:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)  # no DNS query leaves the machine
    args = ["record", "--base-url", "http://mj.example.invalid", "--task-id", "1"]
    code = main([*args, "--output", str(tmp_path / "t.json")])
    err = _one_line_exit_2(code, capsys)
    assert err == (
        "mjspec: error: cannot resolve the host 'mj.example.invalid': Name or service not known\n"
    )


def test_cli_record_of_a_reset_connection_is_a_readable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with resetting_server() as base_url:
        args = ["record", "--base-url", base_url, "--task-id", "1"]
        code = main([*args, "--output", str(tmp_path / "t.json")])
    err = _one_line_exit_2(code, capsys)
    url = f"{base_url}{PATH}"
    assert err in (
        f"mjspec: error: {url}: the server reset the connection before answering\n",
        f"mjspec: error: {url}: the server closed the connection without answering\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_cli_record_of_a_refused_connection_is_a_readable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with refusing_url() as base_url:
        args = ["record", "--base-url", base_url, "--task-id", "1"]
        err = _one_line_exit_2(main([*args, "--output", str(tmp_path / "t.json")]), capsys)
    assert err == (
        f"mjspec: error: cannot reach {base_url}{PATH}: "
        "the connection was refused (is the server running?)\n"
    )


# The command line (in process: `main` is what the `mjspec` script calls)


def test_cli_record_with_a_query_string_in_the_base_url_is_one_masked_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command's own line, word for word, the query left out (test_cli_errors runs the
    installed command for its exit code in a process of its own)."""
    args = ["record", "--base-url", "http://127.0.0.1:9/?token=x", "--task-id", "1"]
    err = _one_line_exit_2(main([*args, "--output", str(tmp_path / "t.json")]), capsys)
    assert err == (
        "mjspec: error: --base-url 'http://127.0.0.1:9/?...' cannot be used: "
        "it has a query string (the operation's path is appended to the URL)\n"
    )
    assert not (tmp_path / "t.json").exists()


def test_cli_record_prints_one_line_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], originals: dict[str, RunningServer]
) -> None:
    output = tmp_path / "tasks.json"
    server = originals["midjourney-proxy-java"]
    args = ["record", "--base-url", server.base_url, "--token", TOKEN]
    args += ["--profile", "midjourney-proxy-java", "--output", str(output)]
    args += ["--task-id", server.task_ids[0], "--task-id", "nope"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (f"recorded 1 task to {output}; did not come back: nope\n", "")
    assert TOKEN not in out
    assert [task["id"] for task in json.loads(output.read_bytes())] == server.task_ids[:1]


def test_cli_record_error_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], originals: dict[str, RunningServer]
) -> None:
    server = originals["midjourney-proxy-java"]
    args = ["record", "--base-url", server.base_url, "--token", "wrong"]
    args += ["--profile", "midjourney-proxy-java", "--output", str(tmp_path / "t.json")]
    assert main([*args, "--task-id", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"mjspec: error: {server.base_url}{PATH} answered HTTP 401: (empty body)\n"
    assert list(tmp_path.iterdir()) == []
