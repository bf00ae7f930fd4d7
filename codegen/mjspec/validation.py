"""openapi-spec-validator: its verdict on a document, kept on disk for the next process, and
found in a second process when nothing else is (or here), beside the work that does not
need it.

`validator_problems` gives the verdict. It is a pure function of the document's content
and of the validator's code, so it is kept by content digest in this process and, in
the `verdicts` folder of `mjspec.diskcache`'s, for the next: under a key that also hashes
what else decides it (every installed distribution and its version, since the validator's
backend and the `format`s jsonschema checks depend on what can be imported; the
validators' settings in the environment; the modules of mjspec that read its findings).
A command that loads the package's own spec (`mjspec conform`, `serve`, `profiles`) then
imports no validator once any process on the machine has validated the same documents;
`MJSPEC_NO_CACHE=1` turns the disk off.

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

import contextlib
import functools
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from mjspec import diskcache
from mjspec.collector import one_shot
from mjspec.errors import SpecProblem
from mjspec.spec import ByContent, pointer_join
from mjspec.worker import Closing, Worker, serve

Document = tuple[str, dict[str, Any]]
"""A document to validate and the label its problems carry."""
Verdict = list[tuple[str, str]]
"""openapi-spec-validator's findings in a document: (pointer, message), in its order."""

# bumped when an entry's format changes
_FORMAT = "mjspec-validator-verdict/2"
# What else the verdict depends on: every distribution installed (openapi-spec-validator,
# the backend it picks, jsonschema-rs when importable, and the optional libraries that
# decide which `format`s jsonschema checks), read off `sys.path`'s metadata folders; the
# validators' settings from the environment; mjspec's modules that read its findings (this
# one, and `spec` for pointers).
_SETTINGS_PREFIXES = ("OPENAPI_SPEC_VALIDATOR_", "OPENAPI_SCHEMA_VALIDATOR_")
_MODULES = (Path(__file__), Path(__file__).with_name("spec.py"))
# verdicts kept on disk; the oldest go first
KEEP = 256


def validator_problems(doc: Mapping[str, Any], source: str) -> list[SpecProblem]:
    """What openapi-spec-validator finds in a document that passed our own checks."""
    return _problems(_VERDICTS.get(doc, _validate), source)


def _problems(verdict: Verdict, source: str) -> list[SpecProblem]:
    """A verdict's findings as problems of `source`: each once, in pointer order."""
    problems = {SpecProblem(source=source, pointer=p, message=m) for p, m in verdict}
    return sorted(problems, key=lambda p: (p.pointer, p.message))


def _validate(doc: Mapping[str, Any]) -> Verdict:
    # Imported here: it takes a third of a second, and a kept verdict does not need it.
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    version = str(doc.get("openapi", ""))
    validator = OpenAPIV30SpecValidator if version.startswith("3.0.") else OpenAPIV31SpecValidator
    found = []
    for error in validator(dict(doc)).iter_errors():
        pointer = pointer_join("", *getattr(error, "absolute_path", ()))
        found.append((pointer, str(getattr(error, "message", error)).splitlines()[0]))
    return found


class _OnDisk:
    """Verdicts in the `verdicts` folder of the disk cache (see `mjspec.diskcache`)."""

    def load(self, digest: bytes) -> Verdict | None:
        place = _place(digest)
        if place is None:
            return None
        value = diskcache.load(*place, _FORMAT)
        if not isinstance(value, list) or not all(
            isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
            for item in value
        ):
            return None
        return [(pointer, message) for pointer, message in value]

    def store(self, digest: bytes, value: Verdict) -> None:
        place = _place(digest)
        if place is not None:
            entry = [[pointer, message] for pointer, message in value]
            diskcache.store(*place, _FORMAT, entry, keep=KEEP)


def _place(digest: bytes) -> tuple[Path, str] | None:
    """The folder and entry name of a document's verdict; None when the disk is not used."""
    base = diskcache.cache_dir()
    code = _code_key()
    if base is None or code is None:
        return None
    return base / "verdicts", hashlib.sha256(code + digest).hexdigest()


@functools.cache
def _code_key() -> bytes | None:
    """What the verdict depends on besides the document, hashed once per process; None when
    it cannot be known (mjspec's modules cannot be read: a zipped install)."""
    key = hashlib.sha256(f"{_FORMAT}\0{sys.version}\0".encode())
    installed: set[str] = set()  # `name-version.dist-info`: each distribution and version
    for folder in sys.path:
        with contextlib.suppress(OSError):
            installed.update(
                name
                for name in os.listdir(folder or ".")
                if name.endswith((".dist-info", ".egg-info"))
            )
    for name in sorted(installed):
        key.update(f"{name}\0".encode("utf-8", "surrogatepass"))
    for name, value in sorted(os.environ.items()):
        if name.startswith(_SETTINGS_PREFIXES):
            key.update(f"{name}={value}\0".encode("utf-8", "surrogatepass"))
    for module in _MODULES:
        try:
            key.update(module.read_bytes())
        except OSError:
            return None
    return key.digest()


_VERDICTS: ByContent[Verdict] = ByContent(beyond=_OnDisk())
"""openapi-spec-validator's findings: the slowest of the checks, kept here and on disk."""


def recalled(documents: Sequence[Document]) -> list[list[SpecProblem]] | None:
    """Each document's problems when every verdict is kept already, else None."""
    found = []
    for label, doc in documents:
        verdict = _VERDICTS.recall(doc)
        if verdict is None:
            return None
        found.append(_problems(verdict, label))
    return found


class Validation(Closing):
    """openapi-spec-validator over `documents`, started on construction.

    `worker=None` (the default) uses a worker unless openapi-spec-validator is already
    imported in this process (then its cost is paid and a worker would only add its own)
    or every verdict is kept already (`recalled`); `True` always tries one, `False` never
    does (the documents are validated here, when `problems()` is first asked).
    """

    def __init__(self, documents: Sequence[Document], *, worker: bool | None = None) -> None:
        self._documents = list(documents)
        self.answered_by_worker = False
        """Whether `problems()` came from the worker (for tests and curiosity)."""
        self._found: list[SpecProblem] | None = None
        self._worker: Worker | None = None
        if worker is None:
            worker = "openapi_spec_validator" not in sys.modules
            if worker:
                kept = recalled(self._documents)
                if kept is not None:
                    self._found = next((problems for problems in kept if problems), [])
                    worker = False
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


def _answer(documents: list[dict[str, Any]]) -> list[list[list[str]]]:
    """The worker's answer: each document's problems, as [pointer, message] pairs."""
    return [
        [[problem.pointer, problem.message] for problem in validator_problems(doc, "")]
        for doc in documents
    ]


def main() -> NoReturn:
    """The worker: documents (a JSON array) on stdin, [[pointer, message], ...] per document."""
    one_shot()
    serve(_answer)


if __name__ == "__main__":
    main()
