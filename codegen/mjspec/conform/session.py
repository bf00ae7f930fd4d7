"""Send requests and record what came back; the only part of the kit that does network I/O.

Every request of a run goes through one keep-alive `Session` and becomes an `Exchange`:
the request (a schemathesis case, or a raw method/URL/headers/body), the answer, and a
curl line reproducing it with the token masked. Judging happens elsewhere, on the
recorded exchanges, once per profile: one set of requests serves every profile.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from mjspec.conform import curl
from mjspec.conform.transport import (
    ACCEPTED,
    AnswerTooLarge,
    AnswerTooSlow,
    BoundedTransport,
    TransportError,
)
from mjspec.errors import RunEnded
from mjspec.masking import Masker

__all__ = ["AnswerRefused", "Exchange", "Masker", "ServerGone", "Session", "one_line"]

if TYPE_CHECKING:
    from schemathesis import Response

    from mjspec.conform._typing import AnyCase

Kind = Literal["operation", "method", "auth"]


class ServerGone(RunEnded):
    """The server stopped answering (refused connection or timeout)."""


class TooDeep(ValueError):
    """A body that is JSON but nests past what a decoder reads (a recursion limit)."""

    def __init__(self) -> None:
        super().__init__("it nests deeper than a JSON decoder goes (a recursion limit)")


@dataclasses.dataclass(slots=True, kw_only=True, eq=False)
class Exchange:
    """One request and its answer."""

    kind: Kind
    status: int
    content: bytes
    content_type: str | None
    media_type: str
    """The request's media type ("" when it had no body)."""
    body: Any
    negative: bool
    """The request breaks the request schema it was generated from."""
    case: AnyCase | None = None
    response: Response | None = None
    method: str = "POST"
    label: str = ""
    """For raw probes: what was sent (`without credentials`, `GET`, an auth way)."""
    location: str | None = None
    """The `Location` of a redirect (never followed)."""
    _curl: str | None = None
    _render: Any = None
    _json: Any = None
    _parsed: bool = False
    _digest: bytes | None = None
    _size: int | None = None
    located: dict[Any, Any] = dataclasses.field(default_factory=dict)
    """Field walks over the decoded body, shared by the profiles (`checks.observe_task`)."""
    shared: dict[str, Any] = dataclasses.field(default_factory=dict)
    """What is found in the body once for every profile (the broken invariants)."""

    def json(self) -> Any:
        """The body decoded once for every profile; ValueError when it is not JSON."""
        if not self._parsed:
            import msgspec

            try:
                try:
                    # msgspec either decodes what `json` decodes to the same values, or
                    # refuses (NaN, a lone surrogate, an overflowing float): then `json` says
                    # what it makes of it. Several times faster on a large answer.
                    self._json = msgspec.json.decode(self.content)
                except (msgspec.DecodeError, ValueError):  # ValueError: not UTF-8
                    self._json = json.loads(self.content)
            except ValueError as exc:
                self._json = exc
            except RecursionError:  # a hostile body: `[[[[...` a hundred thousand deep
                self._json = TooDeep()
            self._parsed = True
        if isinstance(self._json, ValueError):
            raise self._json
        return self._json

    def digest(self) -> bytes:
        """The body's digest, computed once for every profile (keys of what is kept about
        answers across runs, which must not keep the bodies themselves)."""
        if self._digest is None:
            self._digest = hashlib.blake2b(self.content, digest_size=16).digest()
        return self._digest

    @property
    def size(self) -> int:
        """How big the request is: the smallest reproduction of a finding is kept. Measured
        once: every finding of every profile on this exchange asks (a broken server gives
        hundreds per answer, and a generated body's `repr` may be long)."""
        if self._size is None:
            self._size = len(repr(self.body)) + len(self.label)
        return self._size

    def reproduce(self) -> str:
        """The curl line, rendered once and only when a finding keeps it."""
        if self._curl is None:
            self._curl = self._render() if self._render is not None else ""
        return self._curl


class AnswerRefused(RunEnded):
    """The answer broke a bound (deadline, size); the run stops here, with this finding."""

    def __init__(self, check: str, message: str, reproduce: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message
        self.reproduce = reproduce


class Session:
    """Sends cases and raw requests to one server, with every answer bounded, and records them.

    `credentials` are the credential headers as a reproduction shows them (the token as
    `$MJSPEC_TOKEN`); `headers` are what is really sent.
    """

    def __init__(
        self,
        *,
        http: BoundedTransport,
        base_url: str,
        path: str,
        headers: Mapping[str, str],
        credentials: Mapping[str, str],
        masker: Masker,
    ) -> None:
        self._http = http
        self.base_url = base_url
        self.url = f"{base_url}{path}"
        self.headers = dict(headers)
        self.credentials = dict(credentials)
        self.masker = masker
        self.requests = 0
        self.gone = False

    def use_headers(self, headers: Mapping[str, str], credentials: Mapping[str, str]) -> None:
        """Send the token another way from now on."""
        self.headers, self.credentials = dict(headers), dict(credentials)

    def _reproduction(
        self, prepared: Any, credentials: Mapping[str, str] | None = None
    ) -> Callable[[], str]:
        creds = dict(self.credentials if credentials is None else credentials)

        def render() -> str:
            if prepared is None:
                return ""
            shown = _names(creds)
            headers = {k: v for k, v in prepared.headers.items() if k.lower() not in shown}
            command = curl.render(
                prepared.method or "POST",
                prepared.url or self.url,
                headers,
                prepared.body,
                credentials=creds.items(),
            )
            return self.masker.text(command)

        return render

    def _refused(self, exc: Exception) -> AnswerRefused | None:
        """A bound the answer broke, as a finding; None for other failures."""
        request = getattr(exc, "request", None)
        if isinstance(exc, AnswerTooSlow):
            self.gone = True
            check = "deadline"
        elif isinstance(exc, AnswerTooLarge):
            self.gone = True  # reading more of them would not end in bounded time
            check = "too_large"
        else:
            return None
        return AnswerRefused(check, str(exc), self._reproduction(request)())

    def send(self, case: AnyCase, *, negative: bool) -> Exchange:
        """Send a case; AnswerRefused past a bound, ServerGone when there is no answer."""
        import requests
        from requests.structures import CaseInsensitiveDict
        from requests.utils import get_encoding_from_headers
        from schemathesis.core.transport import Response

        if self.gone:
            raise ServerGone("the server stopped answering")
        try:
            # schemathesis serializes the case as it would send it, `requests` encodes it
            kwargs = case.as_transport_kwargs(base_url=self.base_url, headers=self.headers)
            fields = _request_fields(kwargs)
            if not _names(case.headers or {}, self.headers) & {"accept-encoding"}:
                fields["headers"]["Accept-Encoding"] = ACCEPTED
            prepared = requests.Request(**fields).prepare()
            answer = self._http.send(prepared)
        except (requests.RequestException, TransportError) as exc:
            refused = self._refused(exc)
            if refused is not None:
                raise refused from None
            self.gone = True
            raise ServerGone(one_line(exc)) from None
        self.requests += 1
        headers = answer.header_lists()
        encoding = get_encoding_from_headers(CaseInsensitiveDict(answer.headers))
        response = Response(
            status_code=answer.status,
            headers=headers,
            content=answer.content,
            request=prepared,
            elapsed=answer.elapsed,
            verify=True,
            message=answer.reason,
            http_version=answer.http_version,
            encoding=encoding,
        )
        return Exchange(
            kind="operation",
            status=answer.status,
            content=answer.content,
            content_type=headers.get("content-type", [None])[0],
            media_type=case.media_type or "",
            body=case.body,
            negative=negative,
            case=case,
            response=response,
            location=headers.get("location", [None])[0],
            _render=self._reproduction(prepared),
        )

    def raw(
        self,
        method: str,
        headers: Mapping[str, str],
        credentials: Mapping[str, str],
        *,
        body: Any = None,
        kind: Kind = "method",
        label: str = "",
    ) -> Exchange | None:
        """A request outside the generated cases; None when it got no answer."""
        import requests

        if self.gone:
            raise ServerGone("the server stopped answering")
        try:
            sent = {**_raw_headers(), **headers}
            prepared = requests.Request(method, self.url, headers=sent, json=body).prepare()
            answer = self._http.send(prepared)
        except (requests.RequestException, TransportError) as exc:
            refused = self._refused(exc)
            if refused is not None:
                raise refused from None
            return None
        self.requests += 1
        return Exchange(
            kind=kind,
            status=answer.status,
            content=answer.content,
            content_type=answer.header("content-type"),
            media_type="application/json" if body is not None else "",
            body=body,
            negative=False,
            method=method,
            label=label,
            location=answer.header("location"),
            _render=self._reproduction(prepared, credentials),
        )


def _raw_headers() -> dict[str, str]:
    """What a raw probe sends besides its own headers, as `requests` would (a case sends
    what schemathesis sets); the codings are those the transport decodes."""
    from requests.utils import default_user_agent

    return {"User-Agent": default_user_agent(), "Accept": "*/*", "Accept-Encoding": ACCEPTED}


_REQUEST_FIELDS = ("method", "url", "headers", "files", "data", "params", "auth", "cookies", "json")


def _request_fields(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A serialized case's keyword arguments that make the request itself (schemathesis
    may add a timeout or TLS settings: the transport's own apply)."""
    return {key: value for key, value in kwargs.items() if key in _REQUEST_FIELDS}


def _names(*headers: Mapping[str, Any]) -> set[str]:
    """The lower-cased header names of several header maps."""
    return {name.lower() for found in headers for name in found}


def one_line(exc: BaseException) -> str:
    """What went wrong on the wire, readable: no exception reprs, no nested tuples."""
    import http.client
    import socket

    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__ or _first_arg_exception(seen)
    for error in chain:
        if isinstance(error, socket.gaierror):
            return f"cannot resolve the host: {error.strerror or error}"
    disconnected = any(isinstance(e, http.client.RemoteDisconnected) for e in chain)
    not_http = (http.client.BadStatusLine, http.client.LineTooLong)
    if not disconnected and any(isinstance(e, not_http) for e in chain):
        return "the answer is not HTTP"
    if disconnected:
        return "the server closed the connection without an answer"
    if any(isinstance(e, http.client.IncompleteRead) for e in chain):
        return "the answer ended before its declared length"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return "the server reset the connection"
    if any(isinstance(e, ConnectionAbortedError) for e in chain):
        return "the connection broke off"
    text = " ".join(str(e) for e in chain).lower()
    if "timed out" in text or "timeout" in text:
        return "timed out"
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return first[:200]


def _first_arg_exception(exc: BaseException) -> BaseException | None:
    for arg in exc.args:
        if isinstance(arg, BaseException):
            return arg
    return None
