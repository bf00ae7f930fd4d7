"""The suite's tests: one per required field path, one per check, and the run's verdict.

The parameters come from the profile (`plugin.plan`) at collection time, so collecting is
cheap and `-k` selects before anything is sent; the one conformance run of the session
happens when the first test asks for `mjspec_result`.
"""

from __future__ import annotations

import os

import pytest

from mjspec.conform.report import ProfileResult, Report
from mjspec.masking import TOKEN_ENV, Masker
from mjspec.suite.outcomes import (
    Outcome,
    blocking_reason,
    check_outcome,
    field_outcome,
    in_suite_terms,
    run_outcome,
)
from mjspec.suite.plugin import SuiteOptions, options_key, plan


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    tests = plan(metafunc.config)
    if "field_path" in metafunc.fixturenames:
        metafunc.parametrize("field_path", tests.fields, ids=list(tests.fields))
    if "check" in metafunc.fixturenames:
        metafunc.parametrize("check", tests.checks, ids=list(tests.checks))


def _masked(text: str) -> str:
    """Findings are masked by the kit already; a message made here passes through this too."""
    return Masker(os.environ.get(TOKEN_ENV)).text(text)


def _conclude(outcome: Outcome) -> None:
    message = _masked(outcome.message)
    if outcome.kind == "fail":
        pytest.fail(message, pytrace=False)
    if outcome.kind == "skip":
        pytest.skip(message)
    if outcome.kind == "xfail":
        pytest.xfail(message)


@pytest.fixture(scope="session")
def mjspec_options(pytestconfig: pytest.Config) -> SuiteOptions:
    return pytestconfig.stash[options_key]


@pytest.fixture(scope="session")
def mjspec_report(mjspec_options: SuiteOptions) -> Report:
    """The session's one conformance run; a run that cannot start errors every test."""
    from mjspec.conform.command import conform
    from mjspec.errors import ConformError

    options = mjspec_options
    try:
        return conform(
            base_url=options.base_url,
            task_ids=options.task_ids,
            profile=options.profile,
            token=os.environ.get(TOKEN_ENV) or None,
            auth_header=options.auth_header,
            max_examples=options.max_examples,
            seed=options.seed,
            strict=options.strict,
            request_timeout=options.request_timeout,
        )
    except ConformError as exc:
        reason = in_suite_terms(str(exc))
        pytest.fail(_masked(f"mjspec could not judge the server: {reason}"), pytrace=False)


@pytest.fixture(scope="session")
def mjspec_result(mjspec_report: Report, mjspec_options: SuiteOptions) -> ProfileResult:
    """The profile's verdict; a run in which no task could be checked errors every test."""
    result = mjspec_report.profiles[mjspec_options.profile]
    blocked = blocking_reason(result)
    if blocked:
        pytest.fail(_masked(blocked), pytrace=False)
    return result


def test_field(field_path: str, mjspec_result: ProfileResult) -> None:
    """Present, not null and of the documented type in every task the server returned."""
    _conclude(field_outcome(mjspec_result, field_path))


def test_check(
    check: str,
    mjspec_report: Report,
    mjspec_result: ProfileResult,
    mjspec_options: SuiteOptions,
    pytestconfig: pytest.Config,
) -> None:
    """No finding of this check (`mjspec.conform.severity`), under the profile's severities."""
    outcome = check_outcome(
        mjspec_report, mjspec_result, plan(pytestconfig), check, strict=mjspec_options.strict
    )
    _conclude(outcome)


def test_run_is_conclusive(mjspec_result: ProfileResult) -> None:
    """A task id never returned, or a field never seen, leaves the run undecided."""
    _conclude(run_outcome(mjspec_result))
