"""A second Python process for slow work that need not hold up this one.

`mjspec generate` spends most of a cold run importing two tools, openapi-spec-validator
and datamodel-code-generator, and running them. A `Worker` is `python -m MODULE` started
at once: it imports what it needs while this process reads the spec, takes one JSON
request on stdin (`send`) and writes one JSON answer on stdout (`answer`). Anything short
of a clean answer within the time given (no process, a crash, a hang, output that is not
JSON) is None, and the caller does the work itself: a worker changes how fast, never what
is found. Users of it: `mjspec.validation` and `mjspec.generate.modelgen`.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from types import TracebackType
from typing import Any, NoReturn, Self

TIMEOUT = 120.0
"""Seconds `answer` waits by default before it stops the worker."""

_AFTER_KILL = 5.0  # seconds `close` waits for the exchange once the worker is stopped


class Closing:
    """A context manager that calls `close()` on the way out (the workers' common ground)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Worker(Closing):
    """`python -m module`, started on construction; one request, one answer."""

    def __init__(self, module: str) -> None:
        self._thread: threading.Thread | None = None
        self._out: bytes | None = None
        try:
            self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
                # -P: the working directory is not on the worker's path (a `json.py` there
                # must not stand in for the standard library's)
                [sys.executable, "-P", "-m", module],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._process = None

    @property
    def started(self) -> bool:
        return self._process is not None

    @property
    def ended(self) -> bool:
        """Whether the process has ended (or never started)."""
        return self._process is None or self._process.poll() is not None

    def send(self, request: Any) -> bool:
        """Hand the worker its request (a JSON value, or its UTF-8 encoding as bytes);
        False when it cannot take it."""
        process = self._process
        if process is None or self._thread is not None:
            return False
        try:
            payload = (
                request
                if isinstance(request, bytes)
                else json.dumps(request, ensure_ascii=False).encode("utf-8")
            )
        except (TypeError, ValueError):
            return False
        self._thread = threading.Thread(target=self._exchange, args=(process, payload), daemon=True)
        self._thread.start()
        return True

    def _exchange(self, process: subprocess.Popen[bytes], payload: bytes) -> None:
        try:
            out, _ = process.communicate(payload)
        except (OSError, ValueError):
            return
        if process.returncode == 0:
            self._out = out

    def answer(self, timeout: float = TIMEOUT) -> Any:
        """The worker's answer (decoded JSON), or None when there is no usable one."""
        if self._thread is None:
            return None
        self._thread.join(timeout)
        if self._thread.is_alive():  # a worker that hangs: stop it
            self._stop()
            return None
        if self._out is None:
            return None
        try:
            return json.loads(self._out)
        except ValueError:
            return None

    def close(self) -> None:
        """Stop the worker if it is still running (its answer is not wanted any more)."""
        self._stop()
        if self._thread is not None:
            # a killed worker's pipes close at once; should something still hold them,
            # the daemon thread is left to end with the process
            self._thread.join(_AFTER_KILL)
        elif self._process is not None:  # never sent anything: reap it, close its pipes
            with contextlib.suppress(OSError, ValueError, subprocess.TimeoutExpired):
                self._process.communicate(timeout=_AFTER_KILL)

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()


def serve(handle: Any) -> NoReturn:
    """The worker's side: one JSON request from stdin, `handle(request)` as JSON to stdout.

    The worker then ends at once, without the interpreter's shutdown: the caller reads
    until the worker's stdout closes, and tearing down the modules a tool imported takes a
    while and does nothing for anyone.
    """
    request = json.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(json.dumps(handle(request), ensure_ascii=False).encode("utf-8"))
    sys.stdout.buffer.flush()
    os._exit(0)
