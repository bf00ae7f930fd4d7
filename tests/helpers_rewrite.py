"""The test modules' asserts rewritten once, by the xdist controller, not once per worker.

pytest rewrites the asserts of each test module it imports and keeps the result as a pyc
in `__pycache__` (tagged with pytest's version); a process that finds a current one loads
it. A fresh clone has none, and the three workers collect at the same time: each rewrote
every module, about 1.6 s of CPU each (parsing and rewriting the syntax trees, in Python).
The controller, which collects nothing, now rewrites them in a thread while the workers
start, in the order they collect them, so that they find most of them ready.

It calls the functions pytest's own import hook calls (`_rewrite_test`, `_write_pyc`,
which writes a temporary file and renames it, so a worker reads a whole pyc or none), so
the pyc is the one the hook would have written, validated by the source's hash like any
other. They are private: should they move or change, nothing is written and each worker
rewrites as before. Nothing is written where pytest would not write it either (bytecode
off: `PYTHONDONTWRITEBYTECODE`, `-B`; asserts not rewritten: `--assert=plain`).
"""

from __future__ import annotations

import fnmatch
import sys
import threading
from pathlib import Path

import pytest


def module_files(config: pytest.Config) -> list[Path]:
    """The test modules the run's arguments name, in collection order (sorted paths)."""
    if config.option.pyargs:
        return []
    patterns = config.getini("python_files")
    found: set[Path] = set()
    for argument in config.args:
        path = config.invocation_params.dir / argument.split("::", 1)[0]
        if path.is_file() and path.suffix == ".py":
            found.add(path)
        elif path.is_dir():
            found.update(
                file
                for file in path.rglob("*.py")
                if "__pycache__" not in file.parts
                and any(fnmatch.fnmatch(file.name, pattern) for pattern in patterns)
            )
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


def start_rewriting_ahead(config: pytest.Config) -> threading.Thread | None:
    """In the controller of a distributed run: rewrite the test modules in a thread."""
    if hasattr(config, "workerinput") or config.pluginmanager.get_plugin("dsession") is None:
        return None
    files = module_files(config)
    thread = threading.Thread(
        target=rewrite_ahead, args=(config, files), name="mjspec-rewrite-ahead", daemon=True
    )
    thread.start()
    return thread
