"""A `requests` session that bounds every answer: a total deadline and a maximum size.

Servers under test are not trusted. A read timeout restarts with every byte, so a server
that drips its answer a byte a second never times out; an answer may be endless. Every
request therefore runs in a worker thread that the caller waits for with a total
deadline (connection, head and body), and the body is read in chunks, counted as it
arrives, and refused past the size limit (decompressed bytes are counted, so a small
gzip bomb cannot slip through). Redirects are never followed: whatever a server
answers is the answer under test, and a credential is never sent to another origin.

The environment is read once per origin, not before every request as `requests` does: the
proxies (`HTTPS_PROXY`, `NO_PROXY`, ...) and the CA bundle (`REQUESTS_CA_BUNDLE`,
`CURL_CA_BUNDLE`) apply as usual, while `~/.netrc` is never read: its credentials are not
for servers under test, and the only credential a run sends is the token it was given.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.utils import get_environ_proxies

CHUNK = 64 * 1024


class AnswerTooSlow(requests.exceptions.Timeout):
    """No complete answer within the deadline."""


class AnswerTooLarge(requests.exceptions.RequestException):
    """An answer over the size limit; it was not read further."""


class BoundedSession(requests.Session):
    """`requests.Session` with a total deadline and a size limit on every answer."""

    def __init__(self, *, deadline: float, max_bytes: int) -> None:
        super().__init__()
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.trust_env = False  # see the module's docstring: the environment is read here
        self._environment: dict[tuple[str, str], tuple[dict[str, str], str | None]] = {}

    def merge_environment_settings(
        self,
        url: str | bytes | None,
        proxies: Mapping[str, str] | None,
        stream: bool | None,
        verify: bool | str | None,
        cert: Any,
    ) -> dict[str, Any]:
        """`requests`' own merge, with the environment's proxies and CA bundle for the
        origin of `url` read the first time it is asked for."""
        text = url.decode() if isinstance(url, bytes) else url or ""
        parts = urlsplit(text)
        origin = (parts.scheme, parts.netloc)
        found = self._environment.get(origin)
        if found is None:
            no_proxy = (proxies or {}).get("no_proxy")
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            found = self._environment[origin] = (
                get_environ_proxies(text, no_proxy=no_proxy),
                bundle,
            )
        from_environment, bundle = found
        merged = dict(proxies or {})
        for scheme, proxy in from_environment.items():
            merged.setdefault(scheme, proxy)
        if (verify is True or verify is None) and bundle:
            verify = bundle
        settings: dict[str, Any] = super().merge_environment_settings(
            text, merged, stream, verify, cert
        )
        return settings

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["stream"] = True
        kwargs["allow_redirects"] = False
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                response = super(BoundedSession, self).send(request, **kwargs)
                outcome["response"] = response
                outcome["content"] = self._read(response)
            except BaseException as exc:  # handed to the waiting thread
                outcome["error"] = exc

        worker = threading.Thread(target=work, name="mjspec-request", daemon=True)
        worker.start()
        worker.join(self.deadline)
        if worker.is_alive():
            response = outcome.get("response")
            if response is not None:
                _abort(response)  # the worker's blocked read returns; it ends on its own
            raise AnswerTooSlow(
                f"no complete answer within {self.deadline:g} s (--request-timeout)",
                request=request,
            )
        if "error" in outcome:
            raise outcome["error"]
        response = outcome["response"]
        response._content = outcome["content"]  # what `.content` returns from now on
        response._content_consumed = True
        return response  # type: ignore[no-any-return]

    def _read(self, response: requests.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise AnswerTooLarge(
                f"the answer declares {int(declared)} bytes, over the limit of {self.max_bytes} "
                "(--max-response-bytes)",
                request=response.request,
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.raw.stream(CHUNK, decode_content=True):
            size += len(chunk)
            if size > self.max_bytes:
                response.close()
                raise AnswerTooLarge(
                    f"the answer is over the limit of {self.max_bytes} bytes "
                    "(--max-response-bytes)",
                    request=response.request,
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _abort(response: requests.Response) -> None:
    """Shut the answer's socket down under a read blocked in another thread.

    Closing the response instead would wait for the reader's lock, that is for the read
    it is blocked in: forever, against a server that drips.
    """
    import contextlib
    import socket

    raw = response.raw
    candidates = (
        getattr(getattr(raw, "_connection", None), "sock", None),
        getattr(
            getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None), "_sock", None
        ),
    )
    for sock in candidates:
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            return
