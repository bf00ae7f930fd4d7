"""The `mjspec_conform` fixture, for a server project's own pytest suite. Opt-in only.

Enable it explicitly, with `pytest -p mjspec.pytest_plugin` or in the root conftest.py:

    pytest_plugins = ["mjspec.pytest_plugin"]

    def test_my_server_conforms(mjspec_conform, my_server_url):
        assert mjspec_conform(my_server_url, task_ids=["1730621826053455"]).verdict == "pass"

The fixture is `mjspec.testing.mjspec_conform` itself. It is not registered for every
run: mjspec's one pytest entry point (`mjspec.suite.options`) only declares the options of
the conformance suite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mjspec.conform.report import Report

__all__ = ["mjspec_conform"]


@pytest.fixture(name="mjspec_conform")
def mjspec_conform() -> Callable[..., Report]:
    """`mjspec.testing.mjspec_conform`: one conformance run, its report returned."""
    from mjspec.testing import mjspec_conform as conform

    return conform


def pytest_report_header(config: pytest.Config) -> str:
    del config
    return "mjspec: the mjspec_conform fixture is enabled"
