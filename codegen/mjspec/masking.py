"""The token never appears in output: one way of masking it, for every command."""

from __future__ import annotations

from typing import Any

MASK = "***"


class Masker:
    """Replaces the token in any text or JSON value (keys included, however deep) by `***`."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret or None

    def text(self, text: str) -> str:
        return text.replace(self._secret, MASK) if self._secret else text

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
