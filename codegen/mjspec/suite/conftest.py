"""Loads the suite's plugin when pytest collects the suite (and only then).

The options come from mjspec's entry point (`mjspec.suite.options`). Where entry points are
not loaded (`PYTEST_DISABLE_PLUGIN_AUTOLOAD`, `-p no:mjspec`), this file registers them
itself: they are then known too late for the command line, with their defaults only (the
embedded reference server under `doc`), unless `-p mjspec.suite.options` is given.
"""

from __future__ import annotations

import pytest

OPTIONS = "mjspec.suite.options"
PLUGIN = "mjspec.suite.plugin"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    del parser  # the plugins add and check the options as they are registered
    if not pluginmanager.has_plugin(OPTIONS) and not pluginmanager.has_plugin("mjspec"):
        pluginmanager.import_plugin(OPTIONS)
    if not pluginmanager.has_plugin(PLUGIN):
        pluginmanager.import_plugin(PLUGIN)
