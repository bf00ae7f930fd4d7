"""`mjspec_conform`: one conformance run from your own tests, its report returned.

    from mjspec.testing import mjspec_conform

    def test_my_server_conforms(my_server_url):
        report = mjspec_conform(my_server_url, task_ids=["1730621826053455"], profile="new-api")
        assert report.verdict == "pass", report.reason

With no `base_url` the embedded reference server of `profile` is started on 127.0.0.1
(a free port) for the run and stopped after it. The run leaves process-wide state as it
found it: Hypothesis keeps its cache outside the working directory only for the run, as
`mjspec conform` does. `mjspec.pytest_plugin` offers the same as a fixture.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mjspec.conform.report import Report

__all__ = ["mjspec_conform"]


def mjspec_conform(
    base_url: str | None = None,
    *,
    task_ids: Iterable[str] = (),
    profile: str = "doc",
    token: str | None = None,
    auth_header: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
) -> Report:
    """Check the server at `base_url` (None: the embedded reference server) under `profile`.

    `profile` is one profile's name or `all`; `task_ids` are ids the server knows (their
    tasks are asked for and must come back); `max_examples` (None: as `mjspec conform`)
    bounds the generated requests. Raises `mjspec.conform.ConformError` when
    the run cannot start (a spec that cannot be used, an unknown profile, a bad URL).
    """
    from mjspec.conform.command import conform
    from mjspec.conform.engine import DEFAULT_MAX_EXAMPLES

    if isinstance(task_ids, str):
        raise TypeError("task_ids is a list of ids, not one string")
    ids = [str(task_id) for task_id in task_ids]
    if max_examples is None:
        max_examples = DEFAULT_MAX_EXAMPLES
    if max_examples < 1:
        raise ValueError(f"max_examples must be at least 1, not {max_examples}")
    if auth_header is not None and token is None:
        raise ValueError("auth_header needs a token")
    return conform(
        base_url=base_url,
        task_ids=ids,
        profile=profile,
        token=token,
        auth_header=auth_header,
        max_examples=max_examples,
        seed=seed,
    )
