"""Drive a conformance run: probes, then Hypothesis over schemathesis cases.

`run(settings)` sends every request once, through one keep-alive `Session`, and
judges each answer under every profile of the run (`judge.ProfileJudge`), so a
compatibility matrix costs the requests of one run. Order:

1. with a token, each way of sending it that any profile declares, once
   (which ways the server accepts; the run goes on with an accepted one);
2. a preflight request (unreachable server: `Unreachable`; 401/403: stop,
   inconclusive);
3. fixed probes: the known ids, alone and together, an empty list, no ids, a
   multipart body, malformed input, other HTTP methods, no or a wrong token;
4. Hypothesis: positive cases (each media type of the broadest profile, ids
   drawn by `strategies.ids_lists`) and negative cases. An answer that fails
   under every profile is raised inside the test so that Hypothesis shrinks it;
   a deviation only some profiles allow does not stop the exploration. The
   smallest reproduction of each finding is kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mjspec.conform.curl import TOKEN_VARIABLE
from mjspec.conform.fields import OPERATION_PATH
from mjspec.conform.judge import ProfileJudge
from mjspec.conform.report import AuthProbe, MediaProbe, ProfileResult, Report, decide
from mjspec.conform.session import AnswerRefused, Exchange, Masker, ServerGone, Session
from mjspec.conform.transport import BoundedTransport
from mjspec.errors import ConformError, Unreachable
from mjspec.profiles import AuthWay, Profile, doc_profile

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from mjspec.conform._typing import AnyCase, Operation

__all__ = ["ConformError", "Settings", "Unreachable", "run"]

DEFAULT_MAX_EXAMPLES = 50
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
JSON = "application/json"
FORM = "multipart/form-data"


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
    """Everything a run needs.

    `spec` is the decoded OpenAPI document (the `doc` profile); `profiles`, when
    given, are the profiles to judge under, the first one on the report's top level.
    """

    spec: Mapping[str, Any]
    base_url: str
    task_ids: tuple[str, ...] = ()
    token: str | None = None
    auth_header: str | None = None
    """Send the token raw in this header; None: the first profile's way."""
    profiles: tuple[Profile, ...] = ()
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    strict: bool = False
    request_timeout: float = 10.0
    """The total deadline of one request, its whole answer included."""
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    connect_timeout: float = 3.0

    spec_sha256: str | None = None
    """The sha256 of the spec file, for the report."""
    token_variable: str = TOKEN_VARIABLE
    """How the reproductions name the token (a fleet server's own `$UPSTREAM_A_TOKEN`)."""
    consistency: bool = True
    """Compare the answers with each other and check each task's invariants (`judge`);
    off only to measure what these checks cost (`benchmarks/bench_consistency.py`)."""

    def judged_profiles(self) -> tuple[Profile, ...]:
        return self.profiles or (doc_profile(dict(self.spec), "spec"),)


class _Falsified(Exception):
    """Raised inside the Hypothesis test so that it shrinks a contract failure."""


def chosen_way(settings: Settings) -> AuthWay | None:
    """How the token is sent: raw in `--auth-header`, else the first profile's first way."""
    if settings.token is None:
        return None
    if settings.auth_header:
        return AuthWay(header=settings.auth_header)
    ways = settings.judged_profiles()[0].auth_ways
    return ways[0] if ways else AuthWay(header="Authorization", bearer=True)


def _headers(way: AuthWay | None, token: str | None) -> dict[str, str]:
    return way.headers(token) if way is not None and token is not None else {}


class _Run:
    """One run's session and judges."""

    def __init__(self, session: Session, judges: list[ProfileJudge]) -> None:
        self.session = session
        self.judges = judges
        self.media_statuses: dict[str, int] = {}
        """The status of the first valid request of each media type."""

    def exchange(self, case: AnyCase, *, negative: bool) -> bool:
        """Send a case and judge it under every profile; True when every one of them failed.

        ServerGone ends the run: no answer, or an answer past a bound (recorded first).
        """
        try:
            exchange = self.session.send(case, negative=negative)
        except ServerGone as exc:
            for judge_ in self.judges:
                judge_.no_answer(case.body, str(exc))
            raise
        except AnswerRefused as refused:
            self.refused(refused)
            raise ServerGone(refused.message) from None
        if not negative:
            self.media_statuses.setdefault(exchange.media_type, exchange.status)
        verdicts = [judge_.judge(exchange) for judge_ in self.judges]
        return all(verdicts)

    def refused(self, refused: AnswerRefused) -> None:
        for judge_ in self.judges:
            judge_.refused(refused.check, refused.message, refused.reproduce)


def _hypothesis_phase(
    run_: _Run,
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
        if run_.exchange(case, negative=negative):
            raise _Falsified

    # No example database, so no key for one: as schemathesis' own runner does, which spares
    # Hypothesis reading and tokenizing this function's source on every phase of every run.
    test._hypothesis_internal_database_key = None  # type: ignore[attr-defined]
    # The findings are recorded as they come; the exception only made Hypothesis shrink.
    with contextlib.suppress(_Falsified, ServerGone, Flaky, Unsatisfiable):
        test()


# Each of the first known ids is also asked for alone; the rest come with the others and in
# the generated cases (a user may pass hundreds of ids).
PROBED_ALONE = 40


def spec_examples(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The request bodies the spec gives as examples (a deterministic phase: the same
    verdict whatever the seed, where random cases would hit an example id by chance)."""
    from mjspec.profiles import operation
    from mjspec.spec import deref

    content = (operation(document).get("requestBody") or {}).get("content") or {}
    found: list[dict[str, Any]] = []
    for media in content.values():
        candidates = [media.get("example")]
        candidates += [e.get("value") for e in (media.get("examples") or {}).values()]
        try:
            schema = deref(document, media.get("schema") or {})
        except KeyError:
            schema = {}
        ids_schema = (schema.get("properties") or {}).get("ids") or {}
        candidates += [{"ids": ids} for ids in ids_schema.get("examples") or ()]
        for body in candidates:
            valid = isinstance(body, dict) and isinstance(body.get("ids"), list)
            if valid and all(isinstance(i, str) for i in body["ids"]) and body not in found:
                found.append(body)
    return found


def _probes(
    operation: Operation, known: Sequence[str], examples: Sequence[dict[str, Any]] = ()
) -> list[tuple[AnyCase, bool]]:
    """Fixed requests every run sends: (case, is it spec-invalid)."""
    bodies: list[tuple[Any, str, bool]] = []
    if known:
        # The known ids, an unknown one and a duplicate; then each known id alone.
        bodies.append(({"ids": [*known, "0", known[0]]}, JSON, False))
        bodies.extend(({"ids": [task_id]}, JSON, False) for task_id in known[:PROBED_ALONE])
    bodies.extend((example, JSON, False) for example in examples)
    many = [*known, *(str(10**15 + n) for n in range(60))]
    bodies += [
        ({"ids": many}, JSON, False),  # more ids than the generated cases hold
        ({"ids": [*known[:1], "任务-ü-🙂", "Ω"]}, JSON, False),  # non-ASCII ids
        ({"ids": []}, JSON, False),
        ({}, JSON, False),
    ]
    # The documented multipart body, sent whether or not the profiles declare it: it
    # tells which media types the server parses.
    bodies.append(({"ids": list(known[:2]) or ["0"]}, FORM, False))
    bodies += [
        ({"ids": "not-a-list"}, JSON, True),
        ({"ids": [1]}, JSON, True),
    ]
    return [
        (operation.Case(body=body, media_type=media_type), negative)
        for body, media_type, negative in bodies
    ]


def _generating_profile(profiles: Sequence[Profile]) -> Profile:
    """The profile whose schema generates the cases: the one with the most request media types."""
    return max(profiles, key=lambda p: len(p.request_media_types))


def run(
    settings: Settings,
    *,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Report:
    """Check the server at `settings.base_url` under each profile of `settings`."""
    started = clock()
    progress = progress or _NoProgress()
    seed = settings.seed if settings.seed is not None else random.getrandbits(32)
    profiles = settings.judged_profiles()
    generating = _generating_profile(profiles)
    masker = Masker(settings.token)
    way = chosen_way(settings)
    headers = _headers(way, settings.token)
    judges = [
        ProfileJudge(
            p, known=settings.task_ids, masker=masker, headers=headers, compare=settings.consistency
        )
        for p in profiles
    ]
    operation = next(j.operation for j in judges if j.profile is generating)
    base_url = settings.base_url.rstrip("/")
    auth: list[AuthProbe] = []
    refused = interrupted = False
    http = BoundedTransport(
        deadline=settings.request_timeout,
        max_bytes=settings.max_response_bytes,
        connect_timeout=settings.connect_timeout,
    )
    session = Session(
        http=http,
        base_url=base_url,
        path=OPERATION_PATH,
        headers=headers,
        credentials=_headers(way, settings.token_variable if settings.token else None),
        masker=masker,
    )
    run_ = _Run(session, judges)
    try:
        if way is not None and settings.token is not None:
            auth = _probe_auth_ways(session, judges, way, settings)
        refused = _preflight(run_, operation, settings)
        if not refused:
            _run_phases(run_, operation, generating, settings, seed, progress)
    except KeyboardInterrupt:
        interrupted = True  # the report says what was found so far
    except (ServerGone, AnswerRefused) as exc:
        if isinstance(exc, AnswerRefused):
            run_.refused(exc)
        elif session.requests == 0:
            raise Unreachable(f"cannot reach {settings.base_url}: {exc}") from None
    finally:
        http.close()
    progress.stop()
    results = [
        _result(judge_, settings, auth_rejected=refused, interrupted=interrupted)
        for judge_ in judges
    ]
    first = results[0]
    media = [
        MediaProbe(
            media_type=media_type,
            status=status,
            declared_by=[p.name for p in profiles if media_type in p.request_media_types],
        )
        for media_type, status in run_.media_statuses.items()
    ]
    return Report(
        verdict=first.verdict,
        reason=first.reason,
        base_url=settings.base_url,
        tasks_checked=first.tasks_checked,
        requests=session.requests,
        seed=seed,
        duration=clock() - started,
        fields=first.fields,
        failures=first.failures,
        warnings=first.warnings,
        consistency=first.consistency,
        strict=settings.strict,
        profile=first.name,
        profiles={r.name: r for r in results},
        auth=auth,
        media=media,
        interrupted=interrupted,
        spec_sha256=settings.spec_sha256,
    )


def _preflight(run_: _Run, operation: Operation, settings: Settings) -> bool:
    """Send the known ids once; True when authentication refused it (the run stops)."""
    case = operation.Case(body={"ids": list(settings.task_ids)}, media_type=JSON)
    preflight = run_.session.send(case, negative=False)
    refused = preflight.status in (401, 403)
    run_.media_statuses[JSON] = preflight.status
    for judge_ in run_.judges:
        if refused:
            judge_.ledger.refused += 1
            judge_.ledger.statuses[preflight.status] += 1
        else:
            judge_.judge(preflight)
    return refused


def _result(
    judge_: ProfileJudge, settings: Settings, *, auth_rejected: bool, interrupted: bool
) -> ProfileResult:
    ledger = judge_.ledger
    failures, warnings = ledger.findings(strict=settings.strict, known=settings.task_ids)
    rejected = auth_rejected or (ledger.exchanges > 0 and ledger.refused == ledger.exchanges)
    fields = ledger.field_results()
    verdict, reason = decide(
        tasks_checked=ledger.tasks_checked,
        failures=failures,
        warnings=warnings,
        strict=settings.strict,
        auth_rejected=rejected,
        statuses=ledger.statuses,
        unseen=[f for f in fields if f.expected and f.status == "unseen"],
        never_returned=ledger.never_returned(settings.task_ids),
    )
    if interrupted and verdict == "pass":  # a partial run proves no pass
        verdict, reason = "inconclusive", f"interrupted before the run ended ({reason})"
    return ProfileResult(
        name=judge_.profile.name,
        title=judge_.profile.title,
        verdict=verdict,
        reason=reason,
        tasks_checked=ledger.tasks_checked,
        fields=fields,
        failures=failures,
        warnings=warnings,
        consistency=judge_.consistency(),
        judged=dict(ledger.judged),
    )


# Tried with every token whatever the profiles: a way the server accepts proves the token
# right, so that refusing the profile's way is the server's doing, not a wrong token.
KNOWN_WAYS = (
    AuthWay(header="Authorization", bearer=True),
    AuthWay(header="Authorization"),
    AuthWay(header="mj-api-secret"),
)


def _probe_auth_ways(
    session: Session, judges: Sequence[ProfileJudge], way: AuthWay, settings: Settings
) -> list[AuthProbe]:
    """Send the token each known way once; go on with an accepted way."""
    assert settings.token is not None
    ways: dict[tuple[str, bool], AuthWay] = {way.key(): way}
    for judge_ in judges:
        for declared in judge_.profile.auth_ways:
            ways.setdefault(declared.key(), declared)
    for known in KNOWN_WAYS:
        ways.setdefault(known.key(), known)
    body = {"ids": list(settings.task_ids[:1])}
    answered: list[tuple[AuthWay, Exchange]] = []
    for candidate in ways.values():
        exchange = session.raw(
            "POST",
            candidate.headers(settings.token),
            candidate.headers(settings.token_variable),
            body=body,
            kind="auth",
            label=candidate.label,
        )
        if exchange is not None:
            answered.append((candidate, exchange))
    accepted = [c for c, exchange in answered if 200 <= exchange.status < 300]
    probes: list[AuthProbe] = []
    for candidate, exchange in answered:
        declared_by = []
        for judge_ in judges:
            if candidate.key() in {w.key() for w in judge_.profile.auth_ways}:
                declared_by.append(judge_.profile.name)
                if accepted:  # else the token itself may be wrong: inconclusive, not a failure
                    judge_.auth_way(exchange, declared=True)
        probes.append(
            AuthProbe(
                way=candidate.label,
                status=exchange.status,
                accepted=candidate in accepted,
                declared_by=declared_by,
            )
        )
    if accepted and way not in accepted:
        better = accepted[0]
        session.use_headers(better.headers(settings.token), better.headers(settings.token_variable))
        for judge_ in judges:
            judge_.use_headers(better.headers(settings.token))
    return probes


def _run_phases(
    run_: _Run,
    operation: Operation,
    generating: Profile,
    settings: Settings,
    seed: int,
    progress: Progress,
) -> None:
    from mjspec.conform.strategies import negative_cases, positive_cases

    media_types = [m for m in (JSON, FORM) if m in generating.request_media_types] or [JSON]
    probes = _probes(operation, settings.task_ids, spec_examples(generating.document))
    progress.start("probes", len(probes) + 1)
    try:
        for case, negative in probes:
            run_.exchange(case, negative=negative)
            progress.advance()
        _probe_outside(run_, settings)
        progress.advance()
    except ServerGone:
        return
    positive = positive_cases(operation, settings.task_ids, media_types)
    progress.start("positive cases", settings.max_examples)
    _hypothesis_phase(
        run_,
        positive,
        negative=False,
        max_examples=settings.max_examples,
        seed=seed,
        progress=progress,
    )
    if run_.session.gone:
        return
    negative_examples = max(1, settings.max_examples // 2)
    progress.start("negative cases", negative_examples)
    _hypothesis_phase(
        run_,
        negative_cases(operation),
        negative=True,
        max_examples=negative_examples,
        seed=seed,
        progress=progress,
    )


OTHER_METHODS = ("GET", "PUT", "DELETE")


def _probe_outside(run_: _Run, settings: Settings) -> None:
    """Other HTTP methods on the path; with a token, no token and a wrong one."""
    session = run_.session
    for method in OTHER_METHODS:
        exchange = session.raw(method, session.headers, session.credentials, label=method)
        if exchange is not None:
            for judge_ in run_.judges:
                judge_.other_method(exchange)
    if settings.token is None:
        return
    body = {"ids": list(settings.task_ids)}
    variable = settings.token_variable
    wrong = {k: v.replace(variable, "wrong-token") for k, v in session.credentials.items()}
    for label, headers in (("without credentials", {}), ("with a wrong token", wrong)):
        exchange = session.raw("POST", headers, headers, body=body, kind="auth", label=label)
        if exchange is not None:
            for judge_ in run_.judges:
                judge_.unauthenticated(exchange)
