"""Servers started together for the server and record tests.

`serve_profiles` runs one server per profile, given as loaded profiles, started one after
another and stopped all at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager

from mjspec.profiles import Profile
from mjspec.serve.refserver import RunningServer, serve_in_thread

__all__ = ["serve_profiles"]


@contextmanager
def serve_profiles(
    profiles: Iterable[Profile], *, token: str | None = None
) -> Iterator[dict[str, RunningServer]]:
    """One server per profile (`serve_in_thread`), by name; all are stopped at the same time."""
    managers: list[AbstractContextManager[RunningServer]] = []
    running: dict[str, RunningServer] = {}
    try:
        for profile in profiles:
            manager = serve_in_thread(token=token, profile=profile)
            running[profile.name] = manager.__enter__()
            managers.append(manager)
        yield running
    finally:
        if managers:
            with ThreadPoolExecutor(len(managers)) as pool:
                stops = [pool.submit(m.__exit__, None, None, None) for m in managers]
            for stop in stops:
                stop.result()
