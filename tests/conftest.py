"""Hypothesis profiles (`ci` is derandomized; pick one with HYPOTHESIS_PROFILE), and the
collected session kept out of the garbage collector's walks."""

from __future__ import annotations

import gc
import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_collection_finish(session: object) -> None:
    """Move what importing and collecting made (the kit, Hypothesis, schemathesis, FastAPI,
    pytest's own items) out of the collector's reach: it lives for the whole session, and
    every full collection would otherwise walk it again (pytest's own unraisable-exception
    check forces one after each in-process pytest run)."""
    gc.collect()  # what is garbage already is collected (and any warning it raises, raised)
    gc.freeze()
