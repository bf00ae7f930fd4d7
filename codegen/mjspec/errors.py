"""The errors mjspec raises on purpose, and the one way they are printed.

    MjspecError                 base: the command line catches only this
     ├── SpecError              the spec cannot be used; carries one or more SpecProblem
     ├── SpecShapeError         the spec lacks what the kit needs (a 200 array of tasks)
     ├── GenerateError          generation failed after the spec was accepted
     ├── UsageError             a bad command-line argument or input file
     ├── RecordError            `mjspec record` wrote nothing (mjspec.serve.record)
     └── ConformError           `mjspec conform` could not start or judge anything
          ├── Unreachable       no answer from the server at all
          └── RunEnded          a run stopped early (no answer, an answer past a bound);
                                raised and caught inside the kit, never shown as is

Every one is printed as one line by `message()`: `mjspec: error: <what and where>`.
Anything else escaping mjspec is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class MjspecError(Exception):
    """Base of every error mjspec raises on purpose."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecProblem:
    """One thing wrong with a spec, at one place."""

    source: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}#{self.pointer}: {self.message}"


class SpecError(MjspecError):
    """The spec is unreadable, invalid, or uses something the generator does not support."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SpecShapeError(MjspecError):
    """The spec lacks what the conformance check needs (an operation, a 200 array schema)."""


class ConformError(MjspecError):
    """The run could not start or judge anything; the message is one line for the user."""


class Unreachable(ConformError):
    """No answer from the server."""


class RunEnded(ConformError):
    """A run stopped early; the kit records why and reports what it found until then."""


def message(error: BaseException | str) -> str:
    """The one line every mjspec error is printed as."""
    return f"mjspec: error: {error}"


class GenerateError(MjspecError):
    """Generation failed after the spec was accepted (a formatter or model generator failed)."""


class UsageError(MjspecError):
    """A bad command-line argument or input file."""
