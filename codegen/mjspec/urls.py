"""Base URLs given on the command line (`conform`, `record`): checked once, shown safely."""

from __future__ import annotations

import re
import urllib.parse

from mjspec.masking import MASK


def base_url_problem(base_url: str) -> str:
    """Why `--base-url` cannot be used, as one line ("" when it can).

    The operation's path is appended to it, so a query string or a fragment would end up in
    the middle of the request's URL; credentials in it would be printed with every message.
    """
    try:
        parts = urllib.parse.urlsplit(base_url)
        parts.port  # noqa: B018 (urlsplit checks the port only when it is asked for)
    except ValueError as exc:
        return f"--base-url {shown(base_url)!r} is not a URL: {exc}"
    problem = ""
    if parts.scheme.lower() not in ("http", "https"):
        problem = "it must start with http:// or https://"
    elif not parts.hostname:
        problem = "it names no host"
    elif "?" in base_url:
        problem = "it has a query string (the operation's path is appended to the URL)"
    elif "#" in base_url:
        problem = "it has a fragment (#...)"
    elif parts.username is not None or parts.password is not None:
        problem = "it carries credentials (user:password@); send the key with --token"
    return f"--base-url {shown(base_url)!r} cannot be used: {problem}" if problem else ""


def shown(base_url: str) -> str:
    """`base_url` without what may hold a key: a password, a query string, a fragment."""
    masked = re.sub(r"^([^/]*//[^/@]*?:)[^/@]*@", rf"\g<1>{MASK}@", base_url)
    cut = min((i for i in (masked.find("?"), masked.find("#")) if i >= 0), default=-1)
    return masked[: cut + 1] + "..." if cut >= 0 else masked
