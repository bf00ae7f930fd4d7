"""Loads the suite's plugin (`mjspec.suite.plugin`) when `-p mjspec.suite` did not.

pytest reads this file only when it collects the suite, so installing mjspec registers
nothing in other test runs. Given `--pyargs`, pytest reads it after parsing the command
line: the options are then known with their defaults only (see `mjspec.suite`).
"""

from __future__ import annotations

import pytest

PLUGIN = "mjspec.suite.plugin"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    del parser  # the plugin adds the options as it is registered
    if not pluginmanager.has_plugin(PLUGIN):
        pluginmanager.import_plugin(PLUGIN)
