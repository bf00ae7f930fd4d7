"""The render cache: a hit gives the files a miss gives, and never hides drift."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mjspec.cli import main
from mjspec.generate import cache, generate
from mjspec.generate.write import entries, read_entries, read_tree

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Miss:
    """A cold `mjspec generate` of a copy of spec/, in a fresh interpreter: its files and
    output, the cache it left, and the modules it had loaded at the end."""

    files: dict[str, str]
    output: Path
    entries: dict[str, bytes]  # file name -> bytes, in the cache directory
    modules: set[str]


_GENERATE = """
import json, sys
from mjspec.cli import main

assert main(["generate", "--spec", sys.argv[1], "--output", sys.argv[2]]) == 0
print(json.dumps(sorted(sys.modules)))
"""


def _generate_in_a_fresh_interpreter(workdir: Path, output: Path, cache_dir: Path) -> set[str]:
    """`mjspec generate` of workdir/spec/openapi.yaml; the modules loaded at the end."""
    env = {**os.environ, "MJSPEC_CACHE_DIR": str(cache_dir)}
    env.pop("MJSPEC_NO_CACHE", None)
    result = subprocess.run(
        [sys.executable, "-c", _GENERATE, "spec/openapi.yaml", str(output)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.fixture(scope="module")
def miss(tmp_path_factory: pytest.TempPathFactory) -> Miss:
    """The one real render of the module: generate with an empty cache."""
    base = tmp_path_factory.mktemp("miss")
    shutil.copytree(ROOT / "spec", base / "spec")
    modules = _generate_in_a_fresh_interpreter(base, base / "out", base / "cache")
    entries = {path.name: path.read_bytes() for path in (base / "cache" / "renders").iterdir()}
    (entry,) = [data for name, data in entries.items() if name.endswith(".json")]
    files: dict[str, str] = json.loads(entry.partition(b"\n")[2])  # under its header line
    return Miss(files=files, output=base / "out", entries=entries, modules=modules)


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the spec and its overlays; the cache in a folder of the test's own."""
    monkeypatch.setenv("MJSPEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MJSPEC_NO_CACHE", raising=False)
    shutil.copytree(ROOT / "spec", tmp_path / "spec")
    monkeypatch.chdir(tmp_path)
    return Path("spec/openapi.yaml")


def _warm(tmp_path: Path, miss: Miss) -> Path:
    """The test's cache holds what the miss left; its entry's path."""
    (tmp_path / "cache" / "renders").mkdir(parents=True)
    for name, data in miss.entries.items():
        (tmp_path / "cache" / "renders" / name).write_bytes(data)
    (entry,) = (tmp_path / "cache" / "renders").glob("*.json")
    return entry


def _renders(monkeypatch: pytest.MonkeyPatch, files: dict[str, str] | None = None) -> list[int]:
    """Count the renders from now on; with `files`, a render gives a copy of them (the real
    render of the same spec, kept by the miss) instead of rendering again."""
    from mjspec.generate import pipeline as module

    calls: list[int] = []
    real = module.render_spec

    def counting(spec_path: Path, source: str, **options: Any) -> dict[str, str]:
        calls.append(1)
        return dict(files) if files is not None else real(spec_path, source, **options)

    monkeypatch.setattr(module, "render_spec", counting)
    return calls


def test_a_hit_gives_the_bytes_of_a_miss_without_rendering(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, miss: Miss
) -> None:
    assert [name for name in miss.entries if name.endswith(".json")] != []
    assert len(miss.entries) == 1, "a miss stores one entry"
    _warm(tmp_path, miss)
    renders = _renders(monkeypatch)
    hit = generate(spec, tmp_path / "two", check=False)
    assert renders == []
    assert hit.files == miss.files
    assert read_tree(tmp_path / "two") == read_tree(miss.output)
    # and the committed output, file for file, is what the cold command rendered with its
    # models worker (`test_generate_does_not_import_the_kit...`) and the cache gives
    assert read_tree(miss.output) == read_entries(ROOT / "generated", entries(miss.files))


def test_the_key_changes_with_the_spec_an_overlay_a_template_or_a_module(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "mjspec"
    shutil.copytree(Path(cache.__file__).parents[1], package)
    monkeypatch.setattr(cache, "_PACKAGE_DIR", package)
    monkeypatch.setattr(cache, "_GENERATE_DIR", package / "generate")
    keys = [cache.key(spec, "spec/openapi.yaml")]
    edits = [
        spec,
        spec.parent / "profiles" / "new-api.yaml",
        package / "generate" / "templates" / "client.py.jinja",
        package / "generate" / "render.py",
        package / "profiles.py",
    ]
    for path in edits:
        path.write_bytes(path.read_bytes() + b"\n")
        keys.append(cache.key(spec, "spec/openapi.yaml"))
    (spec.parent / "profiles" / "another.yaml").write_bytes(
        (spec.parent / "profiles" / "new-api.yaml").read_bytes()
    )
    keys.append(cache.key(spec, "spec/openapi.yaml"))
    keys.append(cache.key(spec, "elsewhere/openapi.yaml"))  # the label is in the headers
    assert len(set(keys)) == len(keys)
    assert keys[-1] == cache.key(spec, "elsewhere/openapi.yaml")


def test_a_tool_installed_or_upgraded_changes_the_key_and_nothing_else_looks_again(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[int] = []
    real = cache._look_up_versions

    def counting() -> list[str]:
        lookups.append(1)
        return real()

    monkeypatch.setattr(cache, "_look_up_versions", counting)
    monkeypatch.setattr(cache, "_VERSIONS", None)
    before = cache.key(spec, "spec/openapi.yaml")
    assert cache.key(spec, "spec/openapi.yaml") == before and len(lookups) == 1
    site = tmp_path / "site"
    (site / "ruff-0.0.1.dist-info").mkdir(parents=True)
    (site / "ruff-0.0.1.dist-info" / "METADATA").write_text("Name: ruff\nVersion: 0.0.1\n")
    monkeypatch.syspath_prepend(str(site))  # a ruff found before the installed one
    installed = cache.key(spec, "spec/openapi.yaml")
    assert "ruff==0.0.1" in cache._versions() and installed != before
    (site / "ruff-0.0.1.dist-info").rename(site / "ruff-0.0.2.dist-info")
    (site / "ruff-0.0.2.dist-info" / "METADATA").write_text("Name: ruff\nVersion: 0.0.2\n")
    later = site.stat().st_mtime_ns + 10**9  # as a later install: no clock tick is that coarse
    os.utime(site, ns=(later, later))
    upgraded = cache.key(spec, "spec/openapi.yaml")
    assert "ruff==0.0.2" in cache._versions() and upgraded not in (before, installed)
    assert len(lookups) == 3


def test_a_changed_spec_misses_and_renders_again(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, miss: Miss
) -> None:
    _warm(tmp_path, miss)
    changed = {**miss.files, "README.md": "rendered from the changed spec\n"}
    renders = _renders(monkeypatch, changed)
    first = generate(spec, tmp_path / "out", check=False)
    assert renders == []
    assert first.files == miss.files
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("title:", "title: Changed", 1), encoding="utf-8")
    second = generate(spec, tmp_path / "out", check=False)
    assert renders == [1]
    assert second.files == changed
    assert [diff.startswith("--- ") for diff in second.diffs] == [True]
    assert (tmp_path / "out" / "README.md").read_text() == changed["README.md"]
    assert len(list((tmp_path / "cache" / "renders").glob("*.json"))) == 2
    # and the changed spec's entry is what a run asks for now: a hit
    assert generate(spec, tmp_path / "out", check=True).files == changed
    assert renders == [1]


def test_a_corrupted_entry_is_recomputed_not_trusted(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, miss: Miss
) -> None:
    entry = _warm(tmp_path, miss)
    header, _, body = entry.read_bytes().partition(b"\n")  # the header keeps its checksum
    files = json.loads(body)
    files["mjapi/client.py"] += "# tampered\n"
    entry.write_bytes(header + b"\n" + json.dumps(files).encode())
    renders = _renders(monkeypatch, miss.files)
    again = generate(spec, tmp_path / "out", check=False)
    assert renders == [1]
    assert again.files == miss.files
    assert "# tampered" not in (tmp_path / "out" / "mjapi" / "client.py").read_text()
    entry.write_bytes(b"\x00not json")
    assert generate(spec, tmp_path / "out", check=True).files == miss.files
    assert renders == [1, 1]
    # the recomputed entry replaced the bad one: the next run is a hit
    assert entry.read_bytes() == miss.entries[entry.name]
    assert generate(spec, tmp_path / "out", check=True).files == miss.files
    assert renders == [1, 1]


def test_check_on_a_hit_still_catches_a_hand_edit(
    spec: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    miss: Miss,
) -> None:
    _warm(tmp_path, miss)
    renders = _renders(monkeypatch)
    out = tmp_path / "out"
    generate(spec, out, check=False)
    edited = out / "mjapi" / "errors.py"
    edited.write_bytes(edited.read_bytes().replace(b"\n", b"\r\n", 1))
    capsys.readouterr()
    assert main(["generate", "--spec", str(spec), "--output", str(out), "--check"]) == 1
    assert "errors.py" in capsys.readouterr().out
    assert main(["generate", "--spec", str(spec), "--output", str(out)]) == 0
    assert main(["generate", "--spec", str(spec), "--output", str(out), "--check"]) == 0
    assert renders == []


def test_a_cache_that_cannot_be_written_is_no_error(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, miss: Miss
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("MJSPEC_CACHE_DIR", str(blocker / "cache"))
    renders = _renders(monkeypatch, miss.files)
    outcome = generate(spec, tmp_path / "out", check=False)
    assert outcome.files == miss.files
    assert not generate(spec, tmp_path / "out", check=True).diffs
    assert renders == [1, 1], "nothing could be kept: each run renders"
    monkeypatch.setenv("MJSPEC_NO_CACHE", "1")
    assert cache.cache_dir() is None


def test_generate_does_not_import_the_kit_and_a_hit_not_the_tools(
    spec: Path, tmp_path: Path, miss: Miss
) -> None:
    """In fresh interpreters: the miss (an empty cache), and a hit (the cache as the miss
    left it); the modules loaded at the end of each."""
    kit = {"mjspec.conform", "schemathesis", "hypothesis", "uvicorn", "fastapi"}
    tools = {"datamodel_code_generator", "jinja2", "openapi_spec_validator", "ruff", "requests"}
    assert not kit & miss.modules
    # it did render: datamodel-code-generator ran in its worker (`modelgen.Models`) while
    # this interpreter validated and compiled the templates
    assert {"jinja2", "openapi_spec_validator"} <= miss.modules
    assert "datamodel_code_generator" not in miss.modules
    _warm(tmp_path, miss)
    warm = _generate_in_a_fresh_interpreter(tmp_path, tmp_path / "warm", tmp_path / "cache")
    assert not (kit | tools) & warm
    assert read_tree(tmp_path / "warm") == read_tree(miss.output)


@pytest.mark.parametrize("current", [True, False], ids=["current", "out of date"])
def test_the_command_into_a_closed_pipe_ends_without_a_traceback(
    spec: Path, tmp_path: Path, miss: Miss, current: bool
) -> None:
    """`mjspec generate --check | head -0`: the reader is gone before the verdict is printed
    (a cache hit, so at once). One exit code, no traceback, no worker left behind."""
    _warm(tmp_path, miss)
    output = tmp_path / "out"
    shutil.copytree(miss.output, output)
    if not current:
        (output / "mjapi" / "client.py").write_text("# edited by hand\n", encoding="utf-8")
    _into_a_closed_pipe("generate", "--check", "--spec", str(spec), "--output", str(output))


@pytest.mark.parametrize("command", ["generate --check", "profiles"])
def test_ctrl_c_in_a_command_is_one_line_and_exit_130(command: str) -> None:
    """The command's own handling (`cli.entry`, for every command), with the interrupt
    raised where the work is done; that generate's output is as it was is `write_tree`'s
    test."""
    program = (
        "import sys\n"
        "import mjspec.cli as cli\n"
        "def interrupted(argv=None):\n"
        "    raise KeyboardInterrupt\n"
        "cli.main = interrupted\n"
        f"sys.argv = ['mjspec', *{command.split()!r}]\n"
        "cli.entry()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False, timeout=60
    )
    assert (done.returncode, done.stderr) == (130, "mjspec: error: interrupted\n")


def test_a_command_other_than_generate_into_a_closed_pipe_ends_without_a_traceback() -> None:
    _into_a_closed_pipe("profiles")


def _into_a_closed_pipe(*argv: str) -> None:
    """`mjspec ARGV | head -0`: exit 1 and no traceback (the command killed, and the test
    failed, past a bound)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mjspec.cli", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader has gone
    try:
        _, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate(timeout=30)
        pytest.fail(f"mjspec {' '.join(argv)} had not exited after 120 s")
    assert process.returncode == 1, stderr
    assert b"Traceback" not in stderr and b"BrokenPipe" not in stderr, stderr


def test_storing_removes_the_entries_earlier_versions_kept_beside_renders(
    tmp_path: Path,
) -> None:
    base = tmp_path / "cache"
    base.mkdir()
    earlier = base / f"{'ab' * 32}.json"  # an entry of mjspec-render-cache/1: its sha256 key
    earlier.write_text("{}", encoding="utf-8")
    other = base / "notes.json"  # anything else in the folder is the user's
    other.write_text("{}", encoding="utf-8")
    cache.store(base / "renders", "c" * 64, {"mjapi/__init__.py": ""})
    assert cache.load(base / "renders", "c" * 64) == {"mjapi/__init__.py": ""}
    assert not earlier.exists()
    assert other.exists()
