"""The token never appears in output: one way of masking it, for every command."""

from __future__ import annotations

from typing import Any

MASK = "***"
TOKEN_ENV = "MJSPEC_TOKEN"
"""The environment variable every command and the pytest suite read the token from."""


def token_problem(token: str | None) -> str:
    """Why `token` cannot go in an HTTP header ("" when it can), in words that do not show it.

    An HTTP library refusing such a header value quotes it in its error; the token is
    checked before any request instead, by every command that sends one.
    """
    if token and not (token.isascii() and token.isprintable() and token == token.strip()):
        return (
            "the token cannot be sent in an HTTP header: it holds a control or non-ASCII "
            "character, or starts or ends with whitespace (it is not shown)"
        )
    return ""


class Masker:
    """Replaces the token in any text or JSON value (keys included, however deep) by `***`,
    as written and as a repr would escape it."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret or None
        escaped = repr(secret)[1:-1] if secret else ""
        self._escaped = escaped if escaped != secret else None

    def text(self, text: str) -> str:
        if not self._secret:
            return text
        text = text.replace(self._secret, MASK)
        return text.replace(self._escaped, MASK) if self._escaped else text

    def value(self, value: Any) -> Any:
        if not self._secret:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        return value
