"""Drive a conformance run: probes, then Hypothesis over schemathesis cases.

`run(settings)` sends every request through one keep-alive session and judges
each answer with `exchange.Judge`. Order:

1. a preflight request (unreachable server: `Unreachable`; 401/403: stop,
   inconclusive);
2. fixed probes: the known ids, an empty list, no ids, a multipart body,
   malformed JSON, other HTTP methods, no credentials;
3. Hypothesis: positive cases (JSON and multipart, ids drawn by
   `strategies.ids_lists`) and negative cases. A contract failure is raised
   inside the test so that Hypothesis shrinks it; the shortest reproduction of
   each finding is kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mjspec.conform.fields import OPERATION_PATH, derive_fields
from mjspec.conform.judge import Judge, ServerGone
from mjspec.conform.report import Report, decide

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from mjspec.conform._typing import AnyCase, Operation

DEFAULT_MAX_EXAMPLES = 50
JSON = "application/json"
FORM = "multipart/form-data"


class ConformError(Exception):
    """The run could not start or judge anything; the message is one line for the user."""


class Unreachable(ConformError):
    """No answer from the server."""


class Progress(Protocol):
    def start(self, phase: str, total: int | None) -> None: ...
    def advance(self) -> None: ...
    def stop(self) -> None: ...


class _NoProgress:
    def start(self, phase: str, total: int | None) -> None:
        pass

    def advance(self) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a run needs; `spec` is the decoded OpenAPI document."""

    spec: Mapping[str, Any]
    base_url: str
    task_ids: tuple[str, ...] = ()
    token: str | None = None
    auth_header: str = "Authorization"
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    strict: bool = False
    timeout: float = 10.0
    connect_timeout: float = 3.0


class _Falsified(Exception):
    """Raised inside the Hypothesis test so that it shrinks a contract failure."""


def _auth_headers(settings: Settings, *, masked: bool) -> dict[str, str]:
    if settings.token is None:
        return {}
    token = "***" if masked else settings.token
    if settings.auth_header.lower() == "authorization":
        return {"Authorization": f"Bearer {token}"}
    return {settings.auth_header: token}


def _hypothesis_phase(
    judge_: Judge,
    strategy: SearchStrategy[AnyCase],
    *,
    negative: bool,
    max_examples: int,
    seed: int,
    progress: Progress,
) -> None:
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as fix_seed
    from hypothesis.errors import Flaky, Unsatisfiable

    @fix_seed(seed)
    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @given(strategy)
    def test(case: AnyCase) -> None:
        progress.advance()
        if judge_.exchange(case, negative=negative):
            raise _Falsified

    # The findings are recorded as they come; the exception only made Hypothesis shrink.
    with contextlib.suppress(_Falsified, ServerGone, Flaky, Unsatisfiable):
        test()


# Each of the first known ids is also asked for alone; the rest come with the others and in
# the generated cases (a user may pass hundreds of ids).
PROBED_ALONE = 40


def _probes(operation: Operation, known: Sequence[str]) -> list[tuple[AnyCase, bool]]:
    """Fixed requests every run sends: (case, is it spec-invalid)."""
    bodies: list[tuple[Any, str, bool]] = []
    if known:
        # The known ids, an unknown one and a duplicate; then each known id alone.
        bodies.append(({"ids": [*known, "0", known[0]]}, JSON, False))
        bodies.extend(({"ids": [task_id]}, JSON, False) for task_id in known[:PROBED_ALONE])
    many = [*known, *(str(10**15 + n) for n in range(60))]
    bodies += [
        ({"ids": many}, JSON, False),  # more ids than the generated cases hold
        ({"ids": [*known[:1], "任务-ü-🙂", "Ω"]}, JSON, False),  # non-ASCII ids
        ({"ids": []}, JSON, False),
        ({}, JSON, False),
        ({"ids": list(known[:2]) or ["0"]}, FORM, False),
        ({"ids": "not-a-list"}, JSON, True),
        ({"ids": [1]}, JSON, True),
    ]
    return [
        (operation.Case(body=body, media_type=media_type), negative)
        for body, media_type, negative in bodies
    ]


def run(
    settings: Settings,
    *,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Report:
    """Check the server at `settings.base_url` against the spec."""
    import requests
    import schemathesis

    started = clock()
    progress = progress or _NoProgress()
    seed = settings.seed if settings.seed is not None else random.getrandbits(32)
    fields = derive_fields(settings.spec)
    schema = schemathesis.openapi.from_dict(dict(settings.spec))
    operation = schema[OPERATION_PATH]["POST"]
    with requests.Session() as session:
        judge_ = Judge(
            operation=operation,
            session=session,
            base_url=settings.base_url.rstrip("/"),
            fields=fields,
            known=settings.task_ids,
            headers=_auth_headers(settings, masked=False),
            masked_headers=_auth_headers(settings, masked=True),
            secret=settings.token,
            timeout=(settings.connect_timeout, settings.timeout),
        )
        try:
            status = judge_.preflight()
        except ServerGone as exc:
            raise Unreachable(f"cannot reach {settings.base_url}: {exc}") from None
        if status not in (401, 403):
            _run_phases(judge_, operation, settings, seed, progress)
    progress.stop()
    failures, warnings = judge_.findings(strict=settings.strict)
    verdict, reason = decide(
        tasks_checked=judge_.tasks_checked,
        failures=failures,
        warnings=warnings,
        strict=settings.strict,
        auth_rejected=judge_.auth_rejected,
        statuses=judge_.statuses,
    )
    return Report(
        verdict=verdict,
        reason=reason,
        base_url=settings.base_url,
        tasks_checked=judge_.tasks_checked,
        requests=judge_.requests,
        seed=seed,
        duration=clock() - started,
        fields=judge_.field_results(),
        failures=failures,
        warnings=warnings,
        strict=settings.strict,
    )


def _run_phases(
    judge_: Judge, operation: Operation, settings: Settings, seed: int, progress: Progress
) -> None:
    from mjspec.conform.strategies import negative_cases, positive_cases

    probes = _probes(operation, settings.task_ids)
    progress.start("probes", len(probes) + 1)
    try:
        for case, negative in probes:
            judge_.exchange(case, negative=negative)
            progress.advance()
        judge_.probe_methods()
        judge_.probe_auth()
        progress.advance()
    except ServerGone:
        return
    media_types = [JSON, FORM]
    positive = positive_cases(operation, settings.task_ids, media_types)
    progress.start("positive cases", settings.max_examples)
    _hypothesis_phase(
        judge_,
        positive,
        negative=False,
        max_examples=settings.max_examples,
        seed=seed,
        progress=progress,
    )
    if judge_.gone:
        return
    negative_examples = max(1, settings.max_examples // 2)
    progress.start("negative cases", negative_examples)
    _hypothesis_phase(
        judge_,
        negative_cases(operation),
        negative=True,
        max_examples=negative_examples,
        seed=seed,
        progress=progress,
    )
