"""The intermediate representation: what the templates print, decided here.

`build(doc, models, source, profiles)` is pure. It turns a normalized spec (see
`normalize`) into frozen dataclasses in which every Python name, annotation and
expression a template prints is already computed; the templates only loop and render.

Requests come from the spec itself. Answers and the default way of sending the token
come from each profile (the spec as one server family serves it, see `profiles`): the
client decodes an operation's answer into the models of the profile it was made with,
and an operation whose answer type differs between profiles gets a type variable of
the generic client.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mjspec.errors import SpecError, SpecProblem
from mjspec.generate.modelgen import ModelIndex
from mjspec.generate.names import DEFAULT_PACKAGE, pascal, snake
from mjspec.generate.normalize import SCHEMAS, iter_operations, operation_id
from mjspec.spec import deref, pointer_join, pointer_parts

JSON_MEDIA = "application/json"
MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"
CLIENT_EXPORTS = (
    "ApiError",
    "AsyncClient",
    "Client",
    "ConnectError",
    "ContractError",
    "RequestTimeout",
    "ResponseTooLarge",
    "StatusError",
    "ProfileName",
    "TransportError",
)
ERROR_ANSWER = "x-mjspec-error-answer"
DOC = "doc"
_PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """A path, query or header parameter, or a field of a flattened request body."""

    name: str  # the name on the wire
    python_name: str  # the argument name in the client and the service
    location: str  # "path" | "query" | "header" | "body"
    annotation: str  # the argument's annotation, `| None` included when optional
    required: bool
    is_array: bool
    attribute: str  # for body fields, the model attribute; else the params-struct attribute
    default: str  # "" when required, else "None"


@dataclass(frozen=True, slots=True, kw_only=True)
class Body:
    model: str  # the type a whole body decodes to
    required: bool
    json: bool
    multipart: bool
    urlencoded: bool
    flattened: bool  # object bodies: each property is an argument (see Operation.body_fields)
    content_type: str  # what the client sends: JSON when the spec allows it


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    status: str
    kind: str  # "json" | "text" | "empty"
    annotation: str  # the client's return annotation (error answers left out)
    is_array: bool
    decode_type: str = ""  # what the decoder decodes: the annotation, or with error answers
    error_answers: tuple[str, ...] = ()  # classes that are errors answered with a 2xx

    @property
    def decoded(self) -> str:
        return self.decode_type or self.annotation


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    operation_id: str
    python_name: str
    method: str
    path: str
    summary: str
    docstring: str  # summary, a blank line, the description
    path_params: tuple[Param, ...]
    query_params: tuple[Param, ...]
    header_params: tuple[Param, ...]
    body: Body | None
    body_fields: tuple[Param, ...]
    response: Response
    signature: str  # the parameters after `self`
    service_arguments: str  # the server stub's call of the service, from parsed params and body
    path_expression: str  # the URL path as a Python expression
    params_struct: str  # name of the server's struct of path/query/header params, "" if none
    type_var: str = ""  # the client's type variable when the answer differs between profiles

    @property
    def return_annotation(self) -> str:
        """What the client method returns: its type variable, or the one answer type."""
        return self.type_var or self.response.annotation

    @property
    def params(self) -> tuple[Param, ...]:
        return self.path_params + self.query_params + self.header_params


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileInput:
    """What the IR needs of one profile: its normalized document, models and auth way."""

    name: str
    module: str  # the module of its models under `profiles`; "" for doc (`models`)
    title: str
    document: dict[str, Any]
    models: ModelIndex
    source: str
    auth_header: str = "Authorization"
    bearer: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientProfile:
    """One profile as the client sees it: how the token goes, what each answer decodes to."""

    name: str
    module: str  # "" for doc
    title: str
    auth_header: str
    bearer: bool
    responses: tuple[Response, ...]  # one per operation, in the order of Api.operations
    type_arguments: str  # the generic client's type arguments under this profile; "" if none
    default: bool  # the profile a client gets when none is named (doc unless told otherwise)

    @property
    def auth_label(self) -> str:
        token = "Bearer <token>" if self.bearer else "<token>"
        return f"{self.auth_header}: {token}"

    @property
    def literal(self) -> str:
        """The type of `profile=` that picks this profile."""
        return f"Literal[{self.name!r}]"


@dataclass(frozen=True, slots=True, kw_only=True)
class Imports:
    """The names each generated module imports, decided from what its template prints."""

    client_typing: tuple[str, ...]
    client_http: tuple[str, ...]  # from `._http`; `path_segment as _quote` when paths need it
    client_models: tuple[str, ...]
    server_typing: tuple[str, ...]
    server_asgi: tuple[str, ...]  # from `._asgi`
    server_models: tuple[str, ...]
    server_msgspec: bool  # the params structs are msgspec Structs


@dataclass(frozen=True, slots=True, kw_only=True)
class Api:
    title: str
    source: str
    package: str  # the generated package's name; its modules import each other relatively
    default_profile: str  # what `profile=` defaults to
    operations: tuple[Operation, ...]
    model_names: tuple[str, ...]  # every public name the models module defines, re-exported
    exports: tuple[str, ...]  # the package's __all__
    any_multipart: bool
    profiles: tuple[ClientProfile, ...]  # doc first
    type_vars: tuple[str, ...]  # the generic client's type variables, one per varying answer
    any_type_arguments: str  # the type arguments when the profile is only known as a str
    imports: Imports  # what each generated module imports: exactly what it uses

    @property
    def profiled(self) -> bool:
        """Whether there are profiles besides doc (and so a `profiles` subpackage)."""
        return len(self.profiles) > 1

    @property
    def profile_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.profiles)

    @property
    def default_profile_label(self) -> str:
        """How the client's docstring names its default profile."""
        if self.default_profile == DOC:
            return "`doc`, the spec itself"
        return f"`{self.default_profile}`"

    @property
    def profile_modules(self) -> tuple[str, ...]:
        return tuple(sorted(p.module for p in self.profiles if p.module))

    @property
    def generic(self) -> str:
        """The generic base of the client classes and `_Decoders`; "" when not generic."""
        return f"Generic[{', '.join(self.type_vars)}]" if self.type_vars else ""

    @property
    def decoders_type(self) -> str:
        """The type of a client's decoders, in terms of its type variables."""
        return f"_Decoders[{', '.join(self.type_vars)}]" if self.type_vars else "_Decoders"

    @property
    def any_decoders_type(self) -> str:
        """The type of the decoders of any profile (the values of `_PROFILES`)."""
        if not self.type_vars:
            return "_Decoders"
        return f"_Decoders[{', '.join('Any' for _ in self.type_vars)}]"


def build(
    doc: dict[str, Any],
    models: ModelIndex,
    source: str,
    profiles: Sequence[ProfileInput] = (),
    *,
    package: str = DEFAULT_PACKAGE,
    default_profile: str = DOC,
) -> Api:
    """The IR of every operation of a normalized spec, answered as each profile says.

    `profiles` starts with doc (the spec itself, models in `models`); without any, doc
    alone, sending the token as `Authorization: Bearer <token>`. `package` names the
    generated package (in its docstrings and distribution files: its imports are
    relative); `default_profile`, one of the profiles, is what a client gets when none
    is named.
    """
    builder = _Builder(doc, models, source)
    operations = tuple(
        builder.operation(pointer, operation) for pointer, operation in iter_operations(doc)
    )
    builder.raise_problems()
    seen: dict[str, str] = {}
    for op in operations:
        if op.python_name in seen:
            builder.problem(
                "/paths",
                f"operations {seen[op.python_name]!r} and {op.operation_id!r} "
                f"both become the method {op.python_name!r}",
            )
        seen[op.python_name] = op.operation_id
    builder.raise_problems()
    inputs = tuple(profiles) or (
        ProfileInput(
            name=DOC, module="", title="the document", document=doc, models=models, source=source
        ),
    )
    if default_profile not in {profile.name for profile in inputs}:
        raise ValueError(f"the default profile {default_profile!r} is not one of the profiles")
    answers = _profile_responses(doc, operations, inputs)
    type_vars: dict[int, str] = {}
    for index, op in enumerate(operations):
        if len({responses[index].annotation for responses in answers}) > 1:
            type_vars[index] = f"_{pascal(op.operation_id)}T"
    operations = tuple(
        replace(op, type_var=type_vars.get(index, "")) for index, op in enumerate(operations)
    )
    title = doc.get("info", {}).get("title", "")
    profile_list = tuple(
        ClientProfile(
            name=profile.name,
            module=profile.module,
            title=profile.title,
            auth_header=profile.auth_header,
            bearer=profile.bearer,
            responses=responses,
            type_arguments=", ".join(responses[i].annotation for i in type_vars),
            default=profile.name == default_profile,
        )
        for profile, responses in zip(inputs, answers, strict=True)
    )
    any_type_arguments = ", ".join(
        " | ".join(dict.fromkeys(responses[i].annotation for responses in answers))
        for i in type_vars
    )
    return Api(
        title=str(title),
        source=source,
        package=package,
        default_profile=default_profile,
        operations=operations,
        model_names=tuple(sorted(models.names)),
        exports=tuple(sorted(CLIENT_EXPORTS + tuple(models.names))),
        any_multipart=any(op.body is not None and op.body.multipart for op in operations),
        profiles=profile_list,
        type_vars=tuple(type_vars.values()),
        any_type_arguments=any_type_arguments,
        imports=_imports(operations, profile_list, any_type_arguments, models.names),
    )


_IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def _names_in(*texts: str) -> set[str]:
    """The unqualified names an expression or annotation uses (`profiles.x.Task` is not `Task`)."""
    return {name for text in texts for name in _IDENTIFIER.findall(text)}


def _imports(
    operations: tuple[Operation, ...],
    profiles: tuple[ClientProfile, ...],
    any_type_arguments: str,
    model_names: frozenset[str],
) -> Imports:
    """What `client.py` and `server.py` import: what their templates print, nothing else."""
    generic = any(op.type_var for op in operations)
    bodies = [op.body for op in operations if op.body is not None]
    responses = [r for p in profiles for r in p.responses]
    client_texts = [op.signature for op in operations] + [op.return_annotation for op in operations]
    client_texts += [p.type_arguments for p in profiles] + [any_type_arguments]
    client_texts += [r.decoded for r in responses] + [a for r in responses for a in r.error_answers]
    client_names = _names_in(*client_texts)
    client_typing = {"Literal", "Self", "TypeAlias"} | (client_names & {"Any"})
    if generic:
        client_typing |= {"Any", "Generic", "TypeVar", "overload"}
    if any(b.flattened for b in bodies):
        client_typing.add("Any")  # the flattened body is built as a dict[str, Any]
    helpers = {
        "DEFAULT_MAX_RESPONSE_BYTES",
        "Answer",
        "AuthWay",
        "Decoder",
        "auth_headers",
        "bounds",
        "pick_profile",
        "send",
        "send_async",
        "tls_context",
    }
    kinds = {r.kind for r in responses}
    wanted = {
        "ResponseDecoder": "json" in kinds,
        "TextDecoder": "text" in kinds,
        "EmptyDecoder": "empty" in kinds,
        "query": any(op.query_params for op in operations),
        "pairs": any(op.header_params for op in operations)
        or any(b.json or (b.urlencoded and not b.multipart) for b in bodies),
        "json_body": any(b.json for b in bodies),
        "multipart": any(b.multipart and not b.json for b in bodies),
        "path_segment as _quote": any(op.path_params for op in operations),
    }
    helpers |= {name for name, used in wanted.items() if used}
    server_texts = [op.signature for op in operations] + [
        op.response.annotation for op in operations
    ]
    server_texts += [b.model for b in bodies] + [
        p.annotation for op in operations for p in op.params
    ]
    server_names = _names_in(*server_texts)
    params = any(op.params_struct for op in operations)
    asgi = {"DEFAULT_MAX_BODY_BYTES", "Problem"}
    asgi_wanted = {
        "json_response": any(op.response.kind == "json" for op in operations),
        "read_body": bool(bodies),
        "read_params": params,
        "unset_to_none": any(not f.required for op in operations for f in op.body_fields),
    }
    asgi |= {name for name, used in asgi_wanted.items() if used}
    return Imports(
        client_typing=tuple(sorted(client_typing)),
        client_http=tuple(sorted(helpers)),
        client_models=tuple(sorted(client_names & model_names)),
        server_typing=tuple(
            sorted({"Protocol"} | (server_names & {"Any"}) | ({"Any"} if bodies else set()))
        ),
        server_asgi=tuple(sorted(asgi)),
        server_models=tuple(sorted(server_names & model_names)),
        server_msgspec=params,
    )


def _profile_responses(
    doc: dict[str, Any], operations: tuple[Operation, ...], profiles: Sequence[ProfileInput]
) -> list[tuple[Response, ...]]:
    """Each profile's answer to each operation, its models named from the client module."""
    problems: list[SpecProblem] = []
    if profiles[0].name != DOC or profiles[0].module:
        raise ValueError("the first profile must be doc, with its models in the models module")
    found: list[tuple[Response, ...]] = [tuple(op.response for op in operations)]
    for profile in profiles[1:]:
        if not profile.module.isidentifier() or keyword.iskeyword(profile.module):
            message = (
                f"the profile name {profile.name!r} does not make a Python module name "
                f"({profile.module!r})"
            )
            problems.append(SpecProblem(source=profile.source, pointer="", message=message))
            continue
        qualifier = f"profiles.{profile.module}."
        builder = _Builder(profile.document, profile.models, profile.source, qualifier=qualifier)
        by_pointer = dict(iter_operations(profile.document))
        responses = []
        for pointer, _ in iter_operations(doc):
            operation = by_pointer.get(pointer)
            if operation is None:
                builder.problem(pointer, "the profile removes this operation; the client needs it")
                continue
            responses.append(builder.response(pointer, operation))
        problems += builder.problems
        found.append(tuple(responses))
    if problems:
        raise SpecError(problems)
    return found


class _Builder:
    def __init__(
        self, doc: dict[str, Any], models: ModelIndex, source: str, *, qualifier: str = ""
    ) -> None:
        self.doc = doc
        self.models = models
        self.source = source
        self.qualifier = qualifier  # how the client module names this document's models
        self.problems: list[SpecProblem] = []

    def problem(self, pointer: str, message: str) -> None:
        self.problems.append(SpecProblem(source=self.source, pointer=pointer, message=message))

    def raise_problems(self) -> None:
        if self.problems:
            raise SpecError(self.problems)

    def deref(self, node: Any) -> Any:
        return deref(self.doc, node)

    # -- types --------------------------------------------------------------------------

    def annotation(self, schema: Any) -> str:
        """The Python annotation for a schema: a component's class, or the inline type."""
        if not isinstance(schema, dict):
            return "Any"
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref.startswith(SCHEMAS) and "/" not in ref[len(SCHEMAS) :]:
                name = ref[len(SCHEMAS) :]
                if name in self.models.names:
                    return self.qualifier + name
            return self.annotation(self.deref(schema))
        declared = schema.get("type")
        types = list(declared) if isinstance(declared, list) else [declared] if declared else []
        nullable = "null" in types or schema.get("nullable") is True
        types = [t for t in types if t != "null"]
        if len(types) != 1:
            inner = "Any"
        elif types[0] == "array":
            inner = f"list[{self.annotation(schema.get('items'))}]"
        elif types[0] == "object":
            inner = "dict[str, Any]"
        else:
            inner = _PRIMITIVES.get(types[0], "Any")
        return f"{inner} | None" if nullable and inner != "Any" else inner

    def is_array(self, schema: Any) -> bool:
        resolved = self.deref(schema)
        declared = resolved.get("type") if isinstance(resolved, dict) else None
        return declared == "array" or (isinstance(declared, list) and "array" in declared)

    # -- parts of an operation ----------------------------------------------------------

    def operation(self, pointer: str, operation: dict[str, Any]) -> Operation:
        op_id = operation_id(operation, pointer)
        _, path, method = pointer_parts(pointer)
        params = self.parameters(pointer, path, operation)
        body, body_fields = self.body(pointer, operation)
        response = self.response(pointer, operation)
        by_location = {loc: tuple(p for p in params if p.location == loc) for loc in _LOCATIONS}
        arguments = by_location["path"] + body_fields + by_location["query"] + by_location["header"]
        self.check_unique(pointer, arguments, body)
        summary = str(operation.get("summary") or op_id).strip().splitlines()[0]
        description = str(operation.get("description") or "").strip()
        return Operation(
            operation_id=op_id,
            python_name=snake(op_id),
            method=method.upper(),
            path=path,
            summary=summary,
            docstring=summary + ("\n\n" + description if description else ""),
            path_params=by_location["path"],
            query_params=by_location["query"],
            header_params=by_location["header"],
            body=body,
            body_fields=body_fields,
            response=response,
            signature=_signature(by_location["path"], body_fields, body, params),
            service_arguments=_service_arguments(by_location, body, body_fields),
            path_expression=_path_expression(path, by_location["path"]),
            params_struct=f"_{pascal(op_id)}Params" if params else "",
        )

    def check_unique(self, pointer: str, arguments: tuple[Param, ...], body: Body | None) -> None:
        names: dict[str, str] = {}
        if body is not None and not body.flattened:
            names["body"] = "body"
        for argument in arguments:
            if argument.python_name in names:
                self.problem(
                    pointer,
                    f"the {argument.location} parameter {argument.name!r} and the "
                    f"{names[argument.python_name]} parameter both become "
                    f"the argument {argument.python_name!r}",
                )
            names[argument.python_name] = argument.location

    def parameters(self, pointer: str, path: str, operation: dict[str, Any]) -> tuple[Param, ...]:
        path_item = self.doc["paths"][path]
        merged: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        sources = [("/".join(pointer.split("/")[:-1]), path_item), (pointer, operation)]
        for base, holder in sources:
            for index, raw in enumerate(holder.get("parameters") or ()):
                param = self.deref(raw)
                where = pointer_join(base, "parameters", index)
                if isinstance(param, dict):
                    merged[(str(param.get("in")), str(param.get("name")))] = (where, param)
        found: list[Param] = []
        for (location, name), (where, param) in sorted(merged.items()):
            if location not in _LOCATIONS:
                self.problem(
                    pointer_join(where, "in"),
                    f"unsupported parameter location {location!r} (expected path, query or header)",
                )
                continue
            if "schema" not in param:
                self.problem(where, "parameter has no 'schema' (a 'content' map is not supported)")
                continue
            if location == "header" and name.lower() in ("authorization", "content-type"):
                continue  # the client sets these itself
            required = location == "path" or param.get("required") is True
            annotation = self.annotation(param["schema"])
            found.append(
                Param(
                    name=name,
                    python_name=snake(name),
                    location=location,
                    annotation=annotation if required else _optional(annotation),
                    required=required,
                    is_array=self.is_array(param["schema"]),
                    attribute=snake(name),
                    default="" if required else "None",
                )
            )
        order = {"path": 0, "query": 1, "header": 2}
        path_order = {name: i for i, name in enumerate(_path_names(path))}
        found.sort(key=lambda p: (order[p.location], path_order.get(p.name, 0), not p.required))
        for name in _path_names(path):
            if not any(p.location == "path" and p.name == name for p in found):
                self.problem(pointer, f"path template variable {{{name}}} has no path parameter")
        return tuple(found)

    def body(
        self, pointer: str, operation: dict[str, Any]
    ) -> tuple[Body | None, tuple[Param, ...]]:
        raw = operation.get("requestBody")
        if raw is None:
            return None, ()
        body = self.deref(raw)
        where = pointer_join(pointer, "requestBody")
        content: dict[str, Any] = body.get("content") or {}
        media = {_media_kind(m): m for m in content if _media_kind(m)}
        if not media:
            self.problem(
                pointer_join(where, "content"),
                f"unsupported request media types {sorted(content)} (expected "
                f"{JSON_MEDIA}, {MULTIPART} or {URLENCODED})",
            )
            return None, ()
        first = media.get("json") or media.get("multipart") or media["urlencoded"]
        schema = content[first].get("schema", {})
        resolved = self.deref(schema)
        model = self.annotation(schema)
        flattened = isinstance(resolved, dict) and isinstance(resolved.get("properties"), dict)
        fields: list[Param] = []
        if flattened and model in self.models.names:
            required_names = set(resolved.get("required") or ())
            for name, prop in resolved["properties"].items():
                required = name in required_names
                annotation = self.annotation(prop)
                fields.append(
                    Param(
                        name=name,
                        python_name=snake(name),
                        location="body",
                        annotation=annotation if required else _optional(annotation),
                        required=required,
                        is_array=self.is_array(prop),
                        attribute=self.models.attribute(model, name),
                        default="" if required else "None",
                    )
                )
            fields.sort(key=lambda p: not p.required)
        else:
            flattened = False
        return (
            Body(
                model=model,
                required=body.get("required") is True,
                json="json" in media,
                multipart="multipart" in media,
                urlencoded="urlencoded" in media,
                flattened=flattened,
                content_type=first,
            ),
            tuple(fields),
        )

    def response(self, pointer: str, operation: dict[str, Any]) -> Response:
        responses: dict[str, Any] = {
            str(k): v for k, v in (operation.get("responses") or {}).items()
        }
        success = sorted(code for code in responses if code.startswith("2"))
        if not success:
            self.problem(
                pointer_join(pointer, "responses"),
                f"no success response: expected a 2xx status, found {sorted(responses) or 'none'}",
            )
            return Response(status="200", kind="empty", annotation="None", is_array=False)
        status = success[0]
        response = self.deref(responses[status]) or {}
        content: dict[str, Any] = response.get("content") or {}
        json_media = [m for m in content if _media_kind(m) == "json"]
        if json_media:
            schema = content[json_media[0]].get("schema", {})
            where = pointer_join(pointer, "responses", status, "content", json_media[0], "schema")
            answers, errors = self.error_answers(schema, where)
            if not errors:
                return Response(
                    status=status,
                    kind="json",
                    annotation=self.annotation(schema),
                    is_array=self.is_array(schema),
                )
            annotation = " | ".join(dict.fromkeys(self.annotation(s) for s in answers))
            error_answers = tuple(dict.fromkeys(self.annotation(s) for s in errors))
            return Response(
                status=status,
                kind="json",
                annotation=annotation,
                is_array=all(self.is_array(s) for s in answers),
                decode_type=" | ".join((annotation, *error_answers)),
                error_answers=error_answers,
            )
        if content:
            return Response(status=status, kind="text", annotation="str", is_array=False)
        return Response(status=status, kind="empty", annotation="None", is_array=False)

    def error_answers(self, schema: Any, pointer: str) -> tuple[list[Any], list[Any]]:
        """The branches of a oneOf or anyOf answer that are answers, and those that are errors.

        A branch whose schema says `x-mjspec-error-answer: true` is an error sent with a 2xx
        status (the C# fork's `{"success": false, ...}`): the client raises it as a
        StatusError instead of returning it, so it must be a model class.
        """
        resolved = self.deref(schema)
        branches = None
        if isinstance(resolved, dict) and "properties" not in resolved:
            branches = resolved.get("oneOf") or resolved.get("anyOf")
        if not isinstance(branches, list):
            return [schema], []
        answers: list[Any] = []
        errors: list[Any] = []
        for branch in branches:
            target = self.deref(branch)
            marked = isinstance(target, dict) and target.get(ERROR_ANSWER) is True
            (errors if marked else answers).append(branch)
        if not errors:
            return [schema], []
        for branch in errors:
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            name = ref[len(SCHEMAS) :] if isinstance(ref, str) and ref.startswith(SCHEMAS) else ""
            if name not in self.models.attributes:
                self.problem(
                    pointer,
                    f"an error answer ({ERROR_ANSWER}) must be a $ref to an object schema, "
                    f"found {branch!r}",
                )
        if not answers:
            self.problem(pointer, f"every branch is an error answer ({ERROR_ANSWER})")
            return [schema], []
        return answers, errors


_LOCATIONS = ("path", "query", "header")


def _media_kind(media: str) -> str:
    base = media.split(";")[0].strip().lower()
    if base == JSON_MEDIA or base.endswith("+json"):
        return "json"
    if base == MULTIPART:
        return "multipart"
    if base == URLENCODED:
        return "urlencoded"
    return ""


def _optional(annotation: str) -> str:
    return (
        annotation
        if annotation == "Any" or annotation.endswith("| None")
        else f"{annotation} | None"
    )


def _path_names(path: str) -> list[str]:
    names: list[str] = []
    for chunk in path.split("{")[1:]:
        names.append(chunk.split("}")[0])
    return names


def _signature(
    path_params: tuple[Param, ...],
    body_fields: tuple[Param, ...],
    body: Body | None,
    params: tuple[Param, ...],
) -> str:
    positional = [*path_params]
    parts = [f"{p.python_name}: {p.annotation}" for p in positional]
    if body is not None and not body.flattened:
        body_annotation = body.model if body.required else _optional(body.model)
        parts.append(f"body: {body_annotation}" + ("" if body.required else " = None"))
    for field in body_fields:
        parts.append(
            f"{field.python_name}: {field.annotation}" + (" = None" if field.default else "")
        )
    keyword_only = [p for p in params if p.location != "path"]
    if keyword_only:
        parts.append("*")
        for p in keyword_only:
            parts.append(f"{p.python_name}: {p.annotation}" + (" = None" if p.default else ""))
    return ", ".join(parts)


def _path_expression(path: str, path_params: tuple[Param, ...]) -> str:
    if not path_params:
        return repr(path)
    text = path.replace("{", "{{").replace("}", "}}")
    for p in path_params:
        text = text.replace("{{" + p.name + "}}", "{_quote(" + p.python_name + ")}")
    return "f" + repr(text)


def _service_arguments(
    by_location: dict[str, tuple[Param, ...]], body: Body | None, body_fields: tuple[Param, ...]
) -> str:
    arguments = [f"{p.python_name}=params.{p.attribute}" for p in by_location["path"]]
    if body is not None and not body.flattened:
        arguments.append("body=body")
    for field in body_fields:
        value = f"body.{field.attribute}"
        arguments.append(
            f"{field.python_name}={value if field.required else f'unset_to_none({value})'}"
        )
    for location in ("query", "header"):
        arguments.extend(f"{p.python_name}=params.{p.attribute}" for p in by_location[location])
    return ", ".join(arguments)
