"""A user's pytest run inside this test's process (its imports are paid already)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest


@dataclasses.dataclass(frozen=True, slots=True)
class Run:
    ret: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err

    def outcomes(self) -> dict[str, int]:
        """The counts of pytest's last line (`1 failed, 55 passed in 1.2s`)."""
        last = self.out.strip().splitlines()[-1].strip("= ")
        counts = {}
        for part in last.split(" in ")[0].split(", "):
            number, _, word = part.partition(" ")
            counts[word] = int(number)
        return counts


def run_pytest(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """`python -m pytest ARGS` in `project` (the working directory), run in this process.

    pytest marks the modules of a distribution with a pytest entry point for assertion
    rewriting, and warns about those already imported: in a run of its own nothing of
    mjspec is imported yet, in this process the suite around it has imported them. What
    the run imported from the project (its conftest, its tests) is forgotten afterwards.
    """
    paths = list(sys.path)
    try:
        # `no:unraisableexception`: that plugin forces full garbage collections as the run
        # ends, each a walk over everything this process holds (a fifth of a second); the
        # outer session's own plugin still reports what is raised in `__del__` here.
        ret = pytest.main(
            [
                *args,
                "-W",
                "ignore::pytest.PytestAssertRewriteWarning",
                "-p",
                "no:unraisableexception",
            ]
        )
    finally:
        sys.path[:] = paths
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", "") or "").startswith(str(project)):
                del sys.modules[name]
    out, err = capsys.readouterr()
    return Run(int(ret), out, err)
