"""The only place that writes generated files: atomically, or not at all.

Generated files are keyed by their path under an output root; each top-level entry they
name (the package directory, `pyproject.toml`) is owned by the generator and replaced
whole, while other entries of the root are never read or touched. `diff_tree` is the
drift check; `write_tree` writes everything into a temporary directory first and then
swaps each entry into place, putting back the previous ones if a swap fails.
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


def entries(files: Mapping[str, str]) -> list[str]:
    """The top-level names of `files` (`mjapi`, `pyproject.toml`), sorted."""
    return sorted({name.split("/", 1)[0] for name in files})


def read_entries(root: Path, names: list[str]) -> dict[str, bytes]:
    """{relative posix path: bytes} of the named entries of root (files or directories)."""
    found: dict[str, bytes] = {}
    for name in names:
        path = root / name
        if path.is_dir():
            found.update({f"{name}/{k}": v for k, v in read_tree(path).items()})
        elif path.is_file():
            found[name] = path.read_bytes()
    return found


def diff_tree(expected: Mapping[str, str], root: Path, label: str) -> list[str]:
    """Unified diffs turning the entries of `root` that `expected` names into `expected`.

    Empty when they agree. Files are compared byte for byte: a changed line ending or
    encoding is a difference; a file inside a named directory that `expected` lacks is one.
    """
    actual_bytes = read_entries(root, entries(expected))
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
    """Make each entry of `root` that `files` names hold exactly its files; on failure
    (or Ctrl-C) nothing changes. Entries of `root` that `files` does not name are left
    alone."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mjspec.new-", dir=root))
    backup = Path(tempfile.mkdtemp(prefix=".mjspec.old-", dir=root))
    swapped: list[str] = []
    try:
        for name, text in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        try:
            for name in entries(files):
                if (root / name).exists():
                    os.replace(root / name, backup / name)
                swapped.append(name)
                os.replace(staging / name, root / name)
        except BaseException:  # an OSError, or Ctrl-C between two renames
            for name in reversed(swapped):  # put the previous output back
                if (root / name).exists() and not (staging / name).exists():
                    os.replace(root / name, staging / name)
                if (backup / name).exists():
                    os.replace(backup / name, root / name)
            raise
    except OSError as exc:
        raise GenerateError(f"cannot write {root}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(backup, ignore_errors=True)
