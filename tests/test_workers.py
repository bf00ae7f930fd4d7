"""The slow tools in worker processes: the same results as in this process, or a fallback.

`mjspec generate` runs datamodel-code-generator in a worker (`modelgen.Models`) that
imports it while the spec is read and validated here; `mjspec.worker.Worker` is the
process behind it and behind `mjspec.validation`. That the command's worker renders
generated/ byte for byte, in a fresh interpreter, is test_generate_cache's miss.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import pytest

from mjspec import cli
from mjspec.cli import main
from mjspec.errors import GenerateError
from mjspec.generate.modelgen import Models, generate_models
from mjspec.generate.pipeline import model_jobs
from mjspec.worker import Worker
from tests.helpers_conform import checkout_profiles
from tests.helpers_http import wait_until

JOBS = [(job.document, job.header) for job in model_jobs(checkout_profiles(), "spec/openapi.yaml")]
# A schema datamodel-code-generator refuses: a model that inherits from itself.
BROKEN = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {},
    "components": {"schemas": {"A": {"allOf": [{"$ref": "#/components/schemas/A"}]}}},
}


@pytest.fixture(scope="module")
def made_here() -> list[str]:
    return [generate_models(document, header) for document, header in JOBS]


@pytest.mark.parametrize("executable", ["/nonexistent/python", "/bin/false"])
def test_a_models_worker_that_cannot_start_or_answer_leaves_the_work_to_this_process(
    executable: str, monkeypatch: pytest.MonkeyPatch, made_here: list[str]
) -> None:
    monkeypatch.setattr(sys, "executable", executable)
    with Models(worker=True) as models:
        models.submit(JOBS)
        assert models.results() == made_here
        assert not models.answered_by_worker


def _error(worker: bool) -> str:
    with Models(worker=worker) as models, pytest.raises(GenerateError) as caught:
        models.submit([(BROKEN, "# header\n")])
        models.results()
    return str(caught.value)


def test_the_generators_error_reads_the_same_from_the_worker() -> None:
    here = _error(worker=False)
    assert here.startswith("datamodel-code-generator failed: Generated model inheritance cycle")
    assert _error(worker=True) == here


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("no/such.yaml", "no/such.yaml#: no such file"),
        ("a" * 300, "#: cannot read the file: [Errno 36] File name too long"),
    ],
    ids=["missing", "a name too long"],
)
def test_the_command_starts_no_models_worker_for_a_spec_that_is_not_a_file(
    spec: str,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The commonest mistake (a wrong --spec) is one line at once: no worker is started to
    import the generator for nothing, and a path the system refuses to look at is the same
    one line as before."""
    asked: list[bool | None] = []

    def recording(worker: bool | None = None) -> Models:
        asked.append(worker)
        return Models(worker=False)

    monkeypatch.setattr("mjspec.generate.modelgen.Models", recording)
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--spec", spec, "--output", "out"]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1 and "Traceback" not in err
    assert asked == [False]
    assert not (tmp_path / "out").exists()


def _worker_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, code: str) -> str:
    (tmp_path / f"{name}.py").write_text(code, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return name


def test_a_worker_that_hangs_is_stopped_and_gives_no_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = tmp_path / "started"
    code = f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(120)\n"
    module = _worker_module(tmp_path, monkeypatch, "hangs", code)
    with Worker(module) as worker:
        assert worker.send({"any": "request"})
        assert wait_until(started.exists, timeout=30)  # it runs, into its sleep
        assert worker.answer(timeout=0.5) is None
        # stopped: its two minutes of sleep were not waited for (a kill is at once)
        assert wait_until(lambda: worker.ended, timeout=10)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import sys, json\nsys.stdout.write(json.dumps(json.load(sys.stdin)))\n", {"a": [1]}),
        ("print('not json')\n", None),
        ("import sys\nsys.exit(3)\n", None),
    ],
    ids=["echo", "not JSON", "exit 3"],
)
def test_only_a_clean_json_answer_counts(
    code: str, expected: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _worker_module(tmp_path, monkeypatch, "answers", code)
    with Worker(module) as worker:
        assert worker.send({"a": [1]})
        assert worker.answer(timeout=60) == expected


def test_a_request_json_cannot_carry_is_not_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _worker_module(tmp_path, monkeypatch, "idle", "import sys\nsys.stdin.read()\n")
    with Worker(module) as worker:
        assert worker.started
        assert not worker.send({"when": object()})
        assert worker.answer(timeout=1) is None


def test_a_command_other_than_generate_collects_garbage_less_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`entry` (the installed command) sets `few_collections`' thresholds before `main`
    runs. (`generate` turns collection off and ends without the interpreter's teardown: a
    subprocess would be needed to see it, and `test_generate_cache` runs its process.)"""
    seen: list[tuple[int, ...]] = []

    def main(argv: list[str]) -> int:
        seen.append(gc.get_threshold())
        return 0

    monkeypatch.setattr(cli, "main", main)
    monkeypatch.setattr(sys, "argv", ["mjspec", "conform"])
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's default (the tests' own are the command's)
    try:
        with pytest.raises(SystemExit) as ended:
            cli.entry()
    finally:
        gc.set_threshold(*before)
    assert ended.value.code == 0
    assert seen == [(20_000, 20, 100)]
