"""Type aliases for the schemathesis objects the conformance kit handles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from schemathesis import APIOperation, Case

    Operation: TypeAlias = APIOperation[Any, Any, Any, Any]
    AnyCase: TypeAlias = Case[Any]
