"""Files written whole or not at all: the reports, a recording, the disk caches' entries,
Hypothesis' table in the kit's home, the suite's durations.

A reader (another process, a later run, a user's browser) sees the old file or the new
one, never half of one: the bytes go to a temporary file beside the target, which then
replaces it in one rename.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """`data` in `path`, whole or not at all; OSError when it cannot be written there (the
    temporary file is removed)."""
    fd, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        Path(staged).write_bytes(data)
        os.replace(staged, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(staged)
        raise
