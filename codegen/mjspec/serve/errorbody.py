"""A family's error answers, built from its profile's error responses and schemas (pure).

`error_answer(document, status, message)` looks up the response the profile declares for
the status (the exact code, then `4XX`, then `default`) and builds its body: no content
declared gives an empty body (Java's 401), a JSON schema gives an object with its required
properties filled (Spring's `{timestamp, status, error, path}`, new-api's `{description,
type, code}`), text/plain gives the message as text (the C# fork). A schema that names no
properties (the document's `Error`: any JSON) gets the reference server's own
`{"error", "message"}`. `bad_body_answer` is the answer to a malformed body: the error
object a profile allows in a 200 answer (`x-mjspec-error-answer`, the C# fork's
`{"success": false, "code": -1, ...}`) when it has one, else a 400.

A property is filled from, in order: its `const`, `default` or first of `examples` (the
overlays put the values each family sends there); the answer's context by name (`status`,
`error` (the reason phrase), `path`, `timestamp`, `code`, `description`/`message`/`detail`);
else an empty value of its type. Optional properties are filled only from the context.

Every 401 carries `WWW-Authenticate` (RFC 9110 §11.6.1), one challenge per way the profile
takes the token: `Bearer realm="mjspec"` for `Authorization: Bearer`, and for a raw header
`ApiKey realm="mjspec", header="mj-api-secret"` (`ApiKey` is not a registered scheme, but
any token is a valid auth-scheme and its `header` parameter says where the key goes).
"""

from __future__ import annotations

import dataclasses
import datetime
import http
from collections.abc import Mapping
from typing import Any

import msgspec

from mjspec.conform.fields import json_type
from mjspec.profiles import OPERATION_PATH, auth_ways, operation
from mjspec.spec import deref

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
REALM = "mjspec"

_EMPTY = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": [], "object": {}}


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ErrorAnswer:
    """An answer to send: status, Content-Type (None: no body at all), body bytes, and
    further header fields (a name may repeat: one `WWW-Authenticate` per challenge)."""

    status: int
    media_type: str | None
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def auth_challenges(document: Mapping[str, Any], *, invalid_token: bool = False) -> tuple[str, ...]:
    """The `WWW-Authenticate` challenges of a 401: one per way the profile takes the token.

    `invalid_token` adds RFC 6750's `error="invalid_token"` to the Bearer challenge (a token
    was sent that way and is wrong); a request without credentials gets no error code.
    """
    challenges: list[str] = []
    for way in auth_ways(document):
        if way.bearer:
            error = ', error="invalid_token"' if invalid_token else ""
            challenges.append(f'Bearer realm="{REALM}"{error}')
        else:
            challenges.append(f'ApiKey realm="{REALM}", header="{_quoted(way.header)}"')
    # a profile without any way still refuses: say so with the one scheme it could mean
    return tuple(dict.fromkeys(challenges)) or (f'Bearer realm="{REALM}"',)


def _quoted(text: str) -> str:
    """`text` as the inside of an RFC 9110 quoted-string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def unsupported_media_type_status(document: Mapping[str, Any]) -> int:
    """415 when the profile declares it (Spring, ASP.NET Core); else 400 (new-api)."""
    responses = operation(document).get("responses") or {}
    return 415 if "415" in responses else 400


def error_answer(
    document: Mapping[str, Any],
    status: int,
    message: str,
    *,
    error: str = "error",
    path: str = OPERATION_PATH,
    now: datetime.datetime | None = None,
    invalid_token: bool = False,
) -> ErrorAnswer:
    """The answer the profile declares for `status`, its body saying `message`.

    `error` is a short code for bodies that have room for one (the reference server's
    `{"error", "message"}`); `path` is the request path (Spring's `path`). A 401 carries
    the profile's `WWW-Authenticate` challenges (`invalid_token`: see `auth_challenges`).
    """
    headers: tuple[tuple[str, str], ...] = ()
    if status == 401:
        challenges = auth_challenges(document, invalid_token=invalid_token)
        headers = tuple(("WWW-Authenticate", challenge) for challenge in challenges)
    responses = operation(document).get("responses") or {}
    declared = _declared(responses, status)
    response, _ = _resolved(document, declared) if declared is not None else ({}, "")
    content = response.get("content")
    if declared is not None and not content:
        return ErrorAnswer(status=status, media_type=None, body=b"", headers=headers)
    content = content or {JSON: {}}
    json_type_name = next((m for m in content if _is_json(m)), None)
    if json_type_name is None:
        body = message.encode()
        return ErrorAnswer(status=status, media_type=TEXT, body=body, headers=headers)
    context = _context(status, message, path, now)
    filled = _fill(document, content[json_type_name].get("schema"), context, error)
    body = msgspec.json.encode(filled)
    return ErrorAnswer(status=status, media_type=JSON, body=body, headers=headers)


def bad_body_answer(
    document: Mapping[str, Any],
    message: str,
    *,
    error: str = "invalid_body",
    path: str = OPERATION_PATH,
    now: datetime.datetime | None = None,
) -> ErrorAnswer:
    """The answer to a malformed body: a 200 error object if the profile has one, else 400."""
    schema = _error_answer_schema(document)
    if schema is None:
        return error_answer(document, 400, message, error=error, path=path, now=now)
    body = _fill(document, schema, _context(200, message, path, now), error)
    return ErrorAnswer(status=200, media_type=JSON, body=msgspec.json.encode(body))


def _error_answer_schema(document: Mapping[str, Any]) -> Any:
    """The member of the 200 answer's `oneOf`/`anyOf` marked `x-mjspec-error-answer`, as is."""
    ok, _ = _resolved(document, (operation(document).get("responses") or {}).get("200"))
    media = (ok.get("content") or {}).get(JSON) or {}
    schema, _ = _resolved(document, media.get("schema"))
    for key in ("oneOf", "anyOf"):
        for member in schema.get(key) or ():
            if _resolved(document, member)[0].get("x-mjspec-error-answer") is True:
                return member
    return None


def _declared(responses: Mapping[str, Any], status: int) -> Any:
    keys = {str(key).upper(): value for key, value in responses.items()}
    for key in (str(status), f"{status // 100}XX", "DEFAULT"):
        if key in keys:
            return keys[key]
    return None


def _resolved(document: Mapping[str, Any], node: Any) -> tuple[Mapping[str, Any], str]:
    """The node behind any `$ref`s, and the name of the last component it went through."""
    trail: list[str] = []
    try:
        node = deref(document, node, trail)
    except KeyError:
        node = {}
    name = trail[-1].rsplit("/", 1)[-1] if trail else ""
    return (node if isinstance(node, Mapping) else {}), name


def _is_json(media_type: str) -> bool:
    kind = media_type.split(";", 1)[0].strip().lower()
    return kind == JSON or (kind.startswith("application/") and kind.endswith("+json"))


def _context(status: int, message: str, path: str, now: datetime.datetime | None) -> dict[str, Any]:
    when = now or datetime.datetime.now(datetime.UTC)
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {
        "status": status,
        "code": status,
        "error": phrase,
        "path": path,
        "timestamp": when.isoformat(timespec="milliseconds"),
        "description": message,
        "message": message,
        "detail": message,
        "success": False,
    }


def _fill(document: Mapping[str, Any], schema: Any, context: Mapping[str, Any], error: str) -> Any:
    resolved, name = _resolved(document, schema)
    properties = resolved.get("properties") or {}
    required = [str(r) for r in resolved.get("required") or ()]
    if not properties and not required:
        return {"error": error, "message": context["message"]}
    body: dict[str, Any] = {}
    for prop in [*properties, *(r for r in required if r not in properties)]:
        prop_schema, _ = _resolved(document, properties.get(prop, {}))
        types = _types(prop_schema)
        if prop in required:
            body[prop] = _required_value(name, prop, prop_schema, types, context)
        elif prop in context and _fits(context[prop], types):
            body[prop] = context[prop]
    return body


def _required_value(
    schema_name: str,
    prop: str,
    schema: Mapping[str, Any],
    types: frozenset[str],
    context: Mapping[str, Any],
) -> Any:
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    if schema.get("examples"):
        return schema["examples"][0]
    if prop in context and _fits(context[prop], types):
        return context[prop]
    return next((_EMPTY[t] for t in sorted(types) if t in _EMPTY), None)


def _types(schema: Mapping[str, Any]) -> frozenset[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(str(t) for t in declared)
    return frozenset()  # unconstrained


def _fits(value: Any, types: frozenset[str]) -> bool:
    kind = json_type(value)
    return not types or kind in types or (kind == "integer" and "number" in types)


__all__ = [
    "ErrorAnswer",
    "auth_challenges",
    "bad_body_answer",
    "error_answer",
    "unsupported_media_type_status",
]
