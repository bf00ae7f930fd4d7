"""The suite's command-line options, and nothing else: mjspec's one pytest entry point.

`pytest --pyargs mjspec.suite --mjspec-base-url URL` needs the `--mjspec-*` options known
before pytest parses the command line, and pytest reads a package's conftest.py only
later (pytest issues 1596 and 13094). So installing mjspec registers this module (entry
point `pytest11`, name `mjspec`) in every pytest run of the environment, as Hypothesis
registers its `--hypothesis-*` options. It only declares options: no fixture, no hook that
runs, no import of the kit; a run that does not collect `mjspec.suite` is unchanged.
`-p no:mjspec` leaves it out. The suite itself (`mjspec.suite.plugin`, the tests) is
loaded only when `--pyargs mjspec.suite` collects it.
"""

from __future__ import annotations

import argparse
import os

import pytest

from mjspec.arguments import positive, seconds
from mjspec.masking import TOKEN_ENV


def base_url(text: str) -> str:
    from mjspec.urls import base_url_problem

    problem = base_url_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem.removeprefix("--base-url "))
    return text


def profile(text: str) -> str:
    from mjspec.profiles import profile_names
    from mjspec.spec import packaged_spec_path

    known = profile_names(packaged_spec_path())
    if text not in known:
        why = "the suite judges one profile per session" if text == "all" else "unknown"
        raise argparse.ArgumentTypeError(f"{text!r}: {why}; choose one of: {', '.join(known)}")
    return text


def auth_header(text: str) -> str:
    if not os.environ.get(TOKEN_ENV):
        raise argparse.ArgumentTypeError(f"needs the token in {TOKEN_ENV}")
    return text


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mjspec", "mjspec conformance suite (pytest --pyargs mjspec.suite)")
    group.addoption(
        "--mjspec-base-url",
        type=base_url,
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
        type=profile,
        default=None,  # "doc": not a string default, which argparse would check in every run
        metavar="NAME",
        help="judge against this profile (doc, new-api, midjourney-proxy-java, "
        "midjourney-proxy-csharp; default: doc)",
    )
    group.addoption(
        "--mjspec-auth-header",
        type=auth_header,
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
        type=positive,
        metavar="N",
        help="positive cases to generate (default: as `mjspec conform`)",
    )
    group.addoption("--mjspec-seed", type=int, metavar="N", help="fix the random seed")
    group.addoption(
        "--mjspec-request-timeout",
        type=seconds,
        metavar="SECONDS",
        help="the total deadline of one request (default: as `mjspec conform`)",
    )
