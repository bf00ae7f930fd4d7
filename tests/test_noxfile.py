"""The noxfile keeps the token out of the commands nox prints."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import noxfile


@pytest.mark.parametrize(
    "arguments",
    [
        ["--base-url", "http://x", "--token", "sk-1", "--task-id", "7"],
        ["--token=sk-1", "--base-url", "http://x", "--task-id", "7"],
    ],
)
def test_the_conformance_session_hands_the_token_over_in_the_environment(
    arguments: list[str],
) -> None:
    kept, token = noxfile.without_token(arguments)
    assert token == "sk-1"
    assert kept == ["--base-url", "http://x", "--task-id", "7"]
    assert not any("sk-1" in argument for argument in kept)


def test_without_a_token_the_arguments_pass_unchanged() -> None:
    assert noxfile.without_token(["--seed", "1"]) == (["--seed", "1"], None)
