"""Sessions for mjspec: `nox` runs tests, lint, typecheck and the drift check."""

from __future__ import annotations

from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint", "typecheck", "generated"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
# uv installs without compiling bytecode (pip compiles it); without it every process of a
# session, each test worker and subprocess, compiles every module it imports again
# whenever PYTHONDONTWRITEBYTECODE is set
BYTECODE = {"UV_COMPILE_BYTECODE": "1"}
TYPED = ["codegen/mjspec", "generated/mjapi", "tests", "benchmarks", "tools", "noxfile.py"]


def install(session: nox.Session, *groups: str, project: bool = True) -> None:
    """Install the project (as a user would: not editable) and dependency groups."""
    requirements = nox.project.dependency_groups(PYPROJECT, *groups) if groups else ()
    session.install(*(["."] if project else []), *requirements, env=BYTECODE)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (Hypothesis derandomized).

    Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: pytest keeps each test
    module's rewritten bytecode only then, and without it every xdist worker compiles every
    test module again.
    """
    install(session, "test")
    env = {"HYPOTHESIS_PROFILE": "ci", "PYTHONDONTWRITEBYTECODE": None}
    session.run("pytest", *session.posargs, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    install(session, "lint", project=False)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over codegen, generated, tests, benchmarks and this file."""
    install(session, "typecheck")
    session.run("mypy", "--strict", *TYPED, *session.posargs)


@nox.session
def generated(session: nox.Session) -> None:
    """Fail when generated/ differs from a fresh render of spec/openapi.yaml."""
    install(session)
    session.run("mjspec", "generate", "--check")


@nox.session
def bench(session: nox.Session) -> None:
    """Print the benchmark ratios; arguments go to bench_conform.py (e.g. --base-url URL)."""
    install(session, "bench")
    session.run("python", "benchmarks/bench_decode.py")
    session.run("python", "benchmarks/bench_fieldcheck.py")
    session.run("python", "benchmarks/bench_matrix.py")
    session.run("python", "benchmarks/bench_consistency.py")
    session.run("python", "benchmarks/bench_load.py")
    session.run("python", "benchmarks/bench_embedded.py")
    session.run("python", "benchmarks/bench_fleet.py")
    session.run("python", "benchmarks/bench_conform.py", *session.posargs)
    install(session, "interop", project=False)  # bench_generate's baseline
    session.run("python", "benchmarks/bench_generate.py")


@nox.session
def conformance(session: nox.Session) -> None:
    """Run `mjspec conform` with the arguments after `--` (default: the reference server).

    nox prints every command it runs: a `--token` given after `--` is taken out of the
    command line and handed over in MJSPEC_TOKEN, so it never reaches a CI log. Better
    still, set MJSPEC_TOKEN yourself and leave `--token` out.
    """
    install(session)
    arguments, token = without_token(session.posargs)
    env = {"MJSPEC_TOKEN": token} if token is not None else {}
    session.run("mjspec", "conform", *arguments, env=env)


def without_token(arguments: list[str]) -> tuple[list[str], str | None]:
    """The arguments without `--token X` / `--token=X`, and the token."""
    kept: list[str] = []
    token: str | None = None
    items = iter(arguments)
    for argument in items:
        if argument == "--token":
            token = next(items, None)
        elif argument.startswith("--token="):
            token = argument.partition("=")[2]
        else:
            kept.append(argument)
    return kept, token


@nox.session(default=False)
def interop(session: nox.Session) -> None:
    """The spec in tools nobody here wrote, against `mjspec serve` (not run by default).

    openapi-python-client, datamodel-code-generator (Pydantic) and schemathesis; pass
    `-- --prism` to add Prism's mock and proxy, `-- --lint` to add Redocly and Spectral
    over the spec and each profile's document (both through npx: they need Node).
    """
    install(session, "interop")
    session.run("python", "tools/interop.py", *session.posargs)


@nox.session(default=False)
def durations(session: nox.Session) -> None:
    """Run the suite (or the tests named after `--`) and update tests/durations.json, its
    modules' seconds (not run by default). Run it in a fresh clone, as CI runs: the file
    orders the modules, longest first."""
    install(session, "test")
    report = Path(session.create_tmp()) / "junit.xml"
    env = {"HYPOTHESIS_PROFILE": "ci", "PYTHONDONTWRITEBYTECODE": None}
    session.run("pytest", f"--junitxml={report}", *session.posargs, env=env)
    session.run("python", "tools/durations.py", str(report))


@nox.session(default=False)
def regen(session: nox.Session) -> None:
    """Rewrite the tracked files in generated/ from the spec (not run by default)."""
    install(session)
    session.run("mjspec", "generate")
