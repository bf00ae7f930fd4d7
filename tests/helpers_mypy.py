"""One warm mypy cache for the suite's mypy runs.

A cold `mypy --strict` spends about 4 s on the standard library and the client's
dependencies before it reaches the code under test; from a warm cache, the same run takes
about 0.4 s. Each run gets a private cache directory seeded from a shared one (under
pytest's base temporary directory, which xdist's workers share); the first run to finish
publishes its cache as the shared one with one atomic rename. No run ever writes into a
cache another run reads, and mypy rechecks whatever a seeded cache does not match (it
compares each source file), so a warm start changes how fast, never what is found.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def _shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / "mjspec-mypy-cache"


def seeded_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache directory for one mypy run: a copy of the shared cache when there is one."""
    private = tmp_path_factory.mktemp("mypy-cache")
    shared = _shared(tmp_path_factory)
    if shared.is_dir():
        shutil.copytree(shared, private, dirs_exist_ok=True)
    return private


def publish(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Offer a finished run's cache as the shared one, unless another run did first."""
    shared = _shared(tmp_path_factory)
    if shared.exists():
        return
    staged = shared.with_name(f"{shared.name}.{os.getpid()}")
    shutil.copytree(cache, staged, dirs_exist_ok=True)
    try:
        staged.rename(shared)  # atomic; refused when another run published meanwhile
    except OSError:
        shutil.rmtree(staged, ignore_errors=True)
