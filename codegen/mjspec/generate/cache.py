"""A cache of rendered file sets, so that an unchanged spec is not rendered again.

Rendering imports datamodel-code-generator, jinja2, openapi-spec-validator and runs ruff:
most of a cold `mjspec generate`. Its output depends only on its inputs, so the file set
is kept under a key that hashes every one of them: the spec file's bytes and label, each
overlay's name and bytes, every template, the generator's own modules, and the versions
of mjspec, the pinned tools and Python. On a hit `generate` (and `generate --check`)
compares or writes the kept files without importing any of those tools; the drift check
still reads the output directory, so a hand edit is caught either way.

The cache lives outside the working tree, in the `renders` folder of `mjspec.diskcache`'s
(`$MJSPEC_CACHE_DIR`, else `$XDG_CACHE_HOME/mjspec`, else `~/.cache/mjspec`);
`MJSPEC_NO_CACHE=1` turns it off. An entry that does not match its checksum, or cannot be
read, is a miss; a cache that cannot be written is skipped, never an error.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from mjspec import diskcache
from mjspec.generate.names import DEFAULT_PACKAGE

# what the key's tool versions name: the pinned tools whose output is committed
_TOOLS = ("datamodel-code-generator", "ruff", "jinja2", "openapi-spec-validator", "pyyaml")
# bumped when the entry format changes
_FORMAT = "mjspec-render-cache/3"
# entries kept; older ones are removed when a new one is stored
KEEP = 64

_GENERATE_DIR = Path(__file__).resolve().parent
_PACKAGE_DIR = _GENERATE_DIR.parent


def cache_dir() -> Path | None:
    """The render cache's folder (`renders` in `mjspec.diskcache`'s), or None when caching
    is turned off."""
    base = diskcache.cache_dir()
    return None if base is None else base / "renders"


def _versions() -> list[str]:
    """The versions of mjspec and the pinned tools, read again only when the import path
    changed: installing, upgrading or removing a distribution adds or removes its metadata
    folder in a folder of `sys.path`, which changes that folder's modification time. (A
    lookup reads every path folder and each distribution's metadata: several ms a key.)
    """
    global _VERSIONS
    state = tuple((entry, _modified(entry)) for entry in sys.path)
    if _VERSIONS is None or _VERSIONS[0] != state:
        _VERSIONS = state, tuple(_look_up_versions())
    return list(_VERSIONS[1])


def _modified(folder: str) -> int | None:
    try:
        return os.stat(folder or ".").st_mtime_ns
    except OSError:
        return None


def _look_up_versions() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("mjspec", *_TOOLS):
        try:
            found.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} missing")
    return found


_VERSIONS: tuple[tuple[tuple[str, int | None], ...], tuple[str, ...]] | None = None
"""The state of the import path the versions were last read in, and what they were."""


def key(
    spec_path: Path, source: str, *, package: str = DEFAULT_PACKAGE, default_profile: str = "doc"
) -> str:
    """The sha256 of everything a render of `spec_path` (labelled `source`) depends on.

    `package` and `default_profile` are the render's options (see `pipeline.generate`).
    Raises OSError when an input cannot be read (the render will say why).
    """
    from mjspec.profiles import overlay_files

    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", _FORMAT.encode())
    add("python", sys.version.encode())
    add("versions", "\n".join(_versions()).encode())
    add("source", source.encode())
    add("package", package.encode())
    add("default profile", default_profile.encode())
    add("spec", spec_path.read_bytes())
    for name, path in overlay_files(spec_path).items():
        add(f"overlay {name}{path.suffix}", path.read_bytes())
    for path in sorted((_GENERATE_DIR / "templates").iterdir()):
        if path.is_file():
            add(f"template {path.name}", path.read_bytes())
    # the generator's own modules and the shared ones it runs (spec, profiles, errors)
    for path in sorted([*_PACKAGE_DIR.glob("*.py"), *_GENERATE_DIR.glob("*.py")]):
        add(f"module {path.relative_to(_PACKAGE_DIR).as_posix()}", path.read_bytes())
    return digest.hexdigest()


def load(directory: Path, entry: str) -> dict[str, str] | None:
    """The file set kept under `entry` in the cache `directory` (`cache_dir`), or None:
    missing, unreadable or corrupted."""
    files = diskcache.load(directory, entry, _FORMAT)
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        return None
    return files


def store(directory: Path, entry: str, files: Mapping[str, str]) -> None:
    """Keep `files` under `entry` (atomically); any failure to write is ignored."""
    diskcache.store(directory, entry, _FORMAT, dict(files), keep=KEEP)
    _drop_earlier_entries(directory.parent)


def _drop_earlier_entries(base: Path) -> None:
    """Remove the entries earlier versions kept beside `renders/` (named by their sha256
    key): nothing reads them now, and nothing else would prune them."""
    for path in base.glob("*.json"):
        if len(path.stem) == 64 and all(c in "0123456789abcdef" for c in path.stem):
            path.unlink(missing_ok=True)
