"""Build-time generation in a consuming project: the hatchling hook, `--package-name`, pre-commit.

A small consuming project (its own spec, the repository's overlays beside it, a package of
its own that uses the client) is built in a temporary directory with this environment's
mjspec and hatchling, without build isolation, so without network: its wheel must hold
`acme_mj` generated at build time, byte for byte what `mjspec generate --package-name
acme_mj --default-profile new-api` writes, and working against the reference server.
The output passes ruff here; its types (a `--package-name`, a `--default-profile` the
client defaults to) are checked with mypy --strict in the typecheck session, on the
profiled golden (tests/golden/profiled, tests/typing_client.py).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from ruff.__main__ import find_ruff_bin

from mjspec.cli import main
from mjspec.generate.write import read_tree
from mjspec.serve.refserver import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "acme_mj"
PROFILE = "new-api"
TOKEN = "sk-build-hook-0123456789"
PYPROJECT = f"""\
[build-system]
requires = ["hatchling", "mjspec"]
build-backend = "hatchling.build"

[project]
name = "acme"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["anyio>=4", "httpx>=0.27", "msgspec>=0.19"]

[tool.hatch.build.hooks.mjspec]
spec = "openapi.yaml"
package = "{PACKAGE}"
profile = "{PROFILE}"
"""
# the project's own package, which uses the generated one
ACME = '''\
"""A project whose client is generated from its spec when it is built."""

from acme_mj import Client


def task_ids(base_url: str, token: str, ids: list[str]) -> list[str]:
    with Client(base_url, token=token) as client:
        return [task.id for task in client.list_by_condition(ids)]
'''
# a PEP 517 frontend's call of the backend, run from the project's root
BACKEND = "import sys, hatchling.build as b; print(getattr(b, sys.argv[1])(sys.argv[2]))"


@dataclass(frozen=True, slots=True)
class Built:
    project: Path
    cli_output: Path  # what `mjspec generate --package-name acme_mj ...` wrote
    wheel: Path
    env: dict[str, str]  # for builds: the test's own mjspec cache


def _project(where: Path) -> Path:
    project = where / "acme"
    (project / "acme").mkdir(parents=True)
    shutil.copy(ROOT / "spec" / "openapi.yaml", project / "openapi.yaml")
    shutil.copytree(ROOT / "spec" / "profiles", project / "profiles")
    (project / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (project / "acme" / "__init__.py").write_text(ACME, encoding="utf-8")
    return project


def _backend(hook: str, project: Path, out: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """The backend's `hook` run in a process of its own in `project`: (exit code, stdout,
    stderr); a build still running after 120 s fails the test (it is killed)."""
    done = subprocess.run(
        [sys.executable, "-c", BACKEND, hook, str(out)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The CLI's render of the project's spec, then the project's wheel built from it.

    The wheel is built as every PEP 517 frontend (pip, build) builds it: the backend's
    `build_wheel`, in a process of its own started in the project's root.
    """
    work = tmp_path_factory.mktemp("consumer")
    project = _project(work)
    env = {**os.environ, "MJSPEC_CACHE_DIR": str(work / "cache")}
    env.pop("MJSPEC_NO_CACHE", None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MJSPEC_CACHE_DIR", env["MJSPEC_CACHE_DIR"])
        patch.delenv("MJSPEC_NO_CACHE", raising=False)
        patch.chdir(project)  # so the headers name the spec as the hook does: openapi.yaml
        options = ["--package-name", PACKAGE, "--default-profile", PROFILE, "--package-only"]
        code = main(["generate", "--spec", "openapi.yaml", "--output", str(work / "cli"), *options])
    assert code == 0
    code, name, stderr = _backend("build_wheel", project, work / "dist", env)
    assert code == 0, stderr
    wheel = work / "dist" / name.strip().splitlines()[-1]
    return Built(project, work / "cli", wheel, env)


def _wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_wheel_holds_the_package_generated_at_build_time_as_the_cli_renders_it(
    built: Built,
) -> None:
    files = _wheel_files(built.wheel)
    generated = {k: v for k, v in files.items() if k.startswith(f"{PACKAGE}/")}
    expected = {
        f"{PACKAGE}/{name}": data for name, data in read_tree(built.cli_output / PACKAGE).items()
    }
    assert generated == expected  # deterministic: the same bytes as the command line's
    assert {f"{PACKAGE}/client.py", f"{PACKAGE}/profiles/new_api.py"} <= set(generated)
    assert b"from . import profiles" in generated[f"{PACKAGE}/client.py"]
    assert not any(b"mjapi" in data for name, data in generated.items() if name.endswith(".py"))
    # the project's own package beside it, and nothing generated in the project's tree
    assert files["acme/__init__.py"] == (built.project / "acme" / "__init__.py").read_bytes()
    assert {name.split("/")[0] for name in files} == {PACKAGE, "acme", "acme-0.1.0.dist-info"}
    assert not (built.project / PACKAGE).exists()


def test_the_built_client_defaults_to_its_profile_against_the_reference_server(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(built.wheel) as archive:
        archive.extractall(target)
    monkeypatch.syspath_prepend(str(target))
    for name in [m for m in sys.modules if m.split(".")[0] in {PACKAGE, "acme"}]:
        monkeypatch.delitem(sys.modules, name)
    acme_mj = importlib.import_module(PACKAGE)
    acme = importlib.import_module("acme")
    assert Path(str(acme_mj.__file__)).is_relative_to(target)  # the wheel's, nothing else
    with serve_in_thread(token=TOKEN, profile=PROFILE) as server:
        ids = server.task_ids
        # the project's own code, through the generated client's default profile (new-api)
        assert sorted(acme.task_ids(server.base_url, TOKEN, ids)) == sorted(ids)
        with acme_mj.Client(server.base_url, token=TOKEN) as client:
            tasks = client.list_by_condition(ids)
        assert any(task.buttons is None for task in tasks)  # new-api's nulls decode
        assert type(tasks[0]).__module__ == f"{PACKAGE}.profiles.new_api"
        # the document's profile, still there when named, refuses the same answer
        with (
            acme_mj.Client(server.base_url, token=TOKEN, profile="doc") as doc,
            pytest.raises(acme_mj.ContractError),
        ):
            doc.list_by_condition(ids)


def _in_process(hook: str, project: Path, out: Path, env: dict[str, str]) -> Path:
    """A backend hook's artifact, built in this process from the project's root."""
    import hatchling.build

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MJSPEC_CACHE_DIR", env["MJSPEC_CACHE_DIR"])
        patch.chdir(project)
        name: str = getattr(hatchling.build, hook)(str(out))
    return out / name


def test_the_sdist_keeps_the_spec_and_an_editable_wheel_gets_the_package(
    built: Built, tmp_path: Path
) -> None:
    sdist = _in_process("build_sdist", built.project, tmp_path / "sdist", built.env)
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    assert {"openapi.yaml", "profiles/new-api.yaml", "pyproject.toml", "acme/__init__.py"} <= (
        members
    )
    assert not [m for m in members if PACKAGE in m]
    editable = _in_process("build_editable", built.project, tmp_path / "editable", built.env)
    files = _wheel_files(editable)
    # the generated package is copied in (rebuild to regenerate); the project's own is linked
    assert files[f"{PACKAGE}/client.py"] == (built.cli_output / PACKAGE / "client.py").read_bytes()
    assert any(n.endswith(".pth") for n in files)
    assert not (built.project / PACKAGE).exists()


def test_a_broken_spec_fails_the_build_with_one_line_naming_file_and_pointer(
    built: Built, tmp_path: Path
) -> None:
    project = _project(tmp_path)
    spec = project / "openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("$ref: '#/components/schemas/Task'", "$ref: '#/nowhere'", 1))
    assert spec.read_text(encoding="utf-8") != text
    code, _, stderr = _backend("build_wheel", project, tmp_path / "dist", built.env)
    assert code == 1
    assert stderr.startswith("mjspec: error: openapi.yaml#/paths/"), stderr
    assert "#/nowhere" in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"spec": "openapi.yaml"}, "package is required"),
        ({"spec": "openapi.yaml", "package": "acme.mj"}, "the dotted name of a subpackage"),
        ({"spec": "openapi.yaml", "package": PACKAGE, "packages": "x"}, "unknown option"),
        ({"spec": "openapi.yaml", "package": PACKAGE, "profile": 1}, "profile must be"),
        ({"spec": "openapi.yaml", "package": "acme"}, "already holds acme"),
        (
            {"spec": "missing.yaml", "package": PACKAGE, "profile": PROFILE},
            "missing.yaml#: no such",
        ),
        ({"spec": "openapi.yaml", "package": PACKAGE, "profile": "nope"}, "choose one of: doc"),
    ],
)
def test_a_bad_hook_table_is_one_line_too(
    built: Built,
    table: dict[str, object],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hatchling.build

    project = _project(tmp_path)
    text = PYPROJECT.split("[tool.hatch.build.hooks.mjspec]")[0]
    lines = [f"{key} = {value!r}".replace("'", '"') for key, value in table.items()]
    (project / "pyproject.toml").write_text(
        text + "[tool.hatch.build.hooks.mjspec]\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    monkeypatch.setenv("MJSPEC_CACHE_DIR", built.env["MJSPEC_CACHE_DIR"])
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as stopped:
        hatchling.build.build_wheel(str(tmp_path / "dist"))
    line = str(stopped.value.code)
    assert line.startswith("mjspec: error: ") and "\n" not in line, line
    assert expected in line


def test_the_cli_output_for_another_package_name_passes_ruff(
    built: Built,
) -> None:
    config = ["--config", str(ROOT / "pyproject.toml")]  # the repository's rules, E501 included
    ruff = subprocess.run(
        [find_ruff_bin(), "check", "--no-cache", *config, str(built.cli_output / PACKAGE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    assert not (built.cli_output / "pyproject.toml").exists()  # --package-only


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--package-name", "acme.mj"], "package name 'acme.mj': the dotted name of a subpackage"),
        (["--package-name", "9lives"], "package name '9lives': not a Python identifier"),
        (["--package-name", "class"], "package name 'class': a Python keyword"),
        (["--package-name", "json"], "package name 'json': it would shadow the module 'json'"),
        (["--package-name", "httpx"], "package name 'httpx': it would shadow"),
        (["--default-profile", "nope"], "the default profile 'nope' is not a profile of"),
    ],
)
def test_a_bad_package_name_or_default_profile_is_one_line_and_exit_2(
    arguments: list[str],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = ROOT / "spec" / "openapi.yaml"
    if "--default-profile" in arguments:  # a spec of one operation and no overlays: quick
        spec = tmp_path / "openapi.yaml"
        spec.write_text(
            textwrap.dedent(
                """\
                openapi: 3.1.0
                info: {title: Health, version: '1'}
                paths:
                  /health:
                    get:
                      responses:
                        '200': {description: up}
                """
            ),
            encoding="utf-8",
        )
    code = main(["generate", "--spec", str(spec), "--output", str(tmp_path / "out"), *arguments])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"mjspec: error: {expected}"), err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_the_hook_is_registered_with_hatchling_and_mjspec_does_not_import_it() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="hatch") if e.name == "mjspec"]
    assert entry.value == "mjspec.hatch_hook"
    hook = entry.load().hatch_register_build_hook()
    assert hook.PLUGIN_NAME == "mjspec"
    imports = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, mjspec, mjspec.cli, mjspec.generate; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'hatchling'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert imports.stdout.strip() == "[]"


def test_the_pre_commit_manifest_offers_the_drift_check() -> None:
    path = ROOT / ".pre-commit-hooks.yaml"
    hooks = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    by_id = {hook["id"]: hook for hook in hooks}
    hook = by_id["mjspec-generate-check"]
    known = {"id", "name", "description", "entry", "language", "pass_filenames", "files"}
    assert set(hook) <= known | {"require_serial", "minimum_pre_commit_version"}
    assert hook["language"] == "python"  # pre-commit installs this repository, so `mjspec`
    assert hook["pass_filenames"] is False  # one run over the whole output, not per file
    command, *arguments = hook["entry"].split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert command in scripts
    assert arguments == ["generate", "--check"]
    files = re.compile(hook["files"])
    for changed in ("spec/openapi.yaml", "spec/profiles/new-api.yaml", "generated/mjapi/client.py"):
        assert files.search(changed), changed
    assert files.search("generated/mjapi/py.typed")
    assert not files.search("docs/logo.png")
    validated = subprocess.run(  # and pre-commit's own validator
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
