"""The only place that writes generated files: atomically, or not at all.

`diff_tree` is the drift check; `write_tree` swaps a fully written temporary directory
into place, so a failure leaves the previous output as it was.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mjspec.errors import GenerateError

_IGNORED_DIRS = frozenset({"__pycache__"})


def read_tree(root: Path) -> dict[str, bytes]:
    """{relative posix path: bytes} of the files under root, caches left out."""
    found: dict[str, bytes] = {}
    if not root.is_dir():
        return found
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _IGNORED_DIRS.intersection(path.relative_to(root).parts):
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def diff_tree(expected: Mapping[str, str], root: Path, label: str) -> list[str]:
    """Unified diffs turning what is under `root` into `expected`; empty when they agree.

    Files are compared byte for byte: a changed line ending or encoding is a difference.
    """
    actual_bytes = read_tree(root)
    diffs: list[str] = []
    for name in sorted(set(expected) | set(actual_bytes)):
        raw = actual_bytes.get(name)
        new = expected.get(name)
        if raw is not None and new is not None and raw == new.encode("utf-8"):
            continue
        old = None if raw is None else raw.decode("utf-8", "replace")
        diffs.append(
            "".join(
                difflib.unified_diff(
                    (old or "").splitlines(keepends=True),
                    (new or "").splitlines(keepends=True),
                    fromfile=f"{label}/{name}" if old is not None else "/dev/null",
                    tofile=f"{label}/{name} (fresh render)" if new is not None else "/dev/null",
                )
            )
            or f"{label}/{name}: differs in its bytes (line endings or encoding)\n"
        )
    return diffs


def write_tree(files: Mapping[str, str], root: Path) -> None:
    """Make `root` hold exactly `files`, all at once: on failure nothing changes."""
    parent = root.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.new-", dir=parent))
    backup = parent / f".{root.name}.old-{os.getpid()}"
    try:
        for name, text in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        if root.exists():
            os.replace(root, backup)
        try:
            os.replace(staging, root)
        except OSError:
            if backup.exists():
                os.replace(backup, root)
            raise
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise GenerateError(f"cannot write {root}: {exc}") from exc
    shutil.rmtree(backup, ignore_errors=True)
