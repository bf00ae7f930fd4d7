"""`mjspec record`: ask a server for tasks and keep its answer as a tasks file.

`record` POSTs `{"ids": [...]}` as JSON, with the token sent the profile's way (or raw in
a named header), reads at most `max_bytes` of the answer while it streams in, and writes
the tasks exactly as they came (key order, nulls, extra fields) to a temporary file that
replaces the output only once it is complete. The token is never written: wherever the
server echoes it, it is masked. `mjspec serve --tasks FILE --profile NAME` replays it.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import msgspec

from mjapi._http import tls_context
from mjspec.conform.fields import json_type
from mjspec.errors import MjspecError
from mjspec.files import write_atomically
from mjspec.masking import MASK, Masker, token_problem
from mjspec.profiles import DOC, OPERATION_PATH
from mjspec.serve.standin import load_profile
from mjspec.urls import base_url_problem

DEFAULT_TIMEOUT = 30.0
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
_EXCERPT = 200


class RecordError(MjspecError):
    """Nothing was recorded: the server, its answer or the output file is the reason."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """What `record` wrote."""

    output: Path
    tasks: int
    missing: tuple[str, ...]
    """Asked-for ids that did not come back."""
    masked: bool
    """The server echoed the token; it is masked in the file."""

    def summary(self) -> str:
        came = (
            "every asked-for id came back"
            if not self.missing
            else f"did not come back: {', '.join(self.missing)}"
        )
        masked = f"; the answer contained the token, written as {MASK}" if self.masked else ""
        plural = "task" if self.tasks == 1 else "tasks"
        return f"recorded {self.tasks} {plural} to {self.output}; {came}{masked}"


def record(
    base_url: str,
    task_ids: Sequence[str],
    output: Path,
    *,
    token: str | None = None,
    auth_header: str | None = None,
    profile: str = DOC,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_RESPONSE_BYTES,
    transport: httpx.BaseTransport | None = None,
) -> Recorded:
    """Record the server's answer for `task_ids` into `output`; RecordError otherwise."""
    check_base_url(base_url)
    problem = token_problem(token)
    if problem:
        raise RecordError(problem)
    if not output.parent.is_dir():
        raise RecordError(f"cannot write {output}: {output.parent} is not a directory")
    headers: dict[str, str] = {}
    if token:
        ways = load_profile(profile).auth_ways
        if auth_header:
            headers = {auth_header: token}
        elif ways:
            headers = ways[0].headers(token)
        else:
            raise RecordError(f"the profile {profile!r} declares no way to send a token")
    ids = list(dict.fromkeys(task_ids))
    url = base_url.rstrip("/") + OPERATION_PATH
    content = _fetch(url, ids, headers, token, timeout, max_bytes, transport)
    try:
        answer: Any = msgspec.json.decode(content)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # or nested too deeply
        raise RecordError(f"{url}: the answer is not JSON: {_excerpt(content, token)}") from None
    if not isinstance(answer, list):
        kind = json_type(answer)
        raise RecordError(
            f"{url}: the answer is a JSON {kind}, not an array of tasks: {_excerpt(content, token)}"
        )
    for index, task in enumerate(answer):
        if not isinstance(task, dict):
            raise RecordError(f"{url}: item {index} of the answer is a JSON {json_type(task)}")
    tasks = Masker(token).value(answer)
    try:
        write_atomically(output, msgspec.json.encode(tasks) + b"\n")
    except OSError as exc:
        raise RecordError(f"cannot write {output}: {exc.strerror or exc}") from None
    returned = {task.get("id") for task in tasks}
    return Recorded(
        output=output,
        tasks=len(tasks),
        missing=tuple(i for i in ids if i not in returned),
        masked=tasks != answer,
    )


def check_base_url(base_url: str) -> None:
    """RecordError unless `base_url` is an http(s) URL of a host, without query or fragment."""
    problem = base_url_problem(base_url)
    if problem:
        raise RecordError(problem)


def _unreachable(url: str, exc: Exception) -> str:
    """One readable line for a request that got no answer, from the exception's causes."""
    host = urllib.parse.urlsplit(url).hostname or url
    causes: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in causes:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve the host {host!r}: {cause.strerror or cause}"
        if isinstance(cause, ConnectionRefusedError):
            return f"cannot reach {url}: the connection was refused (is the server running?)"
        if isinstance(cause, ConnectionResetError):
            return f"{url}: the server reset the connection before answering"
        if isinstance(cause, ssl.SSLError):
            return f"{url}: TLS failed: {cause.reason or cause.strerror or cause}"
    if isinstance(exc, httpx.RemoteProtocolError):
        if "without sending" in str(exc) or "disconnected" in str(exc):
            return f"{url}: the server closed the connection without answering"
        return f"{url}: the answer is not valid HTTP: {exc}"
    if isinstance(exc, httpx.InvalidURL):
        return f"cannot use the URL {url}: {exc}"
    reason = next((str(c) for c in causes if str(c)), type(exc).__name__)
    return f"cannot reach {url}: {' '.join(reason.split())}"


def _fetch(
    url: str,
    ids: list[str],
    headers: dict[str, str],
    token: str | None,
    timeout: float,
    max_bytes: int,
    transport: httpx.BaseTransport | None,
) -> bytes:
    try:
        with (
            httpx.Client(timeout=timeout, transport=transport, verify=tls_context()) as client,
            client.stream("POST", url, json={"ids": ids}, headers=headers) as response,
        ):
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise RecordError(f"{url}: the answer is over the limit of {max_bytes} bytes")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise RecordError(f"{url}: the answer is over the limit of {max_bytes} bytes")
                chunks.append(chunk)
    except httpx.TimeoutException:
        raise RecordError(f"{url}: no answer within {timeout:g} s") from None
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise RecordError(Masker(token).text(_unreachable(url, exc))) from None
    content = b"".join(chunks)
    if not 200 <= response.status_code < 300:
        raise RecordError(f"{url} answered HTTP {response.status_code}: {_excerpt(content, token)}")
    return content


def _excerpt(content: bytes, token: str | None) -> str:
    text = " ".join(content.decode("utf-8", "replace").split())
    if not text:
        return "(empty body)"
    text = Masker(token).text(text)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


__all__ = ["MAX_RESPONSE_BYTES", "RecordError", "Recorded", "check_base_url", "record"]
