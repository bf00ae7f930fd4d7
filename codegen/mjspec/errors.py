"""The errors mjspec raises on purpose.

    MjspecError                 base: the command line catches only this
     ├── SpecError              the spec cannot be used; carries one or more SpecProblem
     ├── GenerateError          generation failed after the spec was accepted
     ├── UsageError             a bad command-line argument or input file
     └── RecordError            `mjspec record` wrote nothing (mjspec.record)

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


class GenerateError(MjspecError):
    """Generation failed after the spec was accepted (a formatter or model generator failed)."""


class UsageError(MjspecError):
    """A bad command-line argument or input file."""
