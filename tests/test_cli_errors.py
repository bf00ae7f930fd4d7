"""Every user mistake is one clear line on stderr and exit 2, never a traceback, and every
command prints it the same way (`mjspec: error: ...`).

Each case runs `mjspec.cli.main` in process, from a temporary directory; one case of each
command (and a mistyped command) also runs the installed command in a subprocess, as a
user would, to see the process's own exit code and output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers_conform import hang_guard, refusing_url, run_cli
from tests.hostile_servers import nested_json

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "openapi.yaml"
BAD_TYPE = """\
openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    X: {type: strin}
"""

BAD_POINTER = "#/components/schemas/X/type"
CASES = [
    (["conform", "--spec", "{bad}", "--base-url", "{refused}"], BAD_POINTER),
    (["conform", "--base-url", "{refused}/?page=2"], "has a query string"),
    (["conform", "--base-url", "http://127.0.0.1:99999"], "Port out of range"),
    (["conform", "--base-url", "ftp://127.0.0.1:1"], "must start with http"),
    (["conform", "--base-url", "http://me:pw-secret@127.0.0.1:{port}"], "carries credentials"),
    (["conform", "--base-url", "http://no-such-host.invalid", "--task-id", "1"], "cannot resolve"),
    (["conform", "--base-url", "{refused}", "--task-id", "1"], "connection refused"),
    (["conform", "--request-timeout", "0"], "--request-timeout"),
    (["conform", "--max-response-bytes", "lots"], "not a whole number"),
    (["conform", "--profile", "nope", "--base-url", "{refused}"], "unknown profile"),
    (["conform", "--report-json", "/nonexistent/dir/r.json"], "no such directory"),
    (["generate", "--spec", "{bad}", "--check"], BAD_POINTER),
    (["generate", "--spec", "no/such.yaml"], "no such file"),
    (["generate", "--spec", "{loop}"], "#/info/x-self/0: a YAML alias inside the node it names"),
    (["conform", "--spec", "{deep}", "--base-url", "{refused}"], "nested more than 200 levels"),
    (["profiles", "--spec", "{laughs}"], "more than 1,000,000 values once its YAML aliases"),
    (["profiles", "--spec", "{bad}"], BAD_POINTER),
    (["serve", "--port", "99999"], "--port must be from 0 to 65535"),
    (["serve", "--tasks", "{notjson}", "--port", "0"], "not JSON at line 1, column 2"),
    (["serve", "--tasks", "{deeper}", "--port", "0"], "the JSON nests deeper than it can be read"),
    (["serve", "--profile", "nope"], "unknown profile"),
    (
        [
            "record",
            "--base-url",
            "http://no-such-host.invalid",
            "--task-id",
            "1",
            "--output",
            "o.json",
        ],
        "cannot resolve",
    ),
    (
        ["record", "--base-url", "{refused}/?k=v", "--task-id", "1", "--output", "o.json"],
        "query",
    ),
    (["bogus"], "invalid choice"),
]


# One case per command, run as a subprocess too.
SMOKE = {
    "conform --base-url ftp://127.0.0.1:1",
    "generate --spec no/such.yaml",
    "profiles --spec {bad}",
    "serve --profile nope",
    "record --base-url {refused}/?k=v",
    "bogus",
}
IDS = [" ".join(a[:3]) for a, _ in CASES]
assert set(IDS) >= SMOKE, SMOKE - set(IDS)


@pytest.fixture
def refused() -> Iterator[str]:
    with refusing_url() as url:
        yield url


def _laughs() -> str:
    """Aliases of aliases: a billion values from a few lines."""
    rows = ['openapi: 3.1.0\ninfo: {title: t, version: "1"}\na0: &a0 [' + "1," * 8 + "1]"]
    rows += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
    return "\n".join(rows) + "\n"


# The files the cases read, by their placeholder in a case's arguments: (name, content).
FILES = {
    "{bad}": ("bad.yaml", BAD_TYPE),
    "{notjson}": ("tasks.json", "{not json"),
    # an alias inside the node it names: an infinite value
    "{loop}": ("loop.yaml", 'openapi: 3.1.0\ninfo: {title: t, version: "1", x-self: &a [*a]}\n'),
    # valid JSON nested deeper than any walk of ours goes
    "{deep}": ("deep.json", '{"openapi": "3.1.0", "x": ' + nested_json(500).decode() + "}"),
    "{laughs}": ("laughs.yaml", _laughs()),
    "{deeper}": ("deeper.json", nested_json().decode()),  # past any decoder's recursion
}


def _named(argv: list[str]) -> dict[str, tuple[str, str]]:
    """The files a case reads, by their placeholder: (name, content)."""
    return {key: file for key, file in FILES.items() if any(key in arg for arg in argv)}


def _inputs(argv: list[str]) -> set[str]:
    """The names of the files a case reads."""
    return {name for name, _ in _named(argv).values()}


def _argv(argv: list[str], tmp_path: Path, refused: str) -> list[str]:
    """`argv` with its placeholders filled in, writing the files it names into `tmp_path`."""
    values = {"{refused}": refused, "{port}": refused.rsplit(":", 1)[1]}
    for key, (name, text) in _named(argv).items():
        (tmp_path / name).write_text(text, "utf-8")
        values[key] = str(tmp_path / name)
    for placeholder, value in values.items():
        argv = [arg.replace(placeholder, value) for arg in argv]
    return argv


def _assert_one_clear_line(code: int, out: str, err: str, said: str) -> None:
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("mjspec: error: ")  # one format, whatever the command
    assert said in lines[0]
    assert "pw-secret" not in out + err  # a password in a URL is never shown


@pytest.mark.parametrize(("argv", "said"), CASES, ids=IDS)
def test_a_mistake_is_one_line_and_exit_2(
    argv: list[str],
    said: str,
    tmp_path: Path,
    refused: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MJSPEC_TOKEN", raising=False)
    with hang_guard(60, f"mjspec {' '.join(argv)}"):
        outcome = run_cli(capsys, _argv(argv, tmp_path, refused))
    _assert_one_clear_line(outcome.code, outcome.out, outcome.err, said)
    # Nothing is left behind in the working directory: no half-written output.
    assert {p.name for p in tmp_path.iterdir()} == _inputs(argv)


@pytest.mark.parametrize(
    ("argv", "said"),
    [case for case, name in zip(CASES, IDS, strict=True) if name in SMOKE],
    ids=[name for name in IDS if name in SMOKE],
)
def test_the_installed_command_exits_2_with_the_same_one_line(
    argv: list[str], said: str, tmp_path: Path, refused: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MJSPEC_TOKEN"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mjspec.cli", *_argv(argv, tmp_path, refused)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"mjspec {' '.join(argv)} had not exited after 60 s: it hangs")
    _assert_one_clear_line(done.returncode, done.stdout, done.stderr, said)
