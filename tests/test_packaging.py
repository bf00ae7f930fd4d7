"""`generated/` is a distribution of its own: the client installs without the generator.

The wheel is built offline with the backend that `generated/pyproject.toml` names (it is
in the test dependencies), then checked for what it holds and requires, and installed
into a fresh virtual environment next to its requirements only, copied from this one.
"""

from __future__ import annotations

import ast
import email.message
import email.parser
import importlib.metadata
import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Mapping
from pathlib import Path

import msgspec
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mjspec.generate.render import CLIENT_REQUIREMENTS, SERVER_REQUIREMENTS, package_version
from mjspec.generate.write import read_tree
from mjspec.serve.refdata import task_dicts
from mjspec.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated"
SPEC_PATH = ROOT / "spec" / "openapi.yaml"
# modules of the server stubs: what the `server` extra is for
SERVER_MODULES = {"server.py", "_asgi.py"}
# never in a client-only environment
NOT_INSTALLED = [
    "mjspec",
    "pytest",
    "hypothesis",
    "schemathesis",
    "datamodel_code_generator",
    "ruff",
    "fastapi",
    "starlette",
    "yaml",
]


def _pyproject() -> dict[str, object]:
    return tomllib.loads((GENERATED / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of a copy of generated/ (building writes nothing into the checkout)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "generated"
    shutil.copytree(GENERATED, source, ignore=shutil.ignore_patterns("__pycache__", "dist"))
    build_system = _pyproject()["build-system"]
    assert isinstance(build_system, dict)
    hook = (
        "import importlib, sys\n"
        "print(importlib.import_module(sys.argv[1]).build_wheel(sys.argv[2]))\n"
    )
    built = subprocess.run(
        [sys.executable, "-c", hook, build_system["build-backend"], str(work / "dist")],
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    return work / "dist" / built.stdout.strip().splitlines()[-1]


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode("utf-8"))


def test_the_wheel_holds_the_generated_package_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    package = sorted(n for n in names if not n.startswith("mjapi-"))
    assert package == sorted(f"mjapi/{name}" for name in read_tree(GENERATED / "mjapi"))
    assert {"mjapi/py.typed", "mjapi/openapi.json", "mjapi/profiles/new-api.json"} <= set(names)
    assert {n.split("/")[0] for n in names if n.startswith("mjapi-")} == {
        f"mjapi-{_spec_version()}.dist-info"
    }


def _spec_version() -> str:
    return str(load_spec(SPEC_PATH)["info"]["version"])


def test_the_wheel_requires_the_client_dependencies_and_the_server_ones_as_an_extra(
    wheel: Path,
) -> None:
    metadata = _metadata(wheel)
    assert metadata["Name"] == "mjapi"
    assert metadata["Version"] == package_version(_spec_version()) == "1.0.0"
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata.get_all("Provides-Extra") == ["server"]
    requires = [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]
    plain = sorted(str(r) for r in requires if r.marker is None)
    server = sorted(f"{r.name}{r.specifier}" for r in requires if r.marker is not None)
    assert plain == sorted(CLIENT_REQUIREMENTS)
    assert {canonicalize_name(Requirement(r).name) for r in plain} == {
        "anyio",
        "httpx",
        "msgspec",
    }
    assert server == sorted(SERVER_REQUIREMENTS)
    assert all(r.marker is None or str(r.marker) == 'extra == "server"' for r in requires)


def _closure(requirements: list[str]) -> set[str]:
    """The distributions these requirements pull in (no extras), as installed here."""
    found: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found.add(name)
        for line in importlib.metadata.distribution(name).requires or []:
            nested = Requirement(line)
            if nested.marker is None or nested.marker.evaluate({"extra": ""}):
                todo.append(nested)
    return found


def _imported_distributions(module: Path, providers: Mapping[str, list[str]]) -> set[str]:
    """The distributions a generated module imports from (stdlib and relative left out);
    `providers`: `importlib.metadata.packages_distributions()` (a scan of every one)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    third_party = names - set(sys.stdlib_module_names) - {"__future__"}
    return {canonicalize_name(providers[name][0]) for name in third_party}


def test_every_import_of_the_generated_code_is_a_declared_requirement() -> None:
    client = _closure(list(CLIENT_REQUIREMENTS))
    server = client | _closure(list(SERVER_REQUIREMENTS))
    assert "python-multipart" in server and "starlette" in server
    providers = importlib.metadata.packages_distributions()
    modules = sorted((GENERATED / "mjapi").rglob("*.py"))
    imported: set[str] = set()
    for module in modules:
        allowed = server if module.name in SERVER_MODULES else client
        found = _imported_distributions(module, providers)
        imported |= found
        undeclared = found - allowed
        assert not undeclared, f"{module.relative_to(ROOT)} imports from {undeclared}"
    assert {"httpx", "msgspec", "fastapi"} <= imported, "the imports were found"


def test_pip_install_dot_gives_everything_the_client_and_the_server_stubs_need() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dependencies = pyproject["project"]["dependencies"]
    assert set(CLIENT_REQUIREMENTS) | set(SERVER_REQUIREMENTS) <= set(dependencies)


@pytest.mark.parametrize(
    ("api_version", "expected"),
    [
        ("1.0.0", "1.0.0"),
        ("2.1rc1", "2.1rc1"),
        ("v2", "0+v2"),
        ("2024-05-01", "0+2024.05.01"),
        (" 1.0 ", "1.0"),
        ("", "0"),
    ],
)
def test_the_package_version_is_the_spec_version_or_a_local_label_of_0(
    api_version: str, expected: str
) -> None:
    assert package_version(api_version) == expected


_SMOKE = """
import importlib.metadata, importlib.util, json, sys
import httpx, mjapi

names, body = json.loads(sys.stdin.read())
missing = [name for name in names if importlib.util.find_spec(name) is not None]
assert not missing, f"installed next to the client: {missing}"
reply = httpx.MockTransport(lambda request: httpx.Response(200, content=body.encode()))
with mjapi.Client("http://127.0.0.1:9", token="t", transport=reply) as client:
    tasks = client.list_by_condition([])
try:
    import mjapi.server
except ModuleNotFoundError as exc:
    server = exc.name
else:
    server = "imported"
print(json.dumps({
    "version": importlib.metadata.version("mjapi"),
    "ids": [task.id for task in tasks],
    "file": mjapi.__file__,
    "server": server,
}))
"""


def test_the_wheel_works_in_a_fresh_venv_with_its_requirements_only(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    purelib = Path(
        subprocess.run(
            [python, "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    )
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(purelib)  # a pure wheel installs by unpacking
    here = Path(sysconfig.get_path("purelib"))
    for name in sorted(_closure(list(CLIENT_REQUIREMENTS))):
        dist = importlib.metadata.distribution(name)
        for file in dist.files or []:
            source = Path(str(dist.locate_file(file)))
            if ".." not in file.parts and source.is_file():
                target = purelib / file
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        assert Path(str(dist.locate_file(""))).resolve() == here.resolve(), name
    tasks = task_dicts(load_spec(SPEC_PATH))[:2]
    smoke = subprocess.run(
        [python, "-I", "-c", _SMOKE],
        input=json.dumps([NOT_INSTALLED, msgspec.json.encode(tasks).decode()]),
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
    )
    assert smoke.returncode == 0, smoke.stderr
    result = json.loads(smoke.stdout)
    assert result["version"] == "1.0.0"
    assert result["ids"] == [task["id"] for task in tasks]
    assert Path(result["file"]).is_relative_to(purelib)
    assert result["server"] == "fastapi"  # the server stubs need the `server` extra
