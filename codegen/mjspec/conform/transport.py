"""A `requests` session that bounds every answer: a total deadline and a maximum size.

Servers under test are not trusted. A read timeout restarts with every byte, so a server
that drips its answer a byte a second never times out; an answer may be endless. Every
request therefore runs in a worker thread that the caller waits for with a total
deadline (connection, head and body), and the body is read in chunks, counted as it
arrives, and refused past the size limit (decompressed bytes are counted, so a small
gzip bomb cannot slip through). Redirects are never followed: whatever a server
answers is the answer under test, and a credential is never sent to another origin.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

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
