"""`mjspec profiles`: every profile, where it comes from, how it sends the key, its diff."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest

from mjspec.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "spec" / "openapi.yaml"


def _blocks(text: str) -> dict[str, str]:
    return {block.split(":", 1)[0]: block for block in text.strip().split("\n\n")}


@pytest.fixture(scope="module")
def printed() -> dict[str, str]:
    """What `mjspec profiles` prints from the repository root, one block per profile.

    Run once for the module's tests that only read it.
    """
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        patch.chdir(ROOT)
        code = main(["profiles"])
    assert code == 0, out.getvalue()
    return _blocks(out.getvalue())


def test_every_profile_is_listed_doc_first(printed: dict[str, str]) -> None:
    assert list(printed) == ["doc", "midjourney-proxy-csharp", "midjourney-proxy-java", "new-api"]


def test_each_profile_says_its_title_source_auth_and_bodies(printed: dict[str, str]) -> None:
    java = printed["midjourney-proxy-java"]
    assert java.startswith("midjourney-proxy-java: midjourney-proxy (Java)\n")
    assert "  source: spec/profiles/midjourney-proxy-java.yaml\n" in java
    assert "  auth (optional): mj-api-secret (raw)\n" in java
    assert "  request bodies: application/json\n" in java
    doc = printed["doc"]
    assert "  source: spec/openapi.yaml\n" in doc
    assert "  auth (optional): Authorization: Bearer\n" in doc
    assert "  request bodies: application/json, multipart/form-data\n" in doc
    assert (
        "  auth (optional): Authorization (raw), Mj-Api-Secret (raw)\n"
        in printed["midjourney-proxy-csharp"]
    )


def test_each_profile_lists_how_it_differs_from_doc(printed: dict[str, str]) -> None:
    assert "differences from doc: none" in printed["doc"]
    new_api = printed["new-api"]
    assert "    ~ buttons: required array -> required array | null\n" in new_api
    assert "    + videoUrl: optional string\n" in new_api
    assert "    ~ buttons: required array -> optional array\n" in printed["midjourney-proxy-java"]
    csharp = printed["midjourney-proxy-csharp"]
    assert "  errors answered with a 2xx status: CsharpResult\n" in csharp
    assert "    ~ imageUrl: required string -> required null | string" in csharp


def test_a_bad_overlay_is_a_one_line_error_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(SPEC_PATH, tmp_path / "openapi.yaml")
    (tmp_path / "profiles").mkdir()
    overlay = tmp_path / "profiles" / "odd.yaml"
    overlay.write_text("overlay: 1.0.0\ninfo: {title: odd}\nactions: []\n")
    assert main(["profiles", "--spec", str(tmp_path / "openapi.yaml")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"mjspec: error: {overlay.as_posix()}#/actions: expected a non-empty array of actions\n"
    )


def test_a_spec_without_profiles_lists_doc_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(SPEC_PATH, tmp_path / "openapi.yaml")
    assert main(["profiles", "--spec", str(tmp_path / "openapi.yaml")]) == 0
    assert list(_blocks(capsys.readouterr().out)) == ["doc"]


def test_outside_a_checkout_the_profiles_shipped_with_mjapi_are_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["profiles"]) == 0
    blocks = _blocks(capsys.readouterr().out)
    assert list(blocks) == ["doc", "midjourney-proxy-csharp", "midjourney-proxy-java", "new-api"]
    assert "mjapi/profiles/new-api.json" in blocks["new-api"]
    assert "~ answer 401: an empty body" in blocks["midjourney-proxy-java"]
