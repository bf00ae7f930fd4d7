"""Hypothesis profiles (`ci` is derandomized; pick one with HYPOTHESIS_PROFILE) and home
(the kit's), mjspec's disk caches in a folder of the run's own, the test modules' asserts
rewritten once for every worker, the longest modules first, and the garbage collector
tuned for a test process: the collected session kept out of its walks, and its
generations collected less often."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

from mjspec.collector import few_collections
from tests.helpers_rewrite import start_rewriting_ahead
from tests.helpers_schedule import longest_first
from tools.durations import read_durations

# A test process makes what a command's does (`few_collections`): with the default
# thresholds (700, 10, 10) the collector took about 6 s of the suite's CPU, two thirds of it
# in full collections; with the command's, about 3.5 s, the largest process no bigger.
few_collections()

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config: pytest.Config) -> None:
    """mjspec's disk caches (rendered files, validator verdicts) go to a folder of this run's
    own, never the user's: made by the controller before its workers start, so that they
    and every command they run inherit it, and removed when the run ends."""
    if hasattr(config, "workerinput"):
        return
    directory = tempfile.mkdtemp(prefix="mjspec-test-cache-")
    previous = os.environ.get("MJSPEC_CACHE_DIR")
    os.environ["MJSPEC_CACHE_DIR"] = directory

    def restore() -> None:
        if previous is None:
            os.environ.pop("MJSPEC_CACHE_DIR", None)
        else:
            os.environ["MJSPEC_CACHE_DIR"] = previous
        shutil.rmtree(directory, ignore_errors=True)

    config.add_cleanup(restore)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest modules first, so that no long module starts last (helpers_schedule)."""
    longest_first(items, read_durations())


def pytest_collection_finish(session: object) -> None:
    """Move what importing and collecting made (the kit, Hypothesis, schemathesis, FastAPI,
    pytest's own items) out of the collector's reach: it lives for the whole session, and
    every full collection would otherwise walk it again (pytest's own unraisable-exception
    check forces one after each in-process pytest run)."""
    gc.collect()  # what is garbage already is collected (and any warning it raises, raised)
    gc.freeze()


@pytest.hookimpl(trylast=True)  # after Hypothesis' plugin ends its initialization
def pytest_sessionstart(session: pytest.Session) -> None:
    """Hypothesis' caches where the kit keeps them, filled once before any worker starts.

    The first use of a text strategy in a process computes Hypothesis' Unicode tables
    unless its home holds them: what UTF-8 encodes (about 3 s of CPU; the kit writes it,
    `seed_utf8_table`) and the characters of each category (about 0.3 s). Every process of
    a run (the xdist workers, `mjspec conform` in subprocesses, a fleet's worker processes)
    would compute its own on a fresh machine: here the tests share the kit's home, and the
    controller fills it before it starts the workers (this hook runs before xdist's). The
    category table is filled by asking for it (drawing a text instead, as a Hypothesis
    without `charmap` would need, runs its engine: 0.2 s more, even with the home full).
    """
    from hypothesis import configuration, find
    from hypothesis import strategies as st

    from mjspec.conform.command import hypothesis_home, seed_utf8_table

    configuration.set_hypothesis_home_dir(hypothesis_home())
    if hasattr(session.config, "workerinput"):
        return  # a worker: the controller filled the home
    seed_utf8_table()
    try:
        from hypothesis.internal.charmap import charmap

        charmap()
    except (ImportError, TypeError):  # moved or changed: drawing a text fills it too
        find(st.text(min_size=1), lambda _: True, settings=settings(database=None, max_examples=1))
    # while the workers start: their test modules' asserts rewritten once (helpers_rewrite)
    rewriting = start_rewriting_ahead(session.config)
    if rewriting is not None:
        session.config.add_cleanup(rewriting.join)
