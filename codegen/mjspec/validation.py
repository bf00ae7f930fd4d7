"""openapi-spec-validator, in a second process when nothing else is (or here), beside the
work that does not need its verdict.

Importing openapi-spec-validator and running it over a spec and its profiles costs about as
much as rendering them. `render_spec` runs our own checks first (`check_spec(...,
validate=False)`: fast, and they find what the validator cannot report well), then
`Validation` over the documents. When datamodel-code-generator already has a worker of its
own (`generate.modelgen.Models`, as `mjspec generate` starts it), the validator runs here
while that worker generates; otherwise it runs in its own worker while the files render.
Nothing is written before its answer, and when it finds problems they are the error,
whatever rendering made of the document.

The worker (`mjspec.worker.Worker`) is this module run as `python -m mjspec.validation`:
JSON documents in on stdin, problems out on stdout. Whenever the worker cannot be used (a
document that JSON would change, such as a YAML integer key, or a worker that fails to
start or answer within `worker.TIMEOUT` seconds), the same validation runs in this process
instead: slower, never different.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from mjspec.errors import SpecProblem
from mjspec.spec import validator_problems
from mjspec.worker import Closing, Worker, one_shot, serve

Document = tuple[str, dict[str, Any]]
"""A document to validate and the label its problems carry."""


class Validation(Closing):
    """openapi-spec-validator over `documents`, started on construction.

    `worker=None` (the default) uses a worker unless openapi-spec-validator is already
    imported in this process (then its cost is paid and a worker would only add its own);
    `True` always tries one, `False` never does (the documents are validated here, when
    `problems()` is first asked).
    """

    def __init__(self, documents: Sequence[Document], *, worker: bool | None = None) -> None:
        self._documents = list(documents)
        self.answered_by_worker = False
        """Whether `problems()` came from the worker (for tests and curiosity)."""
        self._found: list[SpecProblem] | None = None
        self._worker: Worker | None = None
        if worker is None:
            worker = "openapi_spec_validator" not in sys.modules
        payload = _payload(self._documents) if worker else None
        if payload is not None:
            self._worker = Worker("mjspec.validation")
            if not self._worker.send(payload):
                self._worker.close()
                self._worker = None

    def problems(self) -> list[SpecProblem]:
        """The first document's problems that has any (in the order given), or []."""
        if self._found is None:
            found = None
            if self._worker is not None:
                found = _parse(self._worker.answer(), self._documents)
            self.answered_by_worker = found is not None
            if found is None:  # no worker, or no usable answer: validate here
                found = [validator_problems(doc, label) for label, doc in self._documents]
            self._found = next((problems for problems in found if problems), [])
        return self._found

    def close(self) -> None:
        """Stop the worker if it is still running (rendering failed or was interrupted)."""
        if self._worker is not None:
            self._worker.close()


def _payload(documents: Sequence[Document]) -> bytes | None:
    """The documents as the worker's request, or None when JSON would not give back the
    same documents (a YAML integer key, a date): they are validated here, as they are."""
    try:
        text = json.dumps([doc for _, doc in documents], ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    if json.loads(text) != [doc for _, doc in documents]:
        return None
    return text.encode("utf-8")


def _parse(answer: Any, documents: Sequence[Document]) -> list[list[SpecProblem]] | None:
    if not (isinstance(answer, list) and len(answer) == len(documents)):
        return None
    found: list[list[SpecProblem]] = []
    for (label, _), problems in zip(documents, answer, strict=True):
        if not isinstance(problems, list):
            return None
        try:
            found.append(
                [SpecProblem(source=label, pointer=str(p[0]), message=str(p[1])) for p in problems]
            )
        except (TypeError, IndexError, KeyError):
            return None
    return found


def _validate(documents: list[dict[str, Any]]) -> list[list[list[str]]]:
    return [
        [[problem.pointer, problem.message] for problem in validator_problems(doc, "")]
        for doc in documents
    ]


def main() -> NoReturn:
    """The worker: documents (a JSON array) on stdin, [[pointer, message], ...] per document."""
    one_shot()
    serve(_validate)


if __name__ == "__main__":
    main()
