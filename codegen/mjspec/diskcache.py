"""Values kept on disk from one process to the next: the render cache's file sets
(`mjspec.generate.cache`) and openapi-spec-validator's verdicts (`mjspec.validation`).

Both are pure functions of inputs that a key hashes, so a value kept under a key is the
value a new computation would give. The caches live outside the working tree:
`$MJSPEC_CACHE_DIR`, else `$XDG_CACHE_HOME/mjspec`, else `~/.cache/mjspec`, each kind of
value in a folder of its own; `MJSPEC_NO_CACHE=1` turns them all off.

An entry is one file, written atomically: a line of JSON with its format and the checksum
of the value, then the value as JSON (ASCII: any string survives, a lone surrogate
included), serialized once and parsed once. An entry that does not match its format or
checksum, or cannot be read, is a miss. A value that cannot be kept, or a cache that
cannot be written, is skipped, never an error. At most `keep` entries are kept per folder;
the oldest go when a new one is stored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from mjspec.files import write_atomically


def cache_dir() -> Path | None:
    """Where the caches go, or None when caching is turned off."""
    if os.environ.get("MJSPEC_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("MJSPEC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "mjspec"


def _checksum(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def load(directory: Path, entry: str, kind: str) -> Any:
    """The value kept under `entry` in the format `kind`, or None: missing, unreadable,
    of another format or corrupted."""
    try:
        head, _, body = (directory / f"{entry}.json").read_bytes().partition(b"\n")
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("format") != kind:
            return None
        if header.get("checksum") != _checksum(body):
            return None
        return json.loads(body)
    except (OSError, ValueError, RecursionError):  # ValueError: not JSON, or not UTF-8
        return None


def store(directory: Path, entry: str, kind: str, value: Any, *, keep: int) -> None:
    """Keep `value` (JSON) under `entry` atomically, and at most `keep` entries in all;
    any failure to write is ignored."""
    try:
        body = json.dumps(value).encode("ascii")
    except (TypeError, ValueError, RecursionError):  # not JSON: nothing to keep
        return
    header = json.dumps({"format": kind, "checksum": _checksum(body)}).encode("ascii")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / f"{entry}.json", header + b"\n" + body)
        _prune(directory, keep)
    except OSError:
        pass


def _prune(directory: Path, keep: int) -> None:
    entries = []
    for path in directory.glob("*.json"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:  # removed by another process meanwhile
            continue
    entries.sort(reverse=True)
    for _, old in entries[keep:]:
        old.unlink(missing_ok=True)
