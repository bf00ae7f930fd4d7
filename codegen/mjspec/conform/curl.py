"""Reproductions: the exact request that was sent, as a curl command that runs as printed.

Rendered from the prepared request itself (method, URL, Content-Type and body bytes as
they went on the wire), so a multipart body keeps its boundary and a body that is not
text keeps every byte. The credential is never written: its header reads
`"$MJSPEC_TOKEN"` (double-quoted, so the shell expands it), and the line runs as is once
the variable is set. A body a shell argument cannot carry (a NUL byte, invalid UTF-8,
control characters) is piped in through `printf` with octal escapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mjspec.masking import TOKEN_ENV

TOKEN_VARIABLE = f"${TOKEN_ENV}"
_KEPT_HEADERS = ("content-type",)
_PRINTABLE_ASCII = frozenset(range(0x20, 0x7F))


def _quote(text: str) -> str:
    """Single-quoted for a POSIX shell."""
    return "'" + text.replace("'", "'\\''") + "'"


def _is_text(body: bytes) -> bool:
    if b"\x00" in body:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ord(c) >= 0x20 or c in "\n\t" for c in text)


def _printf_format(body: bytes) -> str:
    """A printf format that prints exactly `body`: octal escapes for all but plain ASCII."""
    parts = []
    for byte in body:
        if byte == ord("\\"):
            parts.append("\\\\")
        elif byte == ord("%"):
            parts.append("%%")
        elif byte in _PRINTABLE_ASCII:
            parts.append(chr(byte))
        else:
            parts.append(f"\\{byte:03o}")
    return "".join(parts)


def render(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | str | None,
    *,
    credentials: Iterable[tuple[str, str]] = (),
) -> str:
    """A curl command; `credentials` are (header, value naming the token by its variable)."""
    parts = ["curl", "-X", method, _quote(url)]
    for name, value in headers.items():
        if name.lower() in _KEPT_HEADERS:
            parts += ["-H", _quote(f"{name}: {value}")]
    for name, value in credentials:
        parts += ["-H", f'"{name}: {value}"']
    if body is None or body == b"" or body == "":
        return " ".join(parts)
    data = body.encode("utf-8") if isinstance(body, str) else body
    if _is_text(data):
        return " ".join([*parts, "--data-binary", _quote(data.decode("utf-8"))])
    return f"printf {_quote(_printf_format(data))} | " + " ".join([*parts, "--data-binary", "@-"])
