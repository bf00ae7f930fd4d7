"""`mjspec generate`: golden output, determinism, drift check, spec errors, atomic writes."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import textwrap
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

import pytest
from ruff.__main__ import find_ruff_bin

from mjspec import validation
from mjspec.cli import main
from mjspec.errors import GenerateError, SpecError
from mjspec.generate import cache, generate, render_spec
from mjspec.generate.modelgen import add_field_docs, field_docs, without_untyped_schemas
from mjspec.generate.names import docstring
from mjspec.generate.write import diff_tree, entries, read_entries, read_tree, write_tree
from mjspec.profiles import load_profiles, profile_names
from mjspec.spec import parse_spec, pointer_join, pointer_parts

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "spec" / "openapi.yaml"
GENERATED = ROOT / "generated" / "mjapi"
REGENERATE = "run `mjspec generate` from the repository root"
# More goldens, each a spec under tests/golden/<name>/ and its output committed under
# expected/ (which `nox -s typecheck` checks with mypy --strict, as part of tests/):
# - shop: a multi-operation spec (path, query and header parameters, an object response, a
#   204, a `~` in a path);
# - items: inline object responses, array query parameters, a 201, a 4XX, a multipart body;
# - single: OpenAPI 3.0 (`nullable`), one operation without an operationId, a hyphenated
#   schema name;
# - profiled: a profile beside the spec, rendered with `--package-name acme_mj
#   --default-profile loose` (tests/typing_client.py checks the default's types).
# test_generator_specs.py serves the items and single packages and calls them.
GOLDENS = ROOT / "tests" / "golden"
GOLDEN_NAMES = ["items", "profiled", "shop", "single"]
GOLDEN_OPTIONS = {"profiled": ("acme_mj", "loose")}
"""A golden's --package-name and --default-profile, where not mjapi and doc."""
GOLDEN = GOLDENS / "shop"
GOLDEN_SPEC = "tests/golden/shop/openapi.yaml"


def _golden_options(name: str) -> tuple[str, str]:
    return GOLDEN_OPTIONS.get(name, ("mjapi", "doc"))


def _golden_package(name: str) -> Path:
    return GOLDENS / name / "expected" / _golden_options(name)[0]


def _regenerate_golden(name: str) -> str:
    spec, output = f"tests/golden/{name}/openapi.yaml", f"tests/golden/{name}/expected"
    options = ""
    if name in GOLDEN_OPTIONS:
        package, profile = GOLDEN_OPTIONS[name]
        options = f" --package-name {package} --default-profile {profile}"
    return (
        f"run `mjspec generate --spec {spec} --output {output}{options}` from the repository root"
    )


def _package(found: dict[str, str]) -> dict[str, str]:
    """The package's files of a render, relative to the package directory."""
    return {k.removeprefix("mjapi/"): v for k, v in found.items() if k.startswith("mjapi/")}


@pytest.fixture(scope="module")
def rendered_all() -> dict[str, str]:
    """Every file of a fresh render, relative to the output directory (`generated/`)."""
    with _validating_in_this_process():
        return render_spec(SPEC_PATH, "spec/openapi.yaml")


@pytest.fixture(scope="module")
def rendered(rendered_all: dict[str, str]) -> dict[str, str]:
    return _package(rendered_all)


_WORKER_PAYLOAD = validation._payload


@contextmanager
def _validating_in_this_process() -> Iterator[None]:
    """Renders take `mjspec.validation`'s own fallback: openapi-spec-validator in this
    process, where it is imported once, instead of a worker process that imports it at every
    render ("slower, never different"). `test_the_validators_problems_come_from_its_worker`
    and test_generate_cache.py's cold `mjspec generate` keep the worker."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validation, "_payload", lambda documents: None)
        yield


@pytest.fixture(autouse=True)
def _validation_in_this_process() -> Iterator[None]:
    with _validating_in_this_process():
        yield


@pytest.fixture(scope="module", autouse=True)
def _a_cache_of_the_modules_own(
    tmp_path_factory: pytest.TempPathFactory, rendered_all: dict[str, str]
) -> Iterator[None]:
    """`mjspec generate` here keeps its render cache in a folder of this module (not the
    user's), which starts with the fresh render above: the spec is rendered once."""
    directory = tmp_path_factory.mktemp("render-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MJSPEC_CACHE_DIR", str(directory))
        patch.delenv("MJSPEC_NO_CACHE", raising=False)
        renders = cache.cache_dir()
        assert renders is not None
        cache.store(renders, cache.key(SPEC_PATH, "spec/openapi.yaml"), rendered_all)
        yield


def test_generated_matches_a_fresh_render_file_for_file_and_byte_for_byte(
    rendered_all: dict[str, str],
) -> None:
    assert sorted(name for name in rendered_all if "/" not in name) == [
        "README.md",
        "pyproject.toml",
    ]
    committed = read_entries(GENERATED.parent, entries(rendered_all))
    assert sorted(committed) == sorted(rendered_all), REGENERATE
    for name, text in rendered_all.items():
        assert committed[name] == text.encode(), f"generated/{name} differs: {REGENERATE}"


@pytest.fixture(scope="module")
def golden_all() -> dict[str, str]:
    with _validating_in_this_process():
        return render_spec(GOLDEN / "openapi.yaml", GOLDEN_SPEC)


@pytest.fixture(scope="module")
def golden(golden_all: dict[str, str]) -> dict[str, str]:
    return _package(golden_all)


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_each_golden_matches_a_fresh_render_byte_for_byte(
    name: str, golden_all: dict[str, str]
) -> None:
    if name == "shop":
        found = golden_all
    else:
        spec = f"tests/golden/{name}/openapi.yaml"
        package, profile = _golden_options(name)
        found = render_spec(ROOT / spec, spec, package=package, default_profile=profile)
    committed = GOLDENS / name / "expected"
    diffs = diff_tree(found, committed, committed.relative_to(ROOT).as_posix())
    assert not diffs, "\n".join([*diffs, _regenerate_golden(name)])


def test_every_golden_folder_is_tested_and_type_checked_as_a_package() -> None:
    """A golden's expected/ is a package under tests/ (so mypy --strict checks it in the
    typecheck session), and a folder not in GOLDEN_NAMES would be tested by nothing."""
    folders = sorted(p.name for p in GOLDENS.iterdir() if (p / "openapi.yaml").is_file())
    assert folders == GOLDEN_NAMES
    for name in GOLDEN_NAMES:
        for package in [GOLDENS, GOLDENS / name, GOLDENS / name / "expected"]:
            assert (package / "__init__.py").is_file(), package
        assert (_golden_package(name) / "py.typed").is_file()


def test_a_path_with_a_tilde_keeps_it(golden: dict[str, str]) -> None:
    assert '"/legacy/a~b/ping",' in golden["client.py"]
    assert '"/legacy/a~b/ping",' in golden["server.py"]


def test_an_untyped_schema_makes_no_public_alias_of_any(
    golden: dict[str, str], rendered: dict[str, str]
) -> None:
    assert "class Order(Struct):" in golden["models.py"]
    assert "class Task(Struct):" in rendered["models.py"]
    assert "Problem" not in golden["models.py"]
    assert "Any" not in golden["models.py"]
    assert "Error" not in rendered["models.py"]
    assert '"Error"' not in rendered["__init__.py"]


def test_the_goldens_pass_ruff() -> None:
    """(mypy --strict checks them in the typecheck session: they are packages under tests/.)"""
    committed = [_golden_package(name) for name in GOLDEN_NAMES]
    ruff = subprocess.run(
        [
            find_ruff_bin(),
            "check",
            "--no-cache",
            *(p.relative_to(ROOT).as_posix() for p in committed),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    assert "All checks passed" in ruff.stdout


def test_the_generated_packages_pass_ruffs_own_default_rules() -> None:
    """A project that generates into its own tree lints the package with its own rules; with
    none set but the line length, ruff's defaults (a wider set than this project selects,
    BLE001 among them) find nothing either. Each package is first-party where it sits."""
    packages = [ROOT / "generated" / "mjapi", *(_golden_package(n) for n in GOLDEN_NAMES)]
    roots = [p.parent.relative_to(ROOT).as_posix() for p in packages]
    ruff = subprocess.run(
        [find_ruff_bin(), "check", "--no-cache", "--isolated", "--line-length", "100",
         "--config", f"src={roots!r}", *(p.relative_to(ROOT).as_posix() for p in packages)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    assert "All checks passed" in ruff.stdout


def test_rendering_twice_gives_identical_bytes(rendered_all: dict[str, str]) -> None:
    assert render_spec(SPEC_PATH, "spec/openapi.yaml") == rendered_all


def test_every_profile_gets_its_models_module_and_its_overlay_as_json(
    rendered: dict[str, str],
) -> None:
    profiles = [name for name in profile_names(SPEC_PATH) if name != "doc"]
    assert profiles == ["midjourney-proxy-csharp", "midjourney-proxy-java", "new-api"]
    in_profiles = sorted(name for name in rendered if name.startswith("profiles/"))
    assert in_profiles == sorted(
        ["profiles/__init__.py"]
        + [f"profiles/{name.replace('-', '_')}.py" for name in profiles]
        + [f"profiles/{name}.json" for name in profiles]
    )
    assert "class VideoUrl(Struct):" in rendered["profiles/new_api.py"]
    assert "class VideoUrl(Struct):" not in rendered["models.py"]
    assert "class CsharpResult(Struct):" in rendered["profiles/midjourney_proxy_csharp.py"]


def test_every_python_file_starts_with_the_generated_header(rendered: dict[str, str]) -> None:
    assert sum(name.endswith(".py") for name in rendered) >= 5
    for name, text in rendered.items():
        if name.startswith("profiles/") and name != "profiles/__init__.py":
            overlay = f"spec/profiles/{Path(name).stem.replace('_', '-')}.yaml"
            expected = f"# Generated by `mjspec generate` from spec/openapi.yaml with {overlay}."
        else:
            expected = "# Generated by `mjspec generate` from spec/openapi.yaml."
        if name.endswith(".py"):
            comment = text[: text.index("\n# Do not edit")]  # wrapped to the line length
            assert " ".join(comment.replace("\n# ", " ").split()) == expected, name
            assert all(len(line) <= 100 for line in comment.splitlines()), name
    assert "datamodel-codegen" not in rendered["models.py"]


def test_the_shipped_overlays_give_the_same_profiles_outside_a_checkout(tmp_path: Path) -> None:
    """Overlays live in `profiles/` next to the spec, in the package as in the checkout."""
    installed = tmp_path / "site-packages" / "mjapi"
    shutil.copytree(GENERATED, installed, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    # openapi-spec-validator checks the checkout's documents; the shipped ones must equal them
    shipped = load_profiles(installed / "openapi.json", validate=False)
    checkout = load_profiles(SPEC_PATH)
    assert list(shipped) == list(checkout)
    for name, profile in checkout.items():
        assert shipped[name].document == profile.document, name
        assert shipped[name].title == profile.title
    overlay = json.loads((installed / "profiles" / "new-api.json").read_text(encoding="utf-8"))
    assert overlay["extends"] == "../openapi.json"


def test_the_package_that_is_imported_finds_its_profiles() -> None:
    spec = Path(str(files("mjapi") / "openapi.json"))
    # the files the test above finds equal to the checkout's checked profiles
    assert list(load_profiles(spec, validate=False)) == profile_names(SPEC_PATH)


def test_every_data_file_of_the_package_is_in_its_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["mjapi"]
    data = [name for name in read_tree(GENERATED) if not name.endswith(".py")]
    assert "profiles/new-api.json" in data
    unshipped = [n for n in data if not any(fnmatch.fnmatch(n, p) for p in patterns)]
    assert unshipped == []


def test_the_output_has_no_timestamps_or_tool_versions(rendered: dict[str, str]) -> None:
    code = "\n".join(text for name, text in rendered.items() if name.endswith(".py"))
    assert "class Task(Struct):" in code
    assert re.search(r"20\d\d-\d\d-\d\d|\d\d:\d\d:\d\d", code) is None
    assert re.search(r"#.*timestamp", code, re.IGNORECASE) is None
    assert "0.89.0" not in code


def test_check_passes_on_the_committed_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["generate", "--check"]) == 0
    assert "is current" in capsys.readouterr().out


def _copy_generated(tmp_path: Path) -> Path:
    out = tmp_path / "generated"
    shutil.copytree(GENERATED.parent, out, ignore=shutil.ignore_patterns("__pycache__"))
    return out


@pytest.mark.parametrize(
    "edit",
    [
        "change",
        "add",
        "delete",
        "crlf",
        "binary",
        "profile-models",
        "overlay",
        "no-overlay",
        "pyproject",
        "no-readme",
    ],
)
def test_check_fails_with_a_diff_on_any_edit_and_writes_nothing(
    edit: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _copy_generated(tmp_path)
    client = out / "mjapi" / "client.py"
    profiles = out / "mjapi" / "profiles"
    if edit == "profile-models":
        models = profiles / "new_api.py"
        models.write_text(models.read_text().replace("| None", "", 1))
    elif edit == "overlay":
        overlay = profiles / "midjourney-proxy-java.json"
        overlay.write_text(overlay.read_text().replace("mj-api-secret", "mj-api-key"))
    elif edit == "no-overlay":
        (profiles / "new-api.json").unlink()
    elif edit == "pyproject":
        pyproject = out / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('"msgspec>=0.19",\n', ""))
    elif edit == "no-readme":
        (out / "README.md").unlink()
    elif edit == "change":
        client.write_text(
            client.read_text().replace("timeout: float = 30.0", "timeout: float = 5.0")
        )
    elif edit == "add":
        (out / "mjapi" / "extra.py").write_text("x = 1\n")
    elif edit == "delete":
        client.unlink()
    elif edit == "crlf":
        client.write_bytes(client.read_bytes().replace(b"\n", b"\r\n"))
    else:
        client.write_bytes(client.read_bytes() + b"\xff\xfe")
    before = read_tree(out)
    monkeypatch.chdir(ROOT)
    assert main(["generate", "--check", "--output", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "is out of date" in printed
    assert "@@" in printed
    assert read_tree(out) == before


def test_generate_leaves_what_it_does_not_make_beside_the_package_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel built into `generated/dist/` is neither drift nor deleted by a regenerate."""
    out = _copy_generated(tmp_path)
    (out / "dist").mkdir()
    (out / "dist" / "mjapi-1.0.0-py3-none-any.whl").write_bytes(b"PK")
    (out / "pyproject.toml").write_text("broken\n")
    monkeypatch.chdir(ROOT)
    assert main(["generate", "--output", str(out)]) == 0
    assert main(["generate", "--check", "--output", str(out)]) == 0
    assert (out / "dist" / "mjapi-1.0.0-py3-none-any.whl").read_bytes() == b"PK"
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "dist", "mjapi", "pyproject.toml"]


def test_generate_repairs_an_edited_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _copy_generated(tmp_path)
    (out / "mjapi" / "client.py").write_text("broken\n")
    monkeypatch.chdir(ROOT)
    assert main(["generate", "--output", str(out)]) == 0
    assert main(["generate", "--check", "--output", str(out)]) == 0


def test_a_spec_without_profiles_generates_no_profiles_package(tmp_path: Path) -> None:
    outcome = generate(_spec(tmp_path, MINIMAL), tmp_path / "out", check=False)
    assert sorted(outcome.files) == [
        "README.md",
        "mjapi/__init__.py",
        "mjapi/_asgi.py",
        "mjapi/_http.py",
        "mjapi/client.py",
        "mjapi/errors.py",
        "mjapi/models.py",
        "mjapi/openapi.json",
        "mjapi/py.typed",
        "mjapi/server.py",
        "pyproject.toml",
    ]
    assert "import profiles" not in outcome.files["mjapi/client.py"]
    assert "overload" not in outcome.files["mjapi/client.py"]


def test_a_bad_overlay_is_a_one_line_error_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _spec(tmp_path, MINIMAL)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "odd.yaml").write_text(
        "overlay: 1.0.0\ninfo: {title: odd}\nactions:\n  - target: $.nope\n    remove: true\n"
    )
    assert main(["generate", "--spec", str(spec), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    source = (tmp_path / "profiles" / "odd.yaml").as_posix()
    assert err == (
        f"mjspec: error: {source}#/actions/0/target: the target $.nope matches nothing "
        "in the document\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_profile_of_an_inline_spec_gets_its_own_models_and_client_type(tmp_path: Path) -> None:
    spec = _spec(tmp_path, MINIMAL)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "lax.yaml").write_text(
        textwrap.dedent(
            """\
            overlay: 1.0.0
            info: {title: lax}
            actions:
              - target: $.components.schemas.A.properties.n
                update: {type: [integer, 'null']}
            """
        )
    )
    outcome = generate(spec, tmp_path / "out", check=False)
    assert "mjapi/profiles/lax.py" in outcome.files
    assert "mjapi/profiles/lax.json" in outcome.files
    client = outcome.files["mjapi/client.py"]
    assert "self: Client[profiles.lax.A]" in client
    assert "def get_a(self) -> _GetAT:" in client


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(text))
    return path


MINIMAL = """\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /a:
    get:
      operationId: getA
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/A'}
components:
  schemas:
    A:
      type: object
      properties:
        n: {type: integer, format: int64}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MINIMAL.replace("#/components/schemas/A'", "#/components/schemas/Nope'"),
            "bad.yaml#/paths/~1a/get/responses/200/content/application~1json/schema/$ref: "
            "unresolved $ref '#/components/schemas/Nope' "
            "(expected a pointer to a part of this file)",
        ),
        (
            MINIMAL.replace("format: int64", "format: int128"),
            "bad.yaml#/components/schemas/A/properties/n/format: "
            "unsupported format 'int128' for integer (expected int32 or int64)",
        ),
        (
            MINIMAL.replace("type: integer", "type: intger"),
            "bad.yaml#/components/schemas/A/properties/n/type: unsupported type 'intger' "
            "(expected one of array, boolean, integer, null, number, object, string)",
        ),
        (
            MINIMAL.replace("openapi: 3.1.0", "openapi: 2.0"),
            "bad.yaml#/openapi: unsupported OpenAPI version: "
            "expected a string 3.0.x or 3.1.x, found number 2.0",
        ),
        (
            MINIMAL.replace("'200'", "'404'"),
            "bad.yaml#/paths/~1a/get/responses: "
            "no success response: expected a 2xx status, found ['404']",
        ),
        (
            MINIMAL.replace(
                "operationId: getA",
                "operationId: getA\n      parameters:\n"
                "        - {name: s, in: cookie, schema: {type: string}}",
            ),
            "bad.yaml#/paths/~1a/get/parameters/0/in: "
            "unsupported parameter location 'cookie' (expected path, query or header)",
        ),
        (
            MINIMAL.replace("paths:\n  /a:", "paths:\n  /a/{id}:"),
            "bad.yaml#/paths/~1a~1{id}/get: path template variable {id} has no path parameter",
        ),
        (
            "- just\n- a list\n",
            "bad.yaml#: expected an OpenAPI document (a mapping), found an array of 2",
        ),
        (
            MINIMAL.replace("info: {title: t, version: '1'}", "info: {title: t}"),
            'bad.yaml#/info: "version" is a required property',
        ),
    ],
)
def test_a_bad_spec_gets_an_error_naming_file_and_pointer(
    text: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _spec(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as caught:
        generate(Path("bad.yaml"), tmp_path / "out", check=False)
    assert str(caught.value) == message
    assert not (tmp_path / "out").exists()


def test_the_validators_problems_come_from_its_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What only openapi-spec-validator finds, as the worker process reports it: the same
    line as in this process (the case above)."""
    monkeypatch.setattr(validation, "_payload", _WORKER_PAYLOAD)
    started: list[validation.Validation] = []

    class Recorded(validation.Validation):
        def __init__(self, documents: Sequence[validation.Document], **_: object) -> None:
            super().__init__(documents, worker=True)
            started.append(self)

    monkeypatch.setattr(validation, "Validation", Recorded)
    _spec(tmp_path, MINIMAL.replace("info: {title: t, version: '1'}", "info: {title: t}"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as caught:
        generate(Path("bad.yaml"), tmp_path / "out", check=False)
    assert str(caught.value) == 'bad.yaml#/info: "version" is a required property'
    assert [answer.answered_by_worker for answer in started] == [True]
    assert not (tmp_path / "out").exists()


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = MINIMAL.replace("format: int64", "format: int128").replace(
        "#/components/schemas/A'", "#/components/schemas/Nope'"
    )
    with pytest.raises(SpecError) as caught:
        generate(_spec(tmp_path, text), tmp_path / "out", check=False)
    assert len(caught.value.problems) == 2


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"bad\.yaml#: not valid YAML or JSON at line 2, column"):
        parse_spec("a: [1,\nb: }", "bad.yaml")


def test_a_missing_spec_file_is_a_one_line_error_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["generate", "--spec", str(tmp_path / "nope.yaml"), "--output", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert err == f"mjspec: error: {(tmp_path / 'nope.yaml').as_posix()}#: no such file\n"


def test_a_bad_spec_leaves_the_previous_output_untouched(tmp_path: Path) -> None:
    out = _copy_generated(tmp_path)
    before = read_tree(out)
    bad = _spec(tmp_path, MINIMAL.replace("type: integer", "type: intger"))
    with pytest.raises(SpecError):
        generate(bad, out, check=False)
    assert read_tree(out) == before


@pytest.mark.parametrize(
    ("failure", "raised", "said"),
    [
        (OSError(28, "No space left on device"), GenerateError, "No space left"),
        (KeyboardInterrupt(), KeyboardInterrupt, None),
    ],
    ids=["disk full", "ctrl-c between two renames"],
)
def test_a_failed_write_leaves_the_previous_output_untouched(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
    raised: type[BaseException],
    said: str | None,
) -> None:
    """The package is swapped in first; a failure on the next entry, or Ctrl-C there (the
    old entries then sit in a directory that is deleted on the way out), puts it back."""
    root = tmp_path / "out"
    write_tree({"pkg/a.py": "old\n", "pyproject.toml": "old\n"}, root)
    (root / "dist").mkdir()
    real_replace = os.replace

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(src).name == "pyproject.toml" and Path(src).parent.name.startswith(".mjspec.new-"):
            raise failure
        real_replace(src, dst)

    monkeypatch.setattr("mjspec.generate.write.os.replace", failing_replace)
    with pytest.raises(raised, match=said):
        write_tree({"pkg/a.py": "new\n", "pkg/b.py": "b\n", "pyproject.toml": "new\n"}, root)
    assert read_tree(root) == {"pkg/a.py": b"old\n", "pyproject.toml": b"old\n"}
    assert sorted(p.name for p in root.iterdir()) == ["dist", "pkg", "pyproject.toml"]


def test_a_json_pointer_is_unescaped_part_by_part() -> None:
    assert pointer_parts("/paths/~1legacy~1a~0b~1ping/get") == ["paths", "/legacy/a~b/ping", "get"]
    assert pointer_parts("/a~01") == ["a~1"]  # ~1 is undone before ~0
    assert pointer_parts(pointer_join("", "/x~y", "z")) == ["/x~y", "z"]


def test_field_docs_become_attribute_docstrings_and_leave_types_alone() -> None:
    doc = {
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "description": "A thing.",
                    "required": ["someName"],
                    "properties": {
                        "someName": {"type": "string", "description": 'Says "hi"', "minLength": 1},
                        "other": {"type": "integer", "examples": [1, 2]},
                    },
                }
            }
        }
    }
    bare, docs = field_docs(doc)
    assert docs == {"Thing": {"": "A thing.", "someName": 'Says "hi"', "other": "Examples: 1, 2"}}
    assert bare["components"]["schemas"]["Thing"]["properties"]["someName"] == {
        "type": "string",
        "minLength": 1,
    }
    assert "description" in doc["components"]["schemas"]["Thing"]  # the input is not changed
    source = (
        "class Thing(Struct):\n"
        '    some_name: Annotated[str, Meta(min_length=1)] = field(name="someName")\n'
        "    other: int | UnsetType = UNSET\n"
    )
    assert add_field_docs(source, docs) == (
        "class Thing(Struct):\n"
        '    """A thing."""\n'
        "\n"
        '    some_name: Annotated[str, Meta(min_length=1)] = field(name="someName")\n'
        '    """Says "hi\\""""\n'
        "    other: int | UnsetType = UNSET\n"
        '    """Examples: 1, 2"""\n'
    )


def test_an_untyped_component_schema_is_dropped_and_its_refs_become_any() -> None:
    ref = {"$ref": "#/components/schemas/Blob", "description": "anything"}
    doc = {
        "components": {
            "schemas": {
                "Blob": {"description": "any JSON value"},
                "Box": {"type": "object", "properties": {"blob": ref}},
            }
        }
    }
    out = without_untyped_schemas(doc)
    assert set(out["components"]["schemas"]) == {"Box"}
    assert out["components"]["schemas"]["Box"]["properties"]["blob"] == {"description": "anything"}
    assert "Blob" in doc["components"]["schemas"]


def test_a_docstring_is_wrapped_and_escaped() -> None:
    assert docstring('a """ b \\ c', 4) == '"""a \\"\\"\\" b \\\\ c"""'
    wrapped = docstring("word " * 40, 4)
    assert all(len("    " + line) <= 100 for line in wrapped.splitlines())
    assert wrapped.endswith('\n    """')
