"""A warm mypy cache for the suite's mypy run (`test_build_hook.py`), kept between runs.

A cold `mypy --strict` spends seconds on the standard library and the client's
dependencies (httpx, msgspec, anyio) before it reaches the code under test; from a warm
cache the same run takes well under a second.

Each run gets a private cache directory seeded from a shared one; the first run publishes
its cache as the shared one with one atomic rename, and runs that start meanwhile (another
pytest run in the same checkout, with pytest's cache on) wait for it (a lock) rather than
all paying the cold start at once. The shared cache lives in
pytest's cache directory (`.pytest_cache`, kept between runs, like pytest's own
last-failed list; with `-p no:cacheprovider`, under the run's base temporary directory,
which xdist's workers share), one per mypy and Python version. No run ever writes into a
cache another run reads, and mypy rechecks whatever a seeded cache does not match (it
compares each source file's hash), so a warm start changes how fast, never what is found.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

LOCK_WAIT = 300.0
"""Seconds a run waits for the first one before it starts cold anyway."""


def _shared(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name = f"mypy-{version('mypy')}-py{sys.version_info[0]}.{sys.version_info[1]}"
    cache: pytest.Cache | None = getattr(config, "cache", None)
    if cache is not None:
        return cache.mkdir("mjspec") / name
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / name


def _publish(cache: Path, shared: Path) -> None:
    """Offer a finished run's cache as the shared one, unless another run did first."""
    if shared.exists():
        return
    staged = shared.with_name(f"{shared.name}.{os.getpid()}")
    shutil.copytree(cache, staged, dirs_exist_ok=True)
    try:
        staged.rename(shared)  # atomic; refused when another run published meanwhile
    except OSError:
        shutil.rmtree(staged, ignore_errors=True)


@contextlib.contextmanager
def warm_cache(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private cache directory for one mypy run, seeded from the shared one.

    With no shared cache yet, this run is the first: the others wait until it leaves the
    block, where its cache is published (not when the block raises).
    """
    shared = _shared(config, tmp_path_factory)
    shared.parent.mkdir(parents=True, exist_ok=True)
    private = tmp_path_factory.mktemp("mypy-cache")
    with open(shared.with_name(f"{shared.name}.lock"), "a") as lock:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    break  # the first run is stuck: go cold rather than wait for ever
                time.sleep(0.05)
        if shared.is_dir():
            shutil.copytree(shared, private, dirs_exist_ok=True)
            fcntl.flock(lock, fcntl.LOCK_UN)  # warm: the others need not wait for this run
            yield private
            return
        yield private
        _publish(private, shared)
