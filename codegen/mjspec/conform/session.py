"""Send requests and record what came back; the only part of the kit that does network I/O.

Every request of a run goes through one keep-alive `Session` and becomes an `Exchange`:
the request (a schemathesis case, or a raw method/URL/headers/body), the answer, and a
curl line reproducing it with the token masked. Judging happens elsewhere, on the
recorded exchanges, once per profile: one set of requests serves every profile.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import requests
    from schemathesis import Response

    from mjspec.conform._typing import AnyCase

Kind = Literal["operation", "method", "auth"]


class ServerGone(Exception):
    """The server stopped answering (refused connection or timeout)."""


class Masker:
    """Replaces the token in any text or JSON value by `***`."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret or None

    def text(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def value(self, value: Any) -> Any:
        if not self._secret:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        return value


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
    _curl: str | None = None
    _render: Any = None
    _json: Any = None
    _parsed: bool = False
    located: dict[Any, Any] = dataclasses.field(default_factory=dict)
    """Field walks over the decoded body, shared by the profiles (`checks.observe_task`)."""

    def json(self) -> Any:
        """The body decoded once for every profile; ValueError when it is not JSON."""
        if not self._parsed:
            try:
                self._json = json.loads(self.content)
            except ValueError as exc:
                self._json = exc
            self._parsed = True
        if isinstance(self._json, ValueError):
            raise self._json
        return self._json

    @property
    def size(self) -> int:
        """How big the request is: the smallest reproduction of a finding is kept."""
        return len(repr(self.body)) + len(self.label)

    def reproduce(self) -> str:
        """The curl line, rendered once and only when a finding keeps it."""
        if self._curl is None:
            self._curl = self._render() if self._render is not None else ""
        return self._curl


class Session:
    """Sends cases and raw requests to one server and records them."""

    def __init__(
        self,
        *,
        http: requests.Session,
        base_url: str,
        path: str,
        headers: Mapping[str, str],
        masked_headers: Mapping[str, str],
        masker: Masker,
        timeout: tuple[float, float],
    ) -> None:
        self._http = http
        self.base_url = base_url
        self.url = f"{base_url}{path}"
        self.headers = dict(headers)
        self.masked_headers = dict(masked_headers)
        self.masker = masker
        self._timeout = timeout
        self.requests = 0
        self.gone = False

    def use_headers(self, headers: Mapping[str, str], masked: Mapping[str, str]) -> None:
        """Send the token another way from now on."""
        self.headers, self.masked_headers = dict(headers), dict(masked)

    def send(self, case: AnyCase, *, negative: bool) -> Exchange:
        """Send a case of the operation; ServerGone when the server stopped answering."""
        import requests

        if self.gone:
            raise ServerGone("the server stopped answering")
        try:
            response = case.call(
                base_url=self.base_url,
                session=self._http,
                headers=self.headers,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            self.gone = True
            raise ServerGone(one_line(exc)) from None
        self.requests += 1
        masked = dict(self.masked_headers)

        def render() -> str:
            command = case.as_curl_command(headers=masked, base_url=self.base_url)
            return self.masker.text(command)

        return Exchange(
            kind="operation",
            status=response.status_code,
            content=response.content,
            content_type=response.headers.get("content-type", [None])[0],
            media_type=case.media_type or "",
            body=case.body,
            negative=negative,
            case=case,
            response=response,
            _render=render,
        )

    def raw(
        self,
        method: str,
        headers: Mapping[str, str],
        masked_headers: Mapping[str, str],
        *,
        body: Any = None,
        kind: Kind = "method",
        label: str = "",
    ) -> Exchange | None:
        """A request outside the generated cases; None when it got no answer."""
        import requests

        try:
            response = self._http.request(
                method, self.url, headers=dict(headers), json=body, timeout=self._timeout
            )
        except requests.RequestException:
            return None
        self.requests += 1
        url, masked = self.url, dict(masked_headers)

        def render() -> str:
            parts = [f"curl -X {method}"]
            parts += [f"-H '{k}: {v}'" for k, v in masked.items()]
            if body is not None:
                parts.append("-H 'Content-Type: application/json'")
                parts.append(f"-d '{json.dumps(body, ensure_ascii=False)}'")
            parts.append(url)
            return self.masker.text(" ".join(parts))

        return Exchange(
            kind=kind,
            status=response.status_code,
            content=response.content,
            content_type=response.headers.get("content-type"),
            media_type="application/json" if body is not None else "",
            body=body,
            negative=False,
            method=method,
            label=label,
            _render=render,
        )


def one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Connection refused" in text or "NewConnectionError" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return text[:200]
