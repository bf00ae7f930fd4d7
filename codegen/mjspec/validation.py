"""openapi-spec-validator in a second process, beside the work that does not need its verdict.

Importing openapi-spec-validator and running it over a spec and its profiles costs about as
much as rendering them. `mjspec generate` has no reason to wait for one before starting the
other: it runs our own checks first (`check_spec(..., validate=False)`: fast, and they find
what the validator cannot report well), starts `Validation` over the documents, renders,
and then asks `Validation.problems()`. Nothing is written before the answer, and when the
validator finds problems they are the error, whatever rendering made of the document.

The worker is this module run as `python -m mjspec.validation`: JSON documents in on stdin,
problems out on stdout. Whenever the worker cannot be used (a document that JSON would
change, such as a YAML integer key, or a worker that fails to start or answer within
`WORKER_TIMEOUT` seconds), the same validation runs in this process instead: slower,
never different.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from mjspec.errors import SpecProblem
from mjspec.spec import validator_problems

Document = tuple[str, dict[str, Any]]
"""A document to validate and the label its problems carry."""

WORKER_TIMEOUT = 120.0
"""Seconds `problems()` waits for the worker before it stops it and validates here."""


_AFTER_KILL = 5.0  # seconds close() waits for the exchange once the worker is stopped


class Validation:
    """openapi-spec-validator over `documents`, started on construction.

    `worker=None` (the default) uses a worker unless openapi-spec-validator is already
    imported in this process (then its cost is paid and a worker would only add its own);
    `True` always tries one, `False` never does.
    """

    def __init__(self, documents: Sequence[Document], *, worker: bool | None = None) -> None:
        self._documents = list(documents)
        self.answered_by_worker = False
        """Whether `problems()` came from the worker (for tests and curiosity)."""
        self._answer: list[list[SpecProblem]] | None = None
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        if worker is None:
            worker = "openapi_spec_validator" not in sys.modules
        payload = _payload(self._documents) if worker else None
        if payload is None:
            return
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "mjspec.validation"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return
        self._thread = threading.Thread(
            target=self._exchange, args=(self._process, payload), daemon=True
        )
        self._thread.start()

    def _exchange(self, process: subprocess.Popen[bytes], payload: bytes) -> None:
        try:
            out, _ = process.communicate(payload)
        except (OSError, ValueError):
            return
        if process.returncode == 0:
            self._answer = _parse(out, [label for label, _ in self._documents])

    def problems(self) -> list[SpecProblem]:
        """The first document's problems that has any (in the order given), or []."""
        found = None
        if self._thread is not None:
            self._thread.join(WORKER_TIMEOUT)
            if self._thread.is_alive():  # a worker that hangs: stop it, validate here
                self._stop()
            else:
                found = self._answer
        self.answered_by_worker = found is not None
        if found is None:  # no worker, or no usable answer: validate here
            found = [validator_problems(doc, label) for label, doc in self._documents]
        return next((problems for problems in found if problems), [])

    def close(self) -> None:
        """Stop the worker if it is still running (rendering failed or was interrupted)."""
        self._stop()
        if self._thread is not None:
            # a killed worker's pipes close at once; should something still hold them,
            # the daemon thread is left to end with the process
            self._thread.join(_AFTER_KILL)

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def __enter__(self) -> Validation:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _payload(documents: Sequence[Document]) -> bytes | None:
    """The documents as JSON, or None when JSON would not give back the same documents."""
    try:
        text = json.dumps([doc for _, doc in documents], ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    if json.loads(text) != [doc for _, doc in documents]:
        return None  # e.g. a YAML integer key or a date: validate them as they are
    return text.encode("utf-8")


def _parse(out: bytes, labels: list[str]) -> list[list[SpecProblem]] | None:
    try:
        answer = json.loads(out)
    except ValueError:
        return None
    if not (isinstance(answer, list) and len(answer) == len(labels)):
        return None
    found: list[list[SpecProblem]] = []
    for label, problems in zip(labels, answer, strict=True):
        if not isinstance(problems, list):
            return None
        try:
            found.append(
                [SpecProblem(source=label, pointer=str(p[0]), message=str(p[1])) for p in problems]
            )
        except (TypeError, IndexError, KeyError):
            return None
    return found


def main() -> int:
    """The worker: documents (a JSON array) on stdin, [[pointer, message], ...] per document."""
    documents = json.loads(sys.stdin.buffer.read())
    answer = [
        [[problem.pointer, problem.message] for problem in validator_problems(doc, "")]
        for doc in documents
    ]
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
