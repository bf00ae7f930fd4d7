"""Does the spec work in tools nobody here wrote? `nox -s interop` runs this script.

Each check runs one tool against `spec/openapi.yaml` and a `mjspec serve --port 0` it starts
(and stops) itself, over loopback only:

- openapi-python-client: a client generated from the spec imports, sends JSON and gets
  the tasks back, the endpoint's annotations resolvable. Version 0.29.1 emits `| Unset`
  without importing it for any required body with two media types (upstream issue
  #1451); when the bare client fails to import for exactly that reason, the client is
  generated again with `spec/openapi-python-client.yaml` (the configuration the README
  gives users, whose post-hook adds the import), and the report says so.
- datamodel-code-generator: Pydantic v2 models generated from the spec decode the spec's
  example answer and the reference server's answer.
- schemathesis: a bare `schemathesis run --checks all --mode all` (fixed seed) passes.
- Prism (`--prism`, needs Node and the npm registry): its mock and its validating proxy in
  front of `mjspec serve` accept the JSON and the multipart body, with no violation.
- Redocly and Spectral (`--lint`, the same): `redocly lint` (its recommended rules, or
  `.redocly.yaml` when the repository has one) and `spectral lint` (the `.spectral.yaml`
  ruleset, `spectral:oas`) find no error and no warning in the spec, nor in the document
  each profile's overlay makes of it. Both run through npx at pinned versions.

Usage: python tools/interop.py [--prism] [--lint] [--spec PATH]; exit 0 when every check
passed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import typing
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openapi.yaml"
OPERATION = "/mj/task/list-by-condition"
SEED = "1"
PRISM = "@stoplight/prism-cli@5.14.2"
REDOCLY = "@redocly/cli@2.77.0"
SPECTRAL = "@stoplight/spectral-cli@6.16.3"
REDOCLY_CONFIG = ROOT / ".redocly.yaml"  # only when a rule has to be turned off
SPECTRAL_RULESET = ROOT / ".spectral.yaml"
# No usage report, no update notice, no colour codes in what is parsed.
NODE_ENV = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}
SPECTRAL_SEVERITY = ("error", "warning", "info", "hint")  # its JSON's 0..3
# What users pass to openapi-python-client (`--config`): its post-hook imports the `Unset`
# that upstream issue #1451 leaves undefined.
OPC_CONFIG = ROOT / "spec" / "openapi-python-client.yaml"


class InteropError(Exception):
    """A tool refused the spec or the reference server (the message says how)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Server:
    """A running `mjspec serve`."""

    base_url: str
    task_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        # every check asks for these and compares what comes back: with none, an empty
        # answer would pass them all
        if not self.task_ids:
            raise InteropError(f"the server at {self.base_url} listed no task ids to ask for")


def tool(name: str) -> str:
    """The executable `name` from this interpreter's environment, else from PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise InteropError(f"{name} is not installed")
    return found


def run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; its failure is an InteropError with that output."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        raise InteropError(f"`{' '.join(command)}` did not finish in {timeout:g} s") from None
    if done.returncode != 0:
        raise InteropError(
            f"`{' '.join(command)}` exited {done.returncode}:\n{done.stdout[-3000:]}"
            f"{done.stderr[-3000:]}"
        )
    return done


@contextlib.contextmanager
def mjspec_serve() -> Iterator[Server]:
    """`mjspec serve --port 0` as a subprocess, stopped on exit; its port read from the banner."""
    command = [tool("mjspec"), "serve", "--host", "127.0.0.1", "--port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert process.stdout is not None
        banner, ids_line = _first_lines(process.stdout, 2, STARTUP_TIMEOUT)
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", banner)
        if found is None:
            raise InteropError(f"mjspec serve did not start: {banner!r}")
        ids = tuple(word for word in ids_line.split() if word.isdigit())
        yield Server(base_url=found.group(1), task_ids=ids[:2])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0  # seconds for one request and its answer


def _first_lines(stream: IO[str], count: int, timeout: float) -> list[str]:
    """The first `count` lines of a process's output ('' past its end), within `timeout`."""
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(stream.readline() for _ in range(count)), daemon=True
    )
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        raise InteropError(f"mjspec serve printed no banner within {timeout:.0f} s")
    return lines


def post(url: str, body: bytes, content_type: str) -> tuple[int, bytes, str]:
    """POST over loopback: status, body and Prism's `sl-violations` header ('' if none)."""
    request = urllib.request.Request(url, body, {"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as answer:
            return answer.status, answer.read(), answer.headers.get("sl-violations", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("sl-violations", "")


def multipart(ids: tuple[str, ...]) -> tuple[bytes, str]:
    """The documented multipart body: one text/plain part named `ids` per id."""
    boundary = "mjspec-interop"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="ids"\r\n'
        f"Content-Type: text/plain\r\n\r\n{task_id}\r\n"
        for task_id in ids
    ]
    body = "".join(parts) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


def check_openapi_python_client(
    spec: Path, server: Server, work: Path, *, bare: bool = True
) -> str:
    """A client generated by openapi-python-client imports, sends JSON and gets the tasks.

    With `bare`, the client generated without a configuration is tried first; while
    upstream issue #1451 stands it fails to import, and the clients generated with
    spec/openapi-python-client.yaml are checked instead, in both of the tool's layouts: a
    project around the package (its default, the README's command) and the package alone
    (`--meta none`). Without `bare`, only those two."""
    generator = tool("openapi-python-client")
    configured = OPC_CONFIG.relative_to(ROOT).as_posix()

    def generate(name: str, *extra: str) -> Path:
        run([generator, "generate", "--path", str(spec), "--output-path", name, *extra], work)
        return work / name

    note = f"generated with {configured} (project and package-only layouts)"
    if bare:
        generate("mjclient_bare", "--meta", "none")
        probe = "import mjclient_bare.api.task.list_by_condition"
        tried = subprocess.run(
            [sys.executable, "-c", probe], cwd=work, capture_output=True, text=True, check=False
        )
        if tried.returncode == 0:
            return f"{_use_client(work, 'mjclient_bare', server)}; the bare client imports"
        if "name 'Unset' is not defined" not in tried.stderr:
            raise InteropError(f"the generated client does not import:\n{tried.stderr[-2000:]}")
        note = (
            f"bare client: upstream issue #1451 (Unset not imported); imports with {configured} "
            "(project and package-only layouts)"
        )
    project = generate("mjproject", "--config", str(OPC_CONFIG))
    inside = [p.name for p in sorted(project.iterdir()) if (p / "api").is_dir()]
    if len(inside) != 1:
        raise InteropError(f"expected one package in the generated project, found {inside}")
    used = _use_client(project, inside[0], server)
    generate("mjclient", "--config", str(OPC_CONFIG), "--meta", "none")
    if _use_client(work, "mjclient", server) != used:
        raise InteropError("the package-only client did not do what the project's did")
    return f"{used}; {note}"


def _use_client(root: Path, package: str, server: Server) -> str:
    """Import the generated `package` from `root`, check that its endpoint's annotations
    resolve, and ask the server for its tasks: what was sent and decoded."""
    sys.path.insert(0, str(root))
    try:
        client_module = importlib.import_module(package)
        endpoint = importlib.import_module(f"{package}.api.task.list_by_condition")
        models = importlib.import_module(f"{package}.models")
        # the endpoint's annotations name what is defined (strings would hide #1451)
        typing.get_type_hints(endpoint.sync_detailed)
    except NameError as error:
        unresolved = f"{package}: the endpoint's annotations do not resolve: {error}"
        raise InteropError(unresolved) from None
    finally:
        sys.path.remove(str(root))
    sent: list[str] = []

    def record(request: Any) -> None:
        sent.append(request.headers.get("content-type", ""))

    import httpx  # a dependency of the generated client (and of mjspec)

    client = client_module.Client(
        base_url=server.base_url,
        timeout=httpx.Timeout(REQUEST_TIMEOUT),  # the generated client's default: none
        httpx_args={"event_hooks": {"request": [record]}},
    )
    with client:
        body = models.ListByConditionRequest(ids=list(server.task_ids))
        answer = endpoint.sync_detailed(client=client, body=body)
    if sent != ["application/json"]:
        raise InteropError(f"{package} sent {sent}, not one application/json request")
    tasks = answer.parsed
    if answer.status_code != 200 or not isinstance(tasks, list):
        raise InteropError(f"{package} got {answer.status_code}: {answer.content!r}")
    got = sorted(task.id for task in tasks)
    if got != sorted(server.task_ids):
        raise InteropError(f"{package} asked for {sorted(server.task_ids)}, decoded {got}")
    return f"sent JSON, decoded {len(tasks)} tasks"


def check_pydantic_models(spec: Path, server: Server, work: Path) -> str:
    """datamodel-code-generator's Pydantic v2 models decode the example and a live answer."""
    output = work / "pydantic_models.py"
    run(
        [sys.executable, "-m", "datamodel_code_generator", "--input", str(spec),
         "--input-file-type", "openapi", "--output-model-type", "pydantic_v2.BaseModel",
         "--output", str(output), "--disable-timestamp"],
        work,
    )  # fmt: skip
    sys.path.insert(0, str(work))
    try:
        models = importlib.import_module("pydantic_models")
    finally:
        sys.path.remove(str(work))
    from pydantic import TypeAdapter

    task: Any = models.Task
    tasks = TypeAdapter(list[task])
    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    ok = document["paths"][OPERATION]["post"]["responses"]["200"]["content"]["application/json"]
    example = tasks.validate_python(ok["example"])
    status, body, _ = post(
        server.base_url + OPERATION,
        json.dumps({"ids": list(server.task_ids)}).encode(),
        "application/json",
    )
    live = tasks.validate_json(body)
    if status != 200 or not live or len(example[0].buttons) != len(ok["example"][0]["buttons"]):
        raise InteropError(f"pydantic decoded {len(example)} example and {len(live)} live tasks")
    return f"decoded the example ({len(example[0].buttons)} buttons) and {len(live)} live tasks"


def check_schemathesis(
    spec: Path, server: Server, work: Path, *, max_examples: int | None = None
) -> str:
    """A bare `schemathesis run --checks all --mode all` (fixed seed) finds nothing.

    `max_examples` caps the cases per operation and phase (the test suite's quick run);
    the interop session runs schemathesis' default.
    """
    limit = ["--max-examples", str(max_examples)] if max_examples is not None else []
    done = run(
        [tool("schemathesis"), "run", str(spec), "--url", server.base_url, "--checks", "all",
         "--mode", "all", "--seed", SEED, "--generation-database", "none", "--no-color",
         *limit],
        work,
    )  # fmt: skip
    summary = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    return summary.group(0) if summary else "no issues found"


def check_prism(spec: Path, server: Server, work: Path) -> str:
    """Prism's mock, and its validating proxy in front of the server, accept both bodies."""
    npx = shutil.which("npx")
    if npx is None:
        raise InteropError("npx is not installed (Node is needed for Prism)")
    json_body = (json.dumps({"ids": list(server.task_ids)}).encode(), "application/json")
    bodies = [json_body, multipart(server.task_ids), (b'{"ids": null}', "application/json")]
    results: list[str] = []
    for mode, extra in (("mock", []), ("proxy", ["--errors", str(spec), server.base_url])):
        port = "4010" if mode == "mock" else "4011"
        arguments = [str(spec)] if mode == "mock" else extra
        command = [npx, "--yes", PRISM, mode, "-p", port, *arguments]
        with _prism(command, work, f"http://127.0.0.1:{port}") as prism_url:
            for body, content_type in bodies:
                status, _, violations = post(prism_url + OPERATION, body, content_type)
                if status != 200 or violations:
                    raise InteropError(
                        f"prism {mode}: {content_type.split(';')[0]} got {status} {violations}"
                    )
        results.append(f"{mode}: {len(bodies)} bodies 200, no violation")
    return "; ".join(results)


@contextlib.contextmanager
def _prism(command: list[str], work: Path, url: str) -> Iterator[str]:
    log = (work / "prism.log").open("w")
    # npx runs Prism as a grandchild: a session of its own lets one signal stop them all.
    process = subprocess.Popen(
        command, cwd=work, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 180  # the first npx run installs Prism
        while True:
            with contextlib.suppress(OSError):
                post(url + OPERATION, b"{}", "application/json")
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise InteropError(f"prism did not start: see {work / 'prism.log'}")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        log.close()


def lint_documents(spec: Path, work: Path) -> dict[str, Path]:
    """The spec, then each profile's overlaid document (written into `work` as JSON), by label."""
    from mjspec.profiles import DOC, load_profiles

    documents = {spec.name: spec}
    for name, profile in load_profiles(spec).items():
        if name != DOC:
            path = work / f"profile-{name}.json"
            text = json.dumps(profile.document, indent=2, ensure_ascii=False)
            path.write_text(text + "\n", encoding="utf-8")
            documents[f"profile {name}"] = path
    return documents


def npx(package: str, *arguments: str, cwd: Path) -> str:
    """Run a pinned npm package's command through npx; its stdout, even when it exits
    non-zero (a linter that found problems), unless it printed nothing there."""
    found = shutil.which("npx")
    if found is None:
        raise InteropError("npx is not installed (Node is needed for Redocly and Spectral)")
    command = [found, "--yes", "--package", package, "--", *arguments]
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=600,
            env={**os.environ, **NODE_ENV}, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise InteropError(f"`{' '.join(command)}` did not finish in 600 s") from None
    if done.returncode != 0 and not done.stdout.strip():
        raise InteropError(
            f"`{' '.join(command)}` exited {done.returncode}:\n{done.stderr[-3000:]}"
        )
    return done.stdout


def _json_output(tool_name: str, stdout: str) -> Any:
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        raise InteropError(f"{tool_name} did not print JSON:\n{stdout[-3000:]}") from None


def redocly_problems(stdout: str) -> tuple[list[str], int]:
    """`redocly lint --format json` output: its errors and warnings as lines, and how many
    problems it reported in all."""
    report = _json_output("redocly", stdout)
    lines = []
    for problem in report["problems"]:
        if problem["severity"] in ("error", "warn"):
            where = problem["location"][0]["pointer"] if problem["location"] else "#"
            severity = "warning" if problem["severity"] == "warn" else "error"
            lines.append(f"{severity} {problem['ruleId']} at {where}: {problem['message']}")
    return lines, len(report["problems"])


def _escape(part: str) -> str:
    """One JSON Pointer reference token (RFC 6901)."""
    return part.replace("~", "~0").replace("/", "~1")


def spectral_problems(stdout: str) -> tuple[list[str], int]:
    """`spectral lint --format json` output: its errors and warnings as lines, and how many
    results it reported in all (infos and hints included)."""
    results = _json_output("spectral", stdout)
    lines = []
    for result in results:
        if result["severity"] <= 1:
            where = "#/" + "/".join(_escape(str(part)) for part in result["path"])
            severity = SPECTRAL_SEVERITY[result["severity"]]
            lines.append(f"{severity} {result['code']} at {where}: {result['message']}")
    return lines, len(results)


def _lint(
    spec: Path,
    work: Path,
    command: Callable[[Path], tuple[str, ...]],
    judge: Callable[[str], tuple[list[str], int]],
) -> str:
    documents = lint_documents(spec, work)
    found: list[str] = []
    notes = 0
    for label, path in documents.items():
        problems, reported = judge(npx(*command(path), cwd=work))
        found += [f"{label}: {problem}" for problem in problems]
        notes += reported - len(problems)
    if found:
        raise InteropError(f"{len(found)} errors and warnings:\n" + "\n".join(found[:50]))
    extra = f" ({notes} infos and hints)" if notes else ""
    return f"{len(documents)} documents, no error and no warning{extra}"


def check_redocly(spec: Path, work: Path) -> str:
    """`redocly lint` finds no error and no warning in the spec or any overlaid profile."""
    config = ("--config", str(REDOCLY_CONFIG)) if REDOCLY_CONFIG.exists() else ()
    rules = config or ("--extends", "recommended")

    def command(path: Path) -> tuple[str, ...]:
        return (REDOCLY, "redocly", "lint", *rules, "--format", "json", str(path))

    return _lint(spec, work, command, redocly_problems)


def check_spectral(spec: Path, work: Path) -> str:
    """`spectral lint` (spectral:oas) finds no error and no warning in the same documents."""

    def command(path: Path) -> tuple[str, ...]:
        ruleset = ("--ruleset", str(SPECTRAL_RULESET))
        return (SPECTRAL, "spectral", "lint", *ruleset, "--format", "json", "--quiet", str(path))

    return _lint(spec, work, command, spectral_problems)


Check = Callable[[Path, Server, Path], str]
CHECKS: dict[str, Check] = {
    "openapi-python-client": check_openapi_python_client,
    "datamodel-code-generator (pydantic)": check_pydantic_models,
    "schemathesis --checks all": check_schemathesis,
}


def _documents_only(lint: Callable[[Path, Path], str]) -> Check:
    """A lint as a Check: it reads the documents and never the server."""
    return lambda spec, _server, work: lint(spec, work)


LINTS: dict[str, Check] = {
    f"redocly lint {REDOCLY.rpartition('@')[2]}": _documents_only(check_redocly),
    f"spectral lint {SPECTRAL.rpartition('@')[2]}": _documents_only(check_spectral),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--prism", action="store_true", help="also run Prism through npx")
    parser.add_argument(
        "--lint", action="store_true", help="also run Redocly and Spectral through npx"
    )
    options = parser.parse_args(argv)
    checks = {**CHECKS, **({"prism mock and proxy": check_prism} if options.prism else {})}
    if options.lint:
        checks.update(LINTS)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="mjspec-interop-") as temp, mjspec_serve() as server:
        for name, check in checks.items():
            work = Path(temp) / re.sub(r"\W+", "-", name)
            work.mkdir()
            try:
                print(f"ok    {name}: {check(options.spec.resolve(), server, work)}", flush=True)
            except InteropError as error:
                failed += 1
                print(f"FAIL  {name}: {error}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
