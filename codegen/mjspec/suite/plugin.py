"""The suite's pytest plugin: its options (`mjspec.suite.options`) checked once, the header.

Loaded by the suite's conftest.py when pytest collects the suite; never otherwise. Nothing
here runs anything.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mjspec.suite.outcomes import Plan


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SuiteOptions:
    """The options of one session, checked."""

    base_url: str | None
    task_ids: tuple[str, ...]
    profile: str
    auth_header: str | None
    strict: bool
    max_examples: int
    seed: int | None
    request_timeout: float
    spec: Path


options_key = pytest.StashKey[SuiteOptions]()
plan_key = pytest.StashKey[Plan]()


def _checked(config: pytest.Config) -> SuiteOptions:
    """The session's options (`mjspec.suite.options` checked each value as it was read)."""
    from mjspec.conform.engine import DEFAULT_MAX_EXAMPLES, DEFAULT_REQUEST_TIMEOUT
    from mjspec.spec import packaged_spec_path

    # `mjspec.suite.options` checked the URL, the profile and the auth header (it needs the
    # token) as the command line was read
    spec = packaged_spec_path()
    base_url: str | None = config.getoption("mjspec_base_url")
    profile: str = config.getoption("mjspec_profile") or "doc"
    auth_header: str | None = config.getoption("mjspec_auth_header")
    return SuiteOptions(
        base_url=base_url,
        task_ids=tuple(config.getoption("mjspec_task_id")),
        profile=profile,
        auth_header=auth_header,
        strict=bool(config.getoption("mjspec_strict")),
        max_examples=config.getoption("mjspec_max_examples") or DEFAULT_MAX_EXAMPLES,
        seed=config.getoption("mjspec_seed"),
        request_timeout=config.getoption("mjspec_request_timeout") or DEFAULT_REQUEST_TIMEOUT,
        spec=spec,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[options_key] = _checked(config)


def plan(config: pytest.Config) -> Plan:
    """The session's tests (field paths and checks), from the profile, computed once."""
    from mjspec.errors import MjspecError
    from mjspec.suite.outcomes import load_plan

    if plan_key not in config.stash:
        options = config.stash[options_key]
        try:
            config.stash[plan_key] = load_plan(options.spec, options.profile)
        except MjspecError as exc:
            raise pytest.UsageError(f"mjspec: {exc}") from None
    return config.stash[plan_key]
