"""`mjspec conform`: judge a server of `POST /mj/task/list-by-condition` under profiles.

Layers: `fields` (documented field paths from a profile's spec) -> `checks` (pure
checks of one answer) -> `severity` (the one table of checks and severities) ->
`session` (send and record requests: the only network I/O) -> `judge` and `ledger`
(judge recorded exchanges under one profile, keep its findings) -> `engine` (probes
and Hypothesis over schemathesis cases, every answer judged under every profile) ->
`report` and `matrix` (verdicts, JSON, JUnit, the compatibility matrix) ->
`output`, `markdown`, `html` (terminal and files) -> `command` (the CLI entry points).
"""

from mjspec.conform.command import add_arguments, run_command
from mjspec.conform.engine import DEFAULT_MAX_EXAMPLES, ConformError, Settings, Unreachable, run
from mjspec.conform.fields import FieldSpec, derive_fields
from mjspec.conform.report import (
    AuthProbe,
    FieldResult,
    Finding,
    MediaProbe,
    ProfileResult,
    Report,
)

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "AuthProbe",
    "ConformError",
    "FieldResult",
    "FieldSpec",
    "Finding",
    "MediaProbe",
    "ProfileResult",
    "Report",
    "Settings",
    "Unreachable",
    "add_arguments",
    "derive_fields",
    "run",
    "run_command",
]
