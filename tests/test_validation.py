"""openapi-spec-validator in a second process: the same verdict as in this one, or a fallback."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import mjspec.validation
from mjspec.cli import main
from mjspec.errors import SpecError
from mjspec.generate import render_spec
from mjspec.profiles import load_profiles
from mjspec.spec import ByContent, check_spec, default_spec_path, load_spec
from mjspec.validation import Validation, validator_problems

ROOT = Path(__file__).resolve().parent.parent
SPEC = load_spec(ROOT / "spec" / "openapi.yaml", validate=False)  # test_spec validates it


def _invalid() -> dict[str, Any]:
    """Wrong only where openapi-spec-validator looks (our own checks pass it)."""
    doc = copy.deepcopy(SPEC)
    del doc["info"]["title"]
    doc["info"]["termsOfService"] = 5
    return doc


def test_our_own_checks_leave_the_invalid_document_to_the_validator() -> None:
    assert check_spec(_invalid(), "x.yaml", validate=False) == []
    assert [p.pointer for p in check_spec(_invalid(), "x.yaml")] == [
        "/info",
        "/info/termsOfService",
    ]


def test_the_worker_gives_the_validators_verdict_for_the_first_invalid_document() -> None:
    # good.yaml first: had the worker found anything in a valid document, it would be named
    version = copy.deepcopy(SPEC)
    version["info"]["version"] = 3
    documents = [("good.yaml", SPEC), ("bad.yaml", _invalid()), ("version.yaml", version)]
    validation = Validation(documents, worker=True)
    found = validation.problems()
    assert validation.answered_by_worker
    assert found == validator_problems(_invalid(), "bad.yaml")
    assert [p.pointer for p in found] == ["/info", "/info/termsOfService"]


def test_a_document_json_would_change_is_validated_here_with_the_same_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = _invalid()
    doc["x-dated"] = {1: "an integer key, which JSON would turn into a string"}
    started: list[object] = []
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(a))
    found = Validation([("bad.yaml", doc)], worker=True).problems()
    assert started == []  # no worker: it would have seen another document
    assert [p.pointer for p in found] == ["/info", "/info/termsOfService"]


@pytest.mark.parametrize("executable", ["/nonexistent/python", "/bin/false"])
def test_a_worker_that_cannot_start_or_answer_falls_back_to_this_process(
    executable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", executable)
    validation = Validation([("bad.yaml", _invalid())], worker=True)
    found = validation.problems()
    assert not validation.answered_by_worker
    assert [p.pointer for p in found] == ["/info", "/info/termsOfService"]


def test_a_process_that_already_imported_the_validator_validates_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openapi_spec_validator  # noqa: F401  (imported: its cost is already paid)

    started: list[object] = []
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(a))
    validation = Validation([("bad.yaml", _invalid())])
    assert [p.pointer for p in validation.problems()] == ["/info", "/info/termsOfService"]
    assert started == []
    assert not validation.answered_by_worker


def test_generate_reports_the_validators_problems_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(_invalid(), allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["generate", "--spec", str(spec), "--output", str(out)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f'mjspec: error: {spec.as_posix()}#/info: "title" is a required property',
        f'{spec.as_posix()}#/info/termsOfService: 5 is not of type "string"',
    ]
    assert not out.exists()


def test_an_overlay_that_breaks_the_document_is_named_as_applied_to_the_spec(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(SPEC, allow_unicode=True), encoding="utf-8")
    (tmp_path / "profiles").mkdir()
    overlay = {
        "overlay": "1.0.0",
        "info": {"title": "breaks info", "version": "1"},
        "actions": [{"target": "$.info", "update": {"termsOfService": 5}}],
    }
    broken = tmp_path / "profiles" / "broken.yaml"
    broken.write_text(yaml.safe_dump(overlay), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        render_spec(spec, "openapi.yaml")
    [problem] = caught.value.problems
    assert problem.source == f"{broken.as_posix()} applied to the spec"
    assert problem.pointer == "/info/termsOfService"


def test_the_validators_verdict_is_kept_per_content_and_a_changed_document_is_validated_anew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validated = _counting_validations(monkeypatch)
    monkeypatch.setattr(mjspec.validation, "_VERDICTS", ByContent())  # this process only
    doc = _invalid()
    first = validator_problems(doc, "a.yaml")
    again = validator_problems(copy.deepcopy(doc), "b.yaml")  # equal content, another source
    assert validated == ["5"]
    assert [(p.source, p.pointer, p.message) for p in again] == [
        ("b.yaml", p.pointer, p.message) for p in first
    ]
    doc["info"]["termsOfService"] = 6  # still wrong, but not the same document
    assert [p.pointer for p in validator_problems(doc, "a.yaml")] == [
        "/info",
        "/info/termsOfService",
    ]
    doc["info"] = {"title": "t", "version": "1"}
    assert validator_problems(doc, "a.yaml") == []
    assert validated == ["5", "6", "None"]


def _counting_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each validation that runs from here on, named by the document's termsOfService."""
    validated: list[str] = []
    real = mjspec.validation._validate

    def counting(doc: dict[str, Any]) -> list[tuple[str, str]]:
        validated.append(str(doc["info"].get("termsOfService")))
        return real(doc)

    monkeypatch.setattr(mjspec.validation, "_validate", counting)
    return validated


def _a_new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the next process starts with: no verdict of its own, the disk's."""
    on_disk = ByContent(beyond=mjspec.validation._OnDisk())
    monkeypatch.setattr(mjspec.validation, "_VERDICTS", on_disk)


def test_a_verdict_is_kept_on_disk_for_the_next_process_and_a_damaged_one_is_found_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MJSPEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MJSPEC_NO_CACHE", raising=False)
    validated = _counting_validations(monkeypatch)
    _a_new_process(monkeypatch)
    first = validator_problems(_invalid(), "a.yaml")
    assert validated == ["5"]
    (entry,) = (tmp_path / "cache" / "verdicts").glob("*.json")
    _a_new_process(monkeypatch)
    assert validator_problems(_invalid(), "a.yaml") == first
    # nor does a process without the validator start a worker for a kept verdict
    _a_new_process(monkeypatch)
    monkeypatch.delitem(sys.modules, "openapi_spec_validator", raising=False)
    started: list[object] = []
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(a))
    validation = Validation([("a.yaml", _invalid())])
    assert validation.problems() == first
    assert started == [] and not validation.answered_by_worker
    assert validated == ["5"]  # none of them ran the validator
    # a damaged entry is not believed: the document is validated again, with its verdict
    entry.write_text(entry.read_text("utf-8").replace("termsOfService", "termsOfSorrow"))
    _a_new_process(monkeypatch)
    assert validator_problems(_invalid(), "a.yaml") == first
    assert validated == ["5", "5"]
    # another document, or the same under other tool versions, is another entry
    valid = copy.deepcopy(SPEC)
    assert validator_problems(valid, "v.yaml") == []
    monkeypatch.setattr(mjspec.validation, "_code_key", lambda: b"openapi-spec-validator 99")
    _a_new_process(monkeypatch)
    assert validator_problems(_invalid(), "a.yaml") == first
    assert validated == ["5", "5", "None", "5"]
    assert len(list((tmp_path / "cache" / "verdicts").glob("*.json"))) == 3


def test_without_the_disk_cache_every_process_validates_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MJSPEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MJSPEC_NO_CACHE", "1")
    validated = _counting_validations(monkeypatch)
    for _ in range(2):
        _a_new_process(monkeypatch)
        assert [p.pointer for p in validator_problems(_invalid(), "a.yaml")] == [
            "/info",
            "/info/termsOfService",
        ]
    assert validated == ["5", "5"]
    assert not (tmp_path / "cache").exists()


def test_a_command_on_kept_verdicts_imports_no_validator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mjspec profiles` in a fresh interpreter, once another process has validated the
    package's documents: it lists them without importing openapi-spec-validator."""
    monkeypatch.setenv("MJSPEC_CACHE_DIR", str(tmp_path / "cache"))  # here and the child's
    monkeypatch.delenv("MJSPEC_NO_CACHE", raising=False)
    _a_new_process(monkeypatch)
    load_profiles(default_spec_path())  # validates, and keeps the verdicts
    script = (
        "import sys\nfrom mjspec.cli import main\ncode = main(['profiles'])\n"
        "print(code, 'openapi_spec_validator' in sys.modules, file=sys.stderr)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert ran.stderr.splitlines()[-1] == "0 False", ran.stderr
    assert "midjourney-proxy-java" in ran.stdout


def test_a_verdict_naming_a_lone_surrogate_is_kept_and_read_back_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path such as `/\\ud800` passes our own checks; the validator's finding in it
    must survive the disk (JSON in UTF-8 cannot hold it unescaped)."""
    monkeypatch.setenv("MJSPEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MJSPEC_NO_CACHE", raising=False)
    verdict = [("/paths/\ud800", "'get' is not valid under any of the given schemas")]
    mjspec.validation._OnDisk().store(b"digest", verdict)
    assert mjspec.validation._OnDisk().load(b"digest") == verdict
    assert mjspec.validation._OnDisk().load(b"another digest") is None
