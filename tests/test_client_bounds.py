"""The client against hostile servers: a total deadline, a bounded answer size, no redirect.

Every hostile server of `tests.hostile_servers` must end in its `ApiError`, sync and async,
with memory bounded (a call still running after 30 s fails its test instead of hanging
it); a redirect is never followed, so no credential reaches the other origin whichever way
the token is sent. A bound is judged by the outcome, the error after the deadline, never by
the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, get_args

import httpx
import pytest

import mjapi
from mjapi._http import DEFAULT_MAX_RESPONSE_BYTES
from tests.helpers_client import empty_trust_store  # noqa: F401 (autouse)
from tests.helpers_conform import hang_guard
from tests.helpers_http import Reply, stub_server, wait_until
from tests.hostile_servers import KINDS, HostileServer, Kind, hostile

TOKEN = "t0ken-for-tests"
TIMEOUT = 0.2
PATIENT = 20.0  # for the servers that end on their own: their own error, never the deadline's
DRIP = 0.02  # seconds between two dripped bytes: many reads succeed within TIMEOUT
BOUND = 30.0  # what issue 7 allows a client against any hostile server; a hang guard here
MB = 1024 * 1024
PROFILES: tuple[str, ...] = get_args(mjapi.ProfileName)
AUTH_HEADERS = (None, "Authorization", "mj-api-secret", "Mj-Api-Secret")
REDIRECTS = (301, 302, 303, 307, 308)
DEADLINE_KINDS: tuple[Kind, ...] = ("hang", "drip")
EXPECTED: dict[Kind, tuple[type[mjapi.ApiError], str]] = {
    "hang": (mjapi.RequestTimeout, "within the 0.2 s deadline (timeout=0.2)"),
    "drip": (mjapi.RequestTimeout, "within the 0.2 s deadline (timeout=0.2)"),
    "reset": (mjapi.ConnectError, "Connection reset by peer"),
    "garbage": (mjapi.ConnectError, "did not answer valid HTTP"),
    "html_500": (mjapi.StatusError, "the server answered HTTP 500: <!DOCTYPE html>"),
    "huge": (mjapi.ResponseTooLarge, f"over the limit of {DEFAULT_MAX_RESPONSE_BYTES} bytes"),
    "deep": (mjapi.ContractError, "the body is not valid JSON (maximum recursion depth"),
    "redirect": (mjapi.StatusError, "not followed (credentials are never sent to another origin)"),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    error: mjapi.ApiError
    seconds: float  # shown, never judged: the outcome is the error
    traced_peak_mb: float  # peak of Python allocations during the call (tracemalloc)
    rss_growth_mb: float  # growth of the process's peak RSS during the call


def _within_bound(action: Callable[[], object]) -> BaseException | None:
    """Run `action` and return what it raised; a test fails, rather than hangs, if it is
    still running after BOUND seconds."""
    with hang_guard(BOUND, "the client's call"):
        try:
            action()
        except Exception as exc:
            return exc
    return None


def _call(base_url: str, mode: str, **options: Any) -> Outcome:
    """One `list_by_condition` through `Client` or `AsyncClient`, which must raise."""

    def sync() -> None:
        with mjapi.Client(base_url, **options) as client:
            client.list_by_condition(["1730621826053455"])

    async def asynchronous() -> None:
        async with mjapi.AsyncClient(base_url, **options) as client:
            await client.list_by_condition(["1730621826053455"])

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.monotonic()
    try:
        error = _within_bound(sync if mode == "sync" else lambda: asyncio.run(asynchronous()))
    finally:
        seconds = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if not isinstance(error, mjapi.ApiError):
        pytest.fail(f"{base_url}: no ApiError but {error!r}")
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before  # KiB on Linux
    return Outcome(error, seconds, peak / MB, rss_growth / 1024)


def _timeout(kind: Kind) -> float:
    return TIMEOUT if kind in DEADLINE_KINDS else PATIENT


def _check(kind: Kind, outcome: Outcome) -> None:
    kind_of_error, said = EXPECTED[kind]
    assert type(outcome.error) is kind_of_error, outcome.error
    assert said in str(outcome.error)
    assert "\n" not in str(outcome.error)
    assert outcome.traced_peak_mb < 300
    assert outcome.rss_growth_mb < 300


@pytest.fixture
def no_threads_left() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    assert wait_until(lambda: set(threading.enumerate()) <= before, timeout=2)


@pytest.fixture(scope="module")
def redirects() -> Iterator[dict[int, HostileServer]]:
    """A redirect server (and its other origin) per redirect status, for the module."""
    with contextlib.ExitStack() as stack:
        yield {s: stack.enter_context(hostile("redirect", status=s)) for s in REDIRECTS}


@pytest.fixture
def redirect(redirects: dict[int, HostileServer]) -> Callable[[int], HostileServer]:
    """`redirect(status)`: the module's redirect server for `status`, nothing received yet."""

    def fresh(status: int) -> HostileServer:
        server = redirects[status]
        assert server.target is not None
        server.requests.clear()
        server.target.requests.clear()
        return server

    return fresh


def test_every_hostile_server_ends_in_its_api_error_within_the_bound(
    capsys: pytest.CaptureFixture[str], no_threads_left: None
) -> None:
    """Sync client, timeout 0.2 s against the servers that never end (20 s against the
    others: each must end in its own error), default size limit (32 MiB) against a 300 MB
    answer."""
    lines = []
    for kind in KINDS:
        with hostile(kind) as server:
            outcome = _call(server.base_url, "sync", token=TOKEN, timeout=_timeout(kind))
        _check(kind, outcome)
        lines.append(
            f"  {kind:<9} {type(outcome.error).__name__:<17} {outcome.seconds:6.2f} s"
            f"  peak {outcome.traced_peak_mb:5.1f} MB traced, RSS +{outcome.rss_growth_mb:.0f} MB"
        )
    with capsys.disabled():
        print(
            f"\nmjapi.Client against hostile servers (timeout={TIMEOUT} against "
            f"{' and '.join(DEADLINE_KINDS)}):\n" + "\n".join(lines)
        )


@pytest.mark.parametrize("kind", KINDS)
def test_the_async_client_ends_in_the_same_api_error(kind: Kind, no_threads_left: None) -> None:
    with hostile(kind) as server:
        outcome = _call(server.base_url, "async", token=TOKEN, timeout=_timeout(kind))
    _check(kind, outcome)


# The deadline: a byte arrives every DRIP s, so no read ever waits TIMEOUT; only a
# deadline on the whole exchange can end it.


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_dripped_body_is_cut_at_the_deadline_however_often_bytes_arrive(mode: str) -> None:
    with hostile("drip", interval=DRIP) as server:
        outcome = _call(server.base_url, mode, timeout=TIMEOUT)
        sent = server.body_bytes_sent
    assert isinstance(outcome.error, mjapi.RequestTimeout)
    assert "within the 0.2 s deadline" in str(outcome.error)
    assert sent >= 3, "bytes kept arriving, and the client kept reading them, until the deadline"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_dripped_head_is_cut_at_the_deadline_too(mode: str) -> None:
    with hostile("drip", drip_head=True, interval=DRIP) as server:
        outcome = _call(server.base_url, mode, timeout=TIMEOUT)
    assert isinstance(outcome.error, mjapi.RequestTimeout)
    assert "within the 0.2 s deadline" in str(outcome.error)
    assert server.body_bytes_sent == 0, "the head never ended"


def test_an_answer_within_the_deadline_is_read_whole() -> None:
    with stub_server(Reply(delay=0.2)) as stub, mjapi.Client(stub.base_url, timeout=2) as client:
        assert client.list_by_condition(["1"]) == []


def test_the_client_is_usable_after_a_deadline_cut_a_body_short() -> None:
    with (
        hostile("drip", interval=DRIP) as server,
        mjapi.Client(server.base_url, timeout=TIMEOUT) as client,
    ):
        for _ in range(2):
            error = _within_bound(lambda: client.list_by_condition(["1"]))
            assert isinstance(error, mjapi.RequestTimeout)
        assert len(server.requests) == 2


# The size limit


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_answer_over_max_response_bytes_is_cut_off_while_it_streams(mode: str) -> None:
    with hostile("huge") as server:
        outcome = _call(server.base_url, mode, max_response_bytes=MB)
        sent = server.body_bytes_sent
    assert isinstance(outcome.error, mjapi.ResponseTooLarge)
    assert outcome.error.limit == MB
    assert f"is over the limit of {MB} bytes (max_response_bytes); stopped reading" in str(
        outcome.error
    )
    assert outcome.traced_peak_mb < 10
    assert sent < 100 * MB, "the client stopped reading; the server did not get to send it all"


def test_the_default_limit_is_32_mib_and_holds_against_a_300_mb_answer() -> None:
    with hostile("huge") as server:
        outcome = _call(server.base_url, "sync")
    assert isinstance(outcome.error, mjapi.ResponseTooLarge)
    assert outcome.error.limit == DEFAULT_MAX_RESPONSE_BYTES == 32 * MB
    assert outcome.traced_peak_mb < 3 * 32, "the chunks read, not the 300 MB"
    assert outcome.rss_growth_mb < 300


def _mock(body: bytes, *, declare_length: bool) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if declare_length:
            return httpx.Response(200, content=body)
        return httpx.Response(200, content=iter([body[:1], body[1:]]))  # streamed, no length

    return httpx.MockTransport(answer)


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "streamed"])
def test_an_answer_of_exactly_max_response_bytes_is_read_and_one_more_is_refused(
    declare_length: bool,
) -> None:
    body = b"[" + b" " * 98 + b"]"
    at_limit = mjapi.Client(
        "http://x", transport=_mock(body, declare_length=declare_length), max_response_bytes=100
    )
    assert at_limit.list_by_condition([]) == []
    over = mjapi.Client(
        "http://x", transport=_mock(body, declare_length=declare_length), max_response_bytes=99
    )
    with pytest.raises(mjapi.ResponseTooLarge) as caught:
        over.list_by_condition([])
    said = "declares 100 bytes, over the limit" if declare_length else "is over the limit"
    assert said in str(caught.value)


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"timeout": -1.0}, {"max_response_bytes": 0}, {"max_response_bytes": True}],
    ids=["timeout-zero", "timeout-negative", "size-zero", "size-bool"],
)
def test_bounds_that_are_not_positive_are_a_value_error(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be a positive number"):
        mjapi.Client("http://127.0.0.1:1", **options)


# Redirects


@pytest.mark.parametrize("auth_header", AUTH_HEADERS, ids=lambda h: h or "profile-way")
@pytest.mark.parametrize("profile", PROFILES)
def test_a_redirect_to_another_origin_is_not_followed_and_no_credential_reaches_it(
    profile: str, auth_header: str | None, redirect: Callable[[int], HostileServer]
) -> None:
    server = redirect(307)
    outcome = _call(server.base_url, "sync", token=TOKEN, profile=profile, auth_header=auth_header)
    assert server.target is not None
    assert server.target.requests == [], "nothing at all reaches the other origin"
    (sent,) = server.received_headers
    assert any(TOKEN in value for value in sent.values()), "the token went to the server asked"
    error = outcome.error
    assert isinstance(error, mjapi.StatusError)
    location = f"{server.target.base_url}/mj/task/list-by-condition"
    assert (error.status_code, error.location) == (307, location)
    assert f"answered HTTP 307, redirecting to {location}; not followed" in str(error)


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_no_redirect_status_is_followed(
    mode: str, status: int, redirect: Callable[[int], HostileServer]
) -> None:
    server = redirect(status)
    outcome = _call(server.base_url, mode, token=TOKEN, auth_header="mj-api-secret")
    assert server.target is not None and server.target.received_headers == []
    assert isinstance(outcome.error, mjapi.StatusError)
    assert outcome.error.status_code == status
    assert outcome.error.location == f"{server.target.base_url}/mj/task/list-by-condition"


@pytest.mark.parametrize("profile", PROFILES)
def test_the_async_client_sends_no_credential_to_another_origin(
    profile: str, redirect: Callable[[int], HostileServer]
) -> None:
    server = redirect(307)
    outcome = _call(server.base_url, "async", token=TOKEN, profile=profile)
    assert server.target is not None and server.target.requests == []
    assert isinstance(outcome.error, mjapi.StatusError) and outcome.error.status_code == 307


def test_a_relative_location_is_reported_resolved() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "/login?next=1"})

    client = mjapi.Client("http://127.0.0.1:9", transport=httpx.MockTransport(answer))
    with pytest.raises(mjapi.StatusError) as caught:
        client.list_by_condition([])
    assert caught.value.location == "http://127.0.0.1:9/login?next=1"
