"""Judge recorded exchanges under one profile; no I/O.

What fails (the contract, severities in `severity.py`): anything wrong with a 200
answer (shape, meaning, Content-Type, a documented field missing, null or of the
wrong JSON type, the response schema), a status code the profile does not declare,
and any 5xx. A 5xx fails even when the request was spec-invalid: bad input gets a
4xx from every correct server.

What only warns: invalid input accepted, a declared request rejected, the status and
Content-Type of 4xx answers, other HTTP methods, authentication not enforced.

Beyond types (`compare`): the tasks of every 200 answer to a valid request are compared
with their earlier sightings (`consistency.py`: a stable field that changed fails, a task
twice in one answer warns) and checked against the invariants of their fields
(`invariants.py`: warnings).

A request is judged by what the profile declares: a multipart request is positive
under a profile that lists multipart/form-data and merely undeclared under one that
does not (then a 4xx is the expected answer, and which tasks came back is not judged).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from mjspec.conform import checks
from mjspec.conform.consistency import ABSENT, Difference, Duplicate, Tracker
from mjspec.conform.fastcheck import FastTasks
from mjspec.conform.fields import OPERATION_PATH, FieldSpec, derive_fields, error_answer_schemas
from mjspec.conform.invariants import Broken, judge_task
from mjspec.conform.ledger import Ledger
from mjspec.conform.session import Exchange, Masker, TooDeep
from mjspec.conform.severity import overrides
from mjspec.profiles import Profile
from mjspec.spec import ByContent

if TYPE_CHECKING:
    from mjspec.conform._typing import Operation

SERVER_ERROR = "server_error"
NOT_JSON = "not_json"
NO_ANSWER = "no_answer"
MULTIPART_REJECTED = "multipart_rejected"
VALID_JSON_REJECTED = "valid_json_rejected"
INVALID_ACCEPTED = "invalid_input_accepted"
ERROR_ANSWER = "error_answer"
OTHER_METHOD = "other_method"
AUTH_NOT_ENFORCED = "auth_not_enforced"
AUTH_WAY_REFUSED = "auth_way_refused"
REDIRECT = "redirect"
BATCH_CONSISTENCY = "batch_consistency"
DUPLICATE_TASK = "duplicate_task"

Standing = Literal["positive", "negative", "undeclared"]


VERDICTS_KEPT = 4096
"""Answers whose schema verdict one document remembers (a verdict is a list of short
summaries: a few lines of each failed check's message at most)."""


@dataclasses.dataclass(frozen=True)
class _Reading:
    """What a judge reads from a profile's document: schemathesis' operation, the field
    specs, the decoder types built from them, the error answers' schemas, and schemathesis'
    verdict on each answer seen so far (by status, Content-Type and the body's digest)."""

    operation: Operation
    fields: tuple[FieldSpec, ...]
    fast: FastTasks
    error_schemas: list[dict[str, Any]]
    verdicts: dict[tuple[int, str | None, bytes], list[tuple[str, str, str]]]


_READINGS: ByContent[_Reading] = ByContent()
"""Readings by document: built once per process instead of once per run and profile. The
verdicts are pure functions of the document and the answer, so runs share them (servers
repeat answers, and a fleet's servers of one family answer alike). Runs in several threads
share the operation, whose calls and response checks take their headers and transport as
arguments and change nothing in it (its response validators, compiled on first use in a
tenth of a short run, are at worst compiled twice); they only read the rest, and at worst
compute a verdict twice."""


def _read(document: dict[str, Any]) -> _Reading:
    import schemathesis

    operation = schemathesis.openapi.from_dict(dict(document))[OPERATION_PATH]["POST"]
    fields = derive_fields(document, optional=True)
    return _Reading(operation, fields, FastTasks(fields), error_answer_schemas(document), {})


class ProfileJudge:
    """Judges exchanges under one profile into its own ledger."""

    def __init__(
        self,
        profile: Profile,
        *,
        known: Sequence[str],
        masker: Masker,
        headers: dict[str, str],
        compare: bool = True,
    ) -> None:
        from schemathesis.specs.openapi import checks as st_checks

        self.profile = profile
        self._known = tuple(known)
        self._headers = headers
        reading = _READINGS.get(profile.document, _read)
        self.operation = reading.operation
        """Schemathesis' operation under this profile's document (shared: only read)."""
        self.fields = reading.fields
        self._fast = reading.fast
        self._error_schemas = reading.error_schemas
        self._verdicts = reading.verdicts
        self._media_types = {m.lower() for m in profile.request_media_types}
        self.ledger = Ledger(self.fields, overrides(profile.document), masker)
        self._spec_checks = [
            st_checks.status_code_conformance,
            st_checks.content_type_conformance,
            st_checks.response_schema_conformance,
        ]
        self._negative_check = st_checks.negative_data_rejection
        self._tracker: Tracker[Exchange] | None = Tracker(self.fields) if compare else None

    def consistency(self) -> dict[str, int] | None:
        """How many tasks were compared across how many answers; None when not compared."""
        tracker = self._tracker
        if tracker is None:
            return None
        return {
            "tasks_compared": tracker.tasks_compared,
            "answers": tracker.answers,
            "comparisons": tracker.comparisons,
        }

    def use_headers(self, headers: dict[str, str]) -> None:
        """The headers the run now sends (the response checks compare against them)."""
        self._headers = headers

    # -- the operation -------------------------------------------------------

    def standing(self, exchange: Exchange) -> Standing:
        if exchange.negative:
            return "negative"
        media = exchange.media_type.split(";", 1)[0].strip().lower()
        return "positive" if media in self._media_types else "undeclared"

    def judge(self, exchange: Exchange) -> bool:
        """Judge an answer of the operation; True when a failure was recorded."""
        ledger = self.ledger
        ledger.exchanges += 1
        ledger.statuses[exchange.status] += 1
        status = exchange.status
        standing = self.standing(exchange)
        media_type = exchange.media_type
        failed = False
        own_problems = False
        if status in (401, 403):
            ledger.refused += 1
        label = {"positive": "spec-valid", "negative": "spec-invalid"}.get(standing, "undeclared")
        if 300 <= status < 400:
            own_problems = True
            where = exchange.location or "(no Location)"
            failed |= self._record(
                REDIRECT,
                f"answered {status}, redirecting to {where}; not followed (the kit never "
                "follows a redirect: the answer under test is this one, and a credential is "
                "never sent to another origin)",
                exchange,
                key=str(status),
            )
        elif status >= 500:
            own_problems = True
            failed |= self._record(
                SERVER_ERROR,
                f"answered {status} to a {label} {media_type} request "
                "(the profile declares 200 and 4XX; bad input gets a 4xx)",
                exchange,
                key=f"{label} {media_type}",
            )
        elif status == 200:
            own_problems, broke, error_answer = self._judge_ok(exchange, standing)
            failed |= broke
            if error_answer:  # the profile's own way of refusing bad input with a 200
                return failed
        elif 400 <= status < 500 and standing == "positive" and status not in (401, 403):
            multipart = media_type.startswith("multipart/")
            failed |= self._record(
                MULTIPART_REJECTED if multipart else VALID_JSON_REJECTED,
                f"a spec-valid {media_type} request was answered {status}"
                + (" (every known implementation parses JSON only)" if multipart else ""),
                exchange,
                key=str(status),
            )
        failed |= self._spec_conformance(exchange, standing, own_problems)
        return failed

    def _record(self, check: str, message: str, exchange: Exchange | None, **kw: Any) -> bool:
        return self.ledger.record(check, message, exchange=exchange, **kw) == "failure"

    def _judge_ok(self, exchange: Exchange, standing: Standing) -> tuple[bool, bool, bool]:
        """(did our own checks find something, was any a failure, was it an error object)."""
        content_type = exchange.content_type
        requested = _requested_ids(exchange.body) if standing == "positive" else None
        verdict = checks.check_fast(
            content_type=content_type,
            content=exchange.content,
            fast=self._fast,
            requested=requested,
            known=self._known,
        )
        if verdict is None:  # some task is off the documented path: walk them
            try:
                body = exchange.json()
            except ValueError as exc:
                message = f"the 200 body is not JSON (Content-Type {content_type or '(none)'!r})"
                if isinstance(exc, TooDeep):  # JSON, but past what a decoder reads
                    message = f"the 200 body is not usable JSON: {exc}"
                return True, self._record(NOT_JSON, message, exchange), False
            verdict = checks.check_ok_answer(
                content_type=content_type,
                body=body,
                fields=self.fields,
                requested=requested,
                known=self._known,
                error_schemas=self._error_schemas,
                located=exchange.located,
                fast=self._fast,
            )
        self.ledger.count(verdict.counts)
        self.ledger.tasks_checked += verdict.tasks_checked
        self.ledger.returned |= verdict.returned
        if requested is not None:
            self.ledger.asked.update(requested)
        for observation in verdict.observations:
            self.ledger.observe(observation)
        failed = False
        for problem in verdict.problems:
            failed |= self._record(
                problem.check, problem.message, exchange, field=problem.field, key=problem.key
            )
        if requested is not None and verdict.tasks_checked and not verdict.error_answer:
            failed |= self._compare(exchange, requested)
        return bool(verdict.problems), failed, verdict.error_answer

    # -- beyond types: across answers and within a task ------------------------

    def _compare(self, exchange: Exchange, requested: list[str]) -> bool:
        """The answer's tasks against their earlier sightings and their invariants."""
        if self._tracker is None:
            return False
        try:
            body = exchange.json()
        except ValueError:
            return False
        if not isinstance(body, list):
            return False
        differences, duplicates = self._tracker.observe(body, exchange, requested)
        for difference in differences:
            # Not returned as a failure of this answer: it depends on an earlier one, so
            # Hypothesis could not shrink it (the smallest pair of requests is kept instead).
            self._difference(difference)
        failed = False
        for duplicate in duplicates:
            failed |= self._duplicate(duplicate, exchange)
        broken_ones, judged = _invariants(exchange, body)
        self.ledger.judged.update(judged)
        for broken in broken_ones:
            failed |= self._record(broken.check, broken.message, exchange, field=broken.field)
        return failed

    def _difference(self, difference: Difference[Exchange]) -> None:
        name = difference.field
        before, after = _shown(difference.before), _shown(difference.after)
        why = (
            "after the task ended (SUCCESS and FAILURE are final)"
            if difference.settled
            else "a field that never changes during a task's life (x-mjspec-stable)"
        )
        first, then = difference.first, difference.then

        def render() -> str:
            return (
                f"# {name} = {before}\n{first.reproduce()}\n# {name} = {after}\n{then.reproduce()}"
            )

        message = (
            f"task {difference.task_id!r}: {name} is {before} in one answer and {after} in "
            f"another, {why}; the two requests follow"
        )
        self.ledger.record(
            BATCH_CONSISTENCY,
            message,
            field=name,
            status_code=then.status,
            size=first.size + then.size,
            render=render,
        )

    def _duplicate(self, duplicate: Duplicate, exchange: Exchange) -> bool:
        asked = {0: "not asked for", 1: "asked for once"}.get(
            duplicate.asked, f"asked for {duplicate.asked} times"
        )
        message = (
            f"task {duplicate.task_id!r} came back {duplicate.count} times in one answer "
            f"({asked}); which copy is the task?"
        )
        return self._record(DUPLICATE_TASK, message, exchange)

    def _spec_conformance(self, exchange: Exchange, standing: Standing, own: bool) -> bool:
        """Schemathesis' response checks against this profile's operation."""
        if exchange.case is None or exchange.response is None:
            return False
        status = exchange.status
        negative = (
            standing == "negative"
            and status < 400
            and not exchange.media_type.startswith("multipart/")
        )  # in a multipart body every value is text: a type negation cannot show on the wire
        if negative and exchange.case.meta is None and 200 <= status < 300:
            # One of our fixed probes (schemathesis knows nothing of how it was mutated).
            found = [
                *self._positive_verdict(exchange),
                (
                    "negative_data_rejection",
                    "",
                    f"the request body was {checks.short(exchange.body, 80)}",
                ),
            ]
        elif negative:
            found = self._validate(exchange, negative=True)
        else:
            found = self._positive_verdict(exchange)
        failed = False
        for name, code, text in found:
            if name == "negative_data_rejection":
                failed |= self._record(
                    INVALID_ACCEPTED,
                    f"spec-invalid input was answered {status}: {text}",
                    exchange,
                    key=exchange.media_type,
                )
            elif 400 <= status < 500:
                failed |= self._record(
                    ERROR_ANSWER, f"a {status} answer: {text}", exchange, key=f"{name} {status}"
                )
            elif not own:  # our own checks already said it better
                failed |= self._record(name, f"a {status} answer: {text}", exchange, key=code)
        return failed

    def _positive_verdict(self, exchange: Exchange) -> list[tuple[str, str, str]]:
        """The response checks' verdict on an answer, kept per profile document.

        The same answer gets the same verdict: servers repeat answers (`[]`, a task), across
        runs too. The three checks (`_spec_checks`) read only the operation (this profile's
        document), the status, the Content-Type and the body, which is the key; a check
        added there that reads the request, its headers or the case's metadata would make
        the key wrong. Keyed on a digest: the verdicts outlive the answers and must not keep
        their bodies (`Exchange.digest`, one per answer for every profile).
        """
        key = (exchange.status, exchange.content_type, exchange.digest())
        found = self._verdicts.get(key)
        if found is None:
            found = self._validate(exchange, negative=False)
            if len(self._verdicts) >= VERDICTS_KEPT:
                self._verdicts.clear()
            self._verdicts[key] = found
        return found

    def _validate(self, exchange: Exchange, *, negative: bool) -> list[tuple[str, str, str]]:
        """(check, code, summary) of each schemathesis check that failed."""
        from schemathesis.core.failures import CustomFailure, Failure, FailureGroup

        assert exchange.case is not None and exchange.response is not None
        spec_checks = [*self._spec_checks, self._negative_check] if negative else self._spec_checks
        # A case of this profile's operation, carrying the generated case's metadata (the
        # negative check needs to know what was mutated).
        from schemathesis.generation.case import Case

        case = Case(
            self.operation,
            method=exchange.case.method,
            path=exchange.case.path,
            body=exchange.body,
            media_type=exchange.case.media_type,
            meta=exchange.case.meta,
        )
        found: list[Failure] = []

        def each_check(ctx: Any, response: Any, case: Any) -> None:
            # One check that runs the others and keeps their failures, in order: schemathesis
            # itself sees none, or it would build a curl command and a report for them that
            # nobody reads (most of the time a failing answer takes).
            for check in spec_checks:
                try:
                    check(ctx, response, case)
                except Failure as failure:
                    found.append(failure.with_traceback(None))  # no frames kept alive
                except FailureGroup as group:
                    found.extend(f.with_traceback(None) for f in group.exceptions)
                except AssertionError as exc:  # as schemathesis' own runner takes it
                    found.append(
                        CustomFailure(
                            operation=case.operation.label,
                            title=f"Custom check failed: `{check.__name__}`",
                            message=str(exc),
                            exception=exc.with_traceback(None),
                        )
                    )

        case.validate_response(exchange.response, checks=[each_check], headers=self._headers)
        return [
            (
                failure.checks[0] if failure.checks else failure.code,
                failure.code,
                _summary(failure.title, failure.message),
            )
            for failure in dict.fromkeys(found)  # each distinct failure once
        ]

    def refused(self, check: str, message: str, reproduce: str) -> None:
        """An answer that broke a bound (the deadline, the size limit)."""
        self.ledger.record(check, message, reproduce=reproduce)

    def no_answer(self, exchange_body: Any, reason: str) -> None:
        self.ledger.record(NO_ANSWER, f"no answer: {reason}", key=repr(exchange_body)[:40])

    # -- probes outside the operation ----------------------------------------

    def other_method(self, exchange: Exchange) -> None:
        """Other HTTP methods on the path: 405 or 501 is expected, anything else warns."""
        if exchange.status not in (405, 501):
            self._record(
                OTHER_METHOD,
                f"{exchange.method} on the path was answered {exchange.status} "
                "(405 Method Not Allowed is the usual answer)",
                exchange,
                key=exchange.method,
            )

    def unauthenticated(self, exchange: Exchange) -> None:
        """A request without the token or with a wrong one should be refused."""
        if exchange.status < 400:
            self._record(
                AUTH_NOT_ENFORCED,
                f"a request {exchange.label} was answered {exchange.status} "
                "(the document calls authentication optional)",
                exchange,
                key=exchange.label,
            )

    def auth_way(self, exchange: Exchange, *, declared: bool) -> None:
        """The token sent one way: refusing a way this profile's clients use fails it."""
        if declared and exchange.status in (401, 403):
            self._record(
                AUTH_WAY_REFUSED,
                f"the token sent as {exchange.label} was answered {exchange.status}: clients "
                f"of {self.profile.name} send it this way",
                exchange,
                key=exchange.label,
            )


def _invariants(exchange: Exchange, body: list[Any]) -> tuple[list[Broken], Counter[str]]:
    """The invariants the answer's tasks break, and how many tasks each one judged: found
    once, shared by every profile."""
    shared: tuple[list[Broken], Counter[str]] | None = exchange.shared.get("invariants")
    if shared is None:
        seen: set[str] = set()
        found: list[Broken] = []
        judged: Counter[str] = Counter()
        for task in body:
            task_id = task.get("id") if isinstance(task, dict) else None
            if isinstance(task_id, str) and task_id not in seen:  # a duplicate: checked once
                seen.add(task_id)
                applied, broken = judge_task(task)
                judged.update(applied)
                found += broken
        shared = exchange.shared["invariants"] = (found, judged)
    return shared


def _shown(value: Any) -> str:
    """A compared value in a message, shortened as the field findings shorten theirs."""
    return "absent" if value is ABSENT else checks.short(value, 60)


def _requested_ids(body: Any) -> list[str]:
    if isinstance(body, dict):
        ids = body.get("ids")
        if isinstance(ids, list):
            return [i for i in ids if isinstance(i, str)]
    return []


def _summary(title: str, message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return "; ".join([title, *lines[:4]])
