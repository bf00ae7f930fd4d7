"""The test modules' asserts rewritten once, by the xdist controller, not once per worker.

pytest rewrites the asserts of each test module it imports and keeps the result as a pyc
in `__pycache__` (tagged with pytest's version); a process that finds a current one loads
it. A fresh clone has none, and the workers collect at the same time: each rewrote
every module, about 1.6 s of CPU each (parsing and rewriting the syntax trees, in Python).
The controller, which collects nothing, now rewrites them in a thread while the workers
start, in the order they collect them, so that they find most of them ready.

It calls the functions pytest's own import hook calls (`_rewrite_test`, `_write_pyc`,
which writes a temporary file and renames it, so a worker reads a whole pyc or none), so
the pyc is the one the hook would have written, validated by the source's hash like any
other. They are private: should they move or change, what was written stays valid and
the workers rewrite the rest as before. Nothing is written where pytest would not write
it either (bytecode off: `PYTHONDONTWRITEBYTECODE`, `-B`; asserts not rewritten:
`--assert=plain`).
"""

from __future__ import annotations

import fnmatch
import sys
import threading
from pathlib import Path

import pytest


def module_files(config: pytest.Config) -> list[Path]:
    """The test modules the run's arguments name, in collection order (sorted paths): a
    file named outright, and in a folder those matching `python_files`, not descending
    where pytest does not (`norecursedirs`, a virtual environment, `--ignore`)."""
    if config.option.pyargs:
        return []
    patterns = config.getini("python_files")
    skipped_names = config.getini("norecursedirs")
    ignored = {(config.invocation_params.dir / p).resolve() for p in config.option.ignore or []}
    found: set[Path] = set()

    def walk(folder: Path) -> None:
        for entry in sorted(folder.iterdir()):
            if entry.resolve() in ignored:
                continue
            if entry.is_dir():
                skipped = entry.name == "__pycache__" or any(
                    fnmatch.fnmatch(entry.name, pattern) for pattern in skipped_names
                )
                if not (skipped or (entry / "pyvenv.cfg").is_file()):
                    walk(entry)
            elif entry.suffix == ".py" and any(fnmatch.fnmatch(entry.name, p) for p in patterns):
                found.add(entry)

    for argument in config.args:
        path = config.invocation_params.dir / argument.split("::", 1)[0]
        if path.is_file() and path.suffix == ".py":
            found.add(path)
        elif path.is_dir():
            walk(path)
    return sorted(found)


def rewrite_ahead(config: pytest.Config, files: list[Path]) -> int:
    """Write the rewritten pyc of each file that has no current one; how many were written."""
    if sys.dont_write_bytecode or config.getoption("assertmode") != "rewrite":
        return 0
    try:
        from _pytest.assertion.rewrite import (
            PYC_TAIL,
            _read_pyc,
            _rewrite_test,
            _write_pyc,
            assertstate_key,
            get_cache_dir,
            try_makedirs,
        )

        state = config.stash[assertstate_key]
    except (ImportError, KeyError):  # pytest's internals moved: the workers rewrite
        return 0
    written = 0
    for file in files:
        cache = get_cache_dir(file)
        pyc = cache / (file.name[:-3] + PYC_TAIL)
        try:
            if _read_pyc(file, pyc) is not None or not try_makedirs(cache):
                continue
            source_hash, code = _rewrite_test(file, config)
        except (OSError, SyntaxError, ValueError):  # the worker says what is wrong with it
            continue
        written += _write_pyc(state, code, source_hash, pyc)
    return written


def _rewrite_quietly(config: pytest.Config) -> None:
    try:
        rewrite_ahead(config, module_files(config))
    except Exception:  # pytest's internals changed shape: the workers rewrite, as before
        return


def start_rewriting_ahead(config: pytest.Config) -> threading.Thread | None:
    """In the controller of a distributed run: rewrite the test modules in a thread. Not
    for `--lf`, whose workers import only the modules that failed."""
    if hasattr(config, "workerinput") or config.pluginmanager.get_plugin("dsession") is None:
        return None
    if config.getoption("lf", False):
        return None
    thread = threading.Thread(
        target=_rewrite_quietly, args=(config,), name="mjspec-rewrite-ahead", daemon=True
    )
    thread.start()
    return thread
