"""`mjspec conform`: judge a server of `POST /mj/task/list-by-condition` against the spec.

Layers: `fields` (required field paths from the spec) -> `checks` (pure checks
of one answer) -> `judge` (send one request, judge it, keep tallies) ->
`engine` (probes and Hypothesis over schemathesis cases) -> `report` (verdict,
JSON, JUnit XML) -> `output` (terminal) -> `command` (the CLI entry points).
"""

from mjspec.conform.command import add_arguments, run_command
from mjspec.conform.engine import DEFAULT_MAX_EXAMPLES, ConformError, Settings, Unreachable, run
from mjspec.conform.fields import FieldSpec, derive_fields
from mjspec.conform.report import FieldResult, Finding, Report

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "ConformError",
    "FieldResult",
    "FieldSpec",
    "Finding",
    "Report",
    "Settings",
    "Unreachable",
    "add_arguments",
    "derive_fields",
    "run",
    "run_command",
]
