"""Send one request and judge its answer; keep the tallies of a run.

What fails a run (the contract): anything wrong with a 200 answer (shape,
meaning, Content-Type, a required field missing, null or of the wrong JSON
type, the response schema), a status code the spec does not declare, and any
5xx. A 5xx fails the run even when the request was spec-invalid: the spec
declares 200 and 4XX only, and rejects bad input with a 4xx, so a 5xx is
undeclared for every request; "bad input never gets a 5xx" is what every
correct server does.

What only warns (outside the contract, failures under `--strict`): invalid
input accepted, spec-valid JSON or the documented multipart body rejected
with a 4xx, the status and Content-Type of 4xx answers, how other HTTP methods
are answered, and whether authentication is enforced (the document calls it
optional).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mjspec.conform import checks
from mjspec.conform.fields import FieldSpec
from mjspec.conform.report import FieldResult, Finding

if TYPE_CHECKING:
    import requests
    from schemathesis import Response

    from mjspec.conform._typing import AnyCase, Operation

SERVER_ERROR = "server_error"
STATUS_CODE = "status_code"
NOT_JSON = "not_json"
NO_ANSWER = "no_answer"
# Warnings.
MULTIPART_REJECTED = "multipart_rejected"
VALID_JSON_REJECTED = "valid_json_rejected"
INVALID_ACCEPTED = "invalid_input_accepted"
ERROR_ANSWER = "error_answer"
OTHER_METHOD = "other_method"
AUTH_NOT_ENFORCED = "auth_not_enforced"

OTHER_METHODS = ("GET", "PUT", "DELETE")


class ServerGone(Exception):
    """The server stopped answering (refused connection or timeout)."""


@dataclasses.dataclass(slots=True)
class _Kept:
    finding: Finding
    warning: bool
    size: int


class Judge:
    """One run's session, tallies and findings."""

    def __init__(
        self,
        *,
        operation: Operation,
        session: requests.Session,
        base_url: str,
        fields: Sequence[FieldSpec],
        known: Sequence[str],
        headers: dict[str, str],
        masked_headers: dict[str, str],
        secret: str | None,
        timeout: tuple[float, float],
    ) -> None:
        from schemathesis.specs.openapi import checks as st_checks

        self._operation = operation
        self._session = session
        self._base_url = base_url
        self._fields = tuple(fields)
        self._known = tuple(known)
        self._headers = headers
        self._masked_headers = masked_headers
        self._secret = secret
        self._timeout = timeout
        self._results = {f.path: FieldResult(path=f.path, type_name=f.type_name) for f in fields}
        self._kept: dict[tuple[str, ...], _Kept] = {}
        self._spec_checks = [
            st_checks.status_code_conformance,
            st_checks.content_type_conformance,
            st_checks.response_schema_conformance,
        ]
        self._negative_check = st_checks.negative_data_rejection
        self.requests = 0
        self.statuses: Counter[int] = Counter()  # of the POSTs to the operation
        self.refused = 0
        self.tasks_checked = 0
        self.gone = False
        self.preflight_refused = False

    # -- recording ---------------------------------------------------------

    def _mask_value(self, value: Any) -> Any:
        """`value` with the token masked in every string, however deeply nested."""
        if not self._secret:
            return value
        if isinstance(value, str):
            return self._mask(value)
        if isinstance(value, list):
            return [self._mask_value(item) for item in value]
        if isinstance(value, dict):
            return {self._mask(str(k)): self._mask_value(v) for k, v in value.items()}
        return value

    def _mask(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "***")
        return text

    def curl(self, case: AnyCase) -> str:
        command = case.as_curl_command(headers=self._masked_headers, base_url=self._base_url)
        return self._mask(command)

    def _record(
        self,
        *,
        warning: bool,
        check: str,
        message: str,
        key: str = "",
        field: str | None = None,
        case: AnyCase | None = None,
        reproduce: str | None = None,
        status_code: int | None = None,
    ) -> None:
        """Keep one finding per (kind, check, field, key): the smallest request wins.

        The curl line of a case is rendered only when its finding is kept.
        """
        size = len(repr(case.body)) if case is not None else len(reproduce or "")
        ident = ("w" if warning else "f", check, field or "", key)
        kept = self._kept.get(ident)
        if kept is not None and kept.size <= size:
            return
        finding = Finding(
            check=check,
            message=self._mask(message),
            field=field,
            reproduce=self.curl(case) if case is not None else reproduce,
            status_code=status_code,
        )
        self._kept[ident] = _Kept(finding, warning, size)

    def _observe(self, observation: checks.FieldObservation) -> None:
        result = self._results[observation.path]
        result.counts[observation.status] += 1
        bad = observation.status != "ok"
        if result.example is None or (bad and result.example.get("status") == "ok"):
            example: dict[str, Any] = {
                "status": observation.status,
                "task": observation.task_id,
                "location": observation.location,
            }
            if isinstance(observation.value, checks.NotAnObject):
                example["value"] = observation.value.item
            elif observation.status != "missing":
                example["value"] = observation.value
            # A server may echo the credentials into a field; reports never carry them.
            result.example = self._mask_value(example)

    # -- sending -----------------------------------------------------------

    def _send(self, case: AnyCase) -> Response:
        import requests

        if self.gone:
            raise ServerGone("the server stopped answering")
        try:
            response = case.call(
                base_url=self._base_url,
                session=self._session,
                headers=self._headers,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            self.gone = True
            raise ServerGone(_one_line(exc)) from None
        self.requests += 1
        self.statuses[response.status_code] += 1
        return response

    def preflight(self) -> int:
        """Send the known ids once; the status tells whether the server answers at all."""
        body: Any = {"ids": list(self._known)}
        case = self._operation.Case(body=body, media_type="application/json")
        response = self._send(case)
        if response.status_code in (401, 403):
            self.refused += 1
            self.preflight_refused = True
            return response.status_code
        self._judge(case, response, negative=False)
        return response.status_code

    def exchange(self, case: AnyCase, *, negative: bool) -> bool:
        """Send a case and judge the answer; True when the contract was broken."""
        try:
            response = self._send(case)
        except ServerGone as exc:
            self._record(
                warning=False,
                check=NO_ANSWER,
                message=f"no answer: {exc}",
                case=case,
            )
            raise
        return self._judge(case, response, negative=negative)

    # -- judging -----------------------------------------------------------

    def _judge(self, case: AnyCase, response: Response, *, negative: bool) -> bool:
        from schemathesis.core.failures import FailureGroup

        status = response.status_code
        media_type = case.media_type or ""
        broken = False
        own_problems = False
        if status in (401, 403):
            self.refused += 1
        kind = "spec-invalid" if negative else "spec-valid"
        if status >= 500:
            broken = own_problems = True
            self._record(
                warning=False,
                check=SERVER_ERROR,
                key=f"{kind} {media_type}",
                message=f"answered {status} to a {kind} {media_type} request "
                "(the spec declares 200 and 4XX; bad input gets a 4xx)",
                case=case,
                status_code=status,
            )
        elif status == 200:
            broken = own_problems = self._judge_ok(case, response, negative)
        elif 400 <= status < 500 and not negative and status not in (401, 403):
            multipart = media_type.startswith("multipart/")
            self._record(
                warning=True,
                check=MULTIPART_REJECTED if multipart else VALID_JSON_REJECTED,
                key=str(status),
                message=f"a spec-valid {media_type} request was answered {status}"
                + (" (every known implementation parses JSON only)" if multipart else ""),
                case=case,
                status_code=status,
            )
        spec_checks = list(self._spec_checks)
        # In a multipart body every value is text: a type negation cannot show on the wire.
        if negative and status < 400 and not media_type.startswith("multipart/"):
            spec_checks.append(self._negative_check)
        try:
            case.validate_response(response, checks=spec_checks, headers=self._headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                name = failure.checks[0] if failure.checks else failure.code
                text = _summary(failure.title, failure.message)
                if name == "negative_data_rejection":
                    self._record(
                        warning=True,
                        check=INVALID_ACCEPTED,
                        key=media_type,
                        message=f"spec-invalid input was answered {status}: {text}",
                        case=case,
                        status_code=status,
                    )
                elif 400 <= status < 500:
                    self._record(
                        warning=True,
                        check=ERROR_ANSWER,
                        key=f"{name} {status}",
                        message=f"a {status} answer: {text}",
                        case=case,
                        status_code=status,
                    )
                elif not own_problems:  # our own checks already said it better
                    broken = True
                    self._record(
                        warning=False,
                        check=name,
                        key=failure.code,
                        message=f"a {status} answer: {text}",
                        case=case,
                        status_code=status,
                    )
        return broken

    def _judge_ok(self, case: AnyCase, response: Response, negative: bool) -> bool:
        content_type = response.headers.get("content-type", [None])[0]
        try:
            body = json.loads(response.content)
        except ValueError:
            self._record(
                warning=False,
                check=NOT_JSON,
                message=f"the 200 body is not JSON (Content-Type {content_type or '(none)'!r})",
                case=case,
                status_code=200,
            )
            return True
        requested = None if negative else _requested_ids(case)
        verdict = checks.check_ok_answer(
            content_type=content_type,
            body=body,
            fields=self._fields,
            requested=requested,
            known=self._known,
        )
        self.tasks_checked += verdict.tasks_checked
        for observation in verdict.observations:
            self._observe(observation)
        for problem in verdict.problems:
            self._record(
                warning=False,
                check=problem.check,
                field=problem.field,
                key=problem.key,
                message=problem.message,
                case=case,
                status_code=200,
            )
        return bool(verdict.problems)

    # -- probes outside the operation --------------------------------------

    def probe_methods(self) -> None:
        """Other HTTP methods on the path: 405 or 501 is expected, anything else warns."""
        url = f"{self._base_url}{self._operation.path}"
        for method in OTHER_METHODS:
            response = self._raw(method, url, self._headers)
            if response is not None and response.status_code not in (405, 501):
                self._record(
                    warning=True,
                    check=OTHER_METHOD,
                    key=method,
                    message=f"{method} on the path was answered {response.status_code} "
                    "(405 Method Not Allowed is the usual answer)",
                    reproduce=self._raw_curl(method, url, self._masked_headers),
                    status_code=response.status_code,
                )

    def probe_auth(self) -> None:
        """With a token: the same request without it, and with a wrong one."""
        if self._secret is None:
            return
        url = f"{self._base_url}{self._operation.path}"
        body = {"ids": list(self._known)}
        wrong = {k: v.replace("***", "wrong-token") for k, v in self._masked_headers.items()}
        for label, headers in (("without credentials", {}), ("with a wrong token", wrong)):
            response = self._raw("POST", url, headers, body)
            if response is not None and response.status_code < 400:
                self._record(
                    warning=True,
                    check=AUTH_NOT_ENFORCED,
                    key=label,
                    message=f"a request {label} was answered {response.status_code} "
                    "(the document calls authentication optional)",
                    reproduce=self._raw_curl("POST", url, headers, body),
                    status_code=response.status_code,
                )

    def _raw(
        self, method: str, url: str, headers: dict[str, str], body: Any = None
    ) -> requests.Response | None:
        import requests

        try:
            response = self._session.request(
                method, url, headers=headers, json=body, timeout=self._timeout
            )
        except requests.RequestException:
            return None
        self.requests += 1
        return response

    def _raw_curl(self, method: str, url: str, headers: dict[str, str], body: object = None) -> str:
        parts = [f"curl -X {method}"]
        parts += [f"-H '{k}: {v}'" for k, v in headers.items()]
        if body is not None:
            parts.append("-H 'Content-Type: application/json'")
            parts.append(f"-d '{json.dumps(body)}'")
        parts.append(url)
        return self._mask(" ".join(parts))

    # -- results -----------------------------------------------------------

    @property
    def auth_rejected(self) -> bool:
        return self.preflight_refused or (self.requests > 0 and self.refused == self.requests)

    def field_results(self) -> list[FieldResult]:
        return list(self._results.values())

    def findings(self, *, strict: bool) -> tuple[list[Finding], list[Finding]]:
        """(failures, warnings); under `strict` every warning is a failure too."""
        failures = [k.finding for k in self._kept.values() if not k.warning]
        warnings = [k.finding for k in self._kept.values() if k.warning]
        if self.tasks_checked == 0:
            # The server knew none of the ids: that is "inconclusive", not a missing task.
            failures = [f for f in failures if f.check != checks.MISSING_KNOWN_TASK]
        if strict:
            return failures + warnings, []  # under --strict they are failures, listed once
        return failures, warnings


def _requested_ids(case: AnyCase) -> list[str]:
    body = case.body
    if isinstance(body, dict):
        ids = body.get("ids")
        if isinstance(ids, list):
            return [i for i in ids if isinstance(i, str)]
    return []


def _summary(title: str, message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return "; ".join([title, *lines[:4]])


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Connection refused" in text or "NewConnectionError" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return text[:200]
