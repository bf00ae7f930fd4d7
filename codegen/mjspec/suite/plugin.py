"""The suite's pytest plugin: its command-line options, checked once, and the report header.

Loaded by `-p mjspec.suite` (which makes the options known before pytest parses the command
line) or, without it, by the suite's conftest.py when pytest collects the suite (then the
options keep their defaults: see `mjspec.suite`). Nothing here runs anything.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

import pytest

from mjspec.suite.outcomes import Plan

TOKEN_VARIABLE = "MJSPEC_TOKEN"


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


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    from mjspec.conform.engine import DEFAULT_MAX_EXAMPLES, DEFAULT_REQUEST_TIMEOUT

    group = parser.getgroup("mjspec", "mjspec conformance suite (--pyargs mjspec.suite)")
    group.addoption(
        "--mjspec-base-url",
        metavar="URL",
        help="the server to check (default: start the embedded reference server of the "
        "profile on 127.0.0.1 for the session); the token comes from MJSPEC_TOKEN",
    )
    group.addoption(
        "--mjspec-task-id",
        action="append",
        default=[],
        metavar="ID",
        help="an id of a task the server knows (repeat it)",
    )
    group.addoption(
        "--mjspec-profile",
        default="doc",
        metavar="NAME",
        help="judge against this profile (doc, new-api, midjourney-proxy-java, "
        "midjourney-proxy-csharp; default: doc)",
    )
    group.addoption(
        "--mjspec-auth-header",
        metavar="NAME",
        help="send the token raw in this header (e.g. mj-api-secret)",
    )
    group.addoption(
        "--mjspec-strict",
        action="store_true",
        help="fail on the checks that only warn by default too",
    )
    group.addoption(
        "--mjspec-max-examples",
        type=_positive,
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help=f"positive cases to generate (default {DEFAULT_MAX_EXAMPLES})",
    )
    group.addoption("--mjspec-seed", type=int, metavar="N", help="fix the random seed")
    group.addoption(
        "--mjspec-request-timeout",
        type=_seconds,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="SECONDS",
        help=f"the total deadline of one request (default {DEFAULT_REQUEST_TIMEOUT:g})",
    )


def _checked(config: pytest.Config) -> SuiteOptions:
    """The options, or a `pytest.UsageError` of one line naming the option."""
    from mjspec.profiles import packaged_spec_path, profile_names
    from mjspec.urls import base_url_problem

    spec = packaged_spec_path()
    base_url: str | None = config.getoption("mjspec_base_url")
    if base_url is not None:
        problem = base_url_problem(base_url)
        if problem:
            # The kit names its own option; the suite's user typed this one.
            raise pytest.UsageError(problem.replace("--base-url ", "--mjspec-base-url ", 1))
    profile: str = config.getoption("mjspec_profile")
    known = profile_names(spec)
    if profile not in known:
        why = "the suite judges one profile per session" if profile == "all" else "unknown"
        raise pytest.UsageError(
            f"--mjspec-profile {profile!r}: {why}; choose one of: {', '.join(known)}"
        )
    auth_header: str | None = config.getoption("mjspec_auth_header")
    if auth_header is not None and not os.environ.get(TOKEN_VARIABLE):
        raise pytest.UsageError(f"--mjspec-auth-header needs the token in {TOKEN_VARIABLE}")
    return SuiteOptions(
        base_url=base_url,
        task_ids=tuple(config.getoption("mjspec_task_id")),
        profile=profile,
        auth_header=auth_header,
        strict=bool(config.getoption("mjspec_strict")),
        max_examples=config.getoption("mjspec_max_examples"),
        seed=config.getoption("mjspec_seed"),
        request_timeout=config.getoption("mjspec_request_timeout"),
        spec=spec,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[options_key] = _checked(config)


def pytest_report_header(config: pytest.Config) -> str:
    options = config.stash[options_key]
    where = options.base_url or "the embedded reference server"
    return f"mjspec suite: {where}, profile {options.profile}"


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
