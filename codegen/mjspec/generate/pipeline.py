"""The generation pipeline: spec file and profiles -> checked documents -> IR + models -> files.

The spec is rendered once with every profile next to it (`profiles/` beside the spec
file) into one package, `mjapi` unless `package` says otherwise: `mjapi/models.py` holds
the spec's own models, `mjapi/profiles/<module>.py` each profile's, and
`mjapi/profiles/<name>.json` ships each overlay beside `mjapi/openapi.json` so that
`load_profiles` finds them in the installed package too. A spec without a `profiles/`
folder gives the package without the `profiles` subpackage. `default_profile` is the
profile a client gets when none is named (`doc`, the spec itself, unless told
otherwise). Beside the package, `pyproject.toml` and `README.md` make the output
directory a distribution of its own (`pip install ./generated`: the client without the
generator); `package_only` leaves them out.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mjspec.errors import UsageError
from mjspec.generate.names import DEFAULT_PACKAGE, package_name
from mjspec.generate.write import diff_tree, write_tree
from mjspec.profiles import DOC

# The rendering stages are imported where they run: a cached render needs none of them.
if TYPE_CHECKING:
    from mjspec.generate.ir import ProfileInput
    from mjspec.generate.modelgen import ModelIndex, Models
    from mjspec.profiles import Profile
    from mjspec.validation import Validation

SHIPPED_SPEC = "openapi.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    files: dict[str, str]  # relative to `output`: the package and the distribution's files
    diffs: list[str]  # empty when the output directory already matched
    output: Path


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def overlay_label(source: str, profile: Profile) -> str:
    """How generated headers name an overlay: in `profiles/` beside the spec's label."""
    return posixpath.join(posixpath.dirname(source), "profiles", Path(profile.source).name)


@dataclass(frozen=True, slots=True)
class ModelJob:
    """One document whose models are generated: the spec's own, or a profile's."""

    profile: Profile
    label: str
    """How generated headers and messages name it: the spec, or its overlay beside it."""
    document: dict[str, Any]
    """Normalized (`normalize`)."""
    header: str


def model_jobs(profiles: Mapping[str, Profile], source: str) -> list[ModelJob]:
    """The documents to generate models for, the spec's own first."""
    from mjspec.generate.normalize import normalize
    from mjspec.generate.render import header

    doc = profiles[DOC]
    jobs = [ModelJob(doc, source, normalize(doc.document, source), header(source))]
    for profile in profiles.values():
        if profile.name != DOC:
            label = overlay_label(source, profile)
            document = normalize(profile.document, label)
            jobs.append(ModelJob(profile, label, document, header(f"{source} with {label}")))
    return jobs


def _render(
    jobs: Sequence[ModelJob],
    sources: Sequence[str],
    *,
    package: str,
    default_profile: str,
) -> dict[str, str]:
    """The files, from the model jobs and their models' source (in the same order)."""
    from mjspec.generate.ir import build
    from mjspec.generate.modelgen import index_models
    from mjspec.generate.render import render

    doc, *others = jobs
    source = doc.label  # the spec's path as given
    models = index_models(sources[0])
    inputs = [_profile_input(doc.profile, doc.document, models, source)]
    profile_models: dict[str, str] = {}
    overlays: dict[str, str] = {}
    for job, text in zip(others, sources[1:], strict=True):
        profile = job.profile
        inputs.append(_profile_input(profile, job.document, index_models(text), job.label))
        profile_models[profile.module_name] = text
        overlays[profile.name] = _json(_shipped_overlay(profile.overlay or {}))
    api = build(
        doc.document, models, source, inputs, package=package, default_profile=default_profile
    )
    spec = doc.profile.document
    return render(
        api,
        sources[0],
        _json(spec),
        api_version=str(spec.get("info", {}).get("version", "")),
        profile_models=profile_models,
        overlays=overlays,
    )


def _unknown_profile(name: str, choices: list[str], source: str) -> UsageError:
    return UsageError(
        f"the default profile {name!r} is not a profile of {source}; "
        f"choose one of: {', '.join(choices)}"
    )


def render_spec(
    spec_path: Path,
    source: str,
    *,
    package: str = DEFAULT_PACKAGE,
    default_profile: str = DOC,
    models: Models | None = None,
) -> dict[str, str]:
    """Every generated file for a spec file and the profiles next to it; writes nothing.

    Our own checks run first, then openapi-spec-validator, whose verdict decides: problems
    it finds are raised as the SpecError, in place of the files or of a rendering failure.
    `models` makes the models (None: in this process). Given `Models(worker=True)`, made
    before anything else by a one-off process such as the `mjspec generate` command, the
    slow tools do not run one after the other: datamodel-code-generator is imported in the
    worker while the spec is read, and the documents are validated here while it
    generates; otherwise the validator runs in a worker unless it is imported already
    (see `mjspec.validation`).
    """
    from mjspec.generate.modelgen import Models
    from mjspec.generate.render import compile_templates
    from mjspec.profiles import checked_label, load_profiles
    from mjspec.validation import Validation

    with contextlib.ExitStack() as stack:
        if models is None:
            models = stack.enter_context(Models(worker=False))
        package_name(package)  # a name that cannot be a package's: one line, exit 2
        profiles = load_profiles(spec_path, validate=False)
        if default_profile not in profiles:
            raise _unknown_profile(default_profile, list(profiles), source)
        documents = [
            (profile.source if name == DOC else checked_label(profile.source), profile.document)
            for name, profile in profiles.items()
        ]
        with Validation(documents, worker=False if models.in_worker else None) as validation:
            try:
                jobs = model_jobs(profiles, source)
                models.submit([(job.document, job.header) for job in jobs])
                if models.in_worker:  # while the worker generates: validate, compile
                    _raise_problems(validation)
                    compile_templates()
                files = _render(
                    jobs, models.results(), package=package, default_profile=default_profile
                )
            except Exception:
                # an invalid document: that is the error, not what rendering made of it
                _raise_problems(validation)
                raise
            _raise_problems(validation)
    return files


def _raise_problems(validation: Validation) -> None:
    from mjspec.errors import SpecError

    problems = validation.problems()
    if problems:
        raise SpecError(problems) from None


def _profile_input(
    profile: Profile, document: dict[str, Any], models: ModelIndex, source: str
) -> ProfileInput:
    from mjspec.generate.ir import ProfileInput

    ways = profile.auth_ways
    # A profile that declares no way of sending a key gets the document's: Bearer.
    header_name, bearer = (ways[0].header, ways[0].bearer) if ways else ("Authorization", True)
    return ProfileInput(
        name=profile.name,
        module="" if profile.name == DOC else profile.module_name,
        title=profile.title,
        document=document,
        models=models,
        source=source,
        auth_header=header_name,
        bearer=bearer,
    )


def _shipped_overlay(overlay: Mapping[str, Any]) -> dict[str, Any]:
    """The overlay as shipped beside `openapi.json`: `extends` names the shipped spec."""
    shipped = dict(overlay)
    if "extends" in shipped:
        shipped["extends"] = f"../{SHIPPED_SPEC}"
    return shipped


def source_label(spec_path: Path) -> str:
    """How generated headers name the spec: relative to the working directory when inside it."""
    try:
        return spec_path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return spec_path.name


def cached_render(
    spec_path: Path,
    source: str,
    *,
    package: str = DEFAULT_PACKAGE,
    default_profile: str = DOC,
    models: Models | None = None,
) -> dict[str, str]:
    """`render_spec`, or the file set a previous render of the same inputs kept (see cache).

    `models` is passed on to `render_spec`, which checks `package` and `default_profile`
    (a file set is kept only once a render of the same inputs has succeeded).
    """
    from mjspec.generate import cache

    options = {"package": package, "default_profile": default_profile}
    directory = cache.cache_dir()
    if directory is None:
        return render_spec(spec_path, source, **options, models=models)
    try:
        entry = cache.key(spec_path, source, **options)
    except OSError:  # an input cannot be read: the render says which, and how
        return render_spec(spec_path, source, **options, models=models)
    kept = cache.load(directory, entry)
    if kept is not None:
        return kept
    files = render_spec(spec_path, source, **options, models=models)
    cache.store(directory, entry, files)
    return files


def package_files(files: Mapping[str, str], package: str) -> dict[str, str]:
    """The files of the package alone, without the distribution's beside it."""
    return {name: text for name, text in files.items() if name.startswith(f"{package}/")}


def generate(
    spec_path: Path,
    output: Path,
    *,
    check: bool,
    package: str = DEFAULT_PACKAGE,
    default_profile: str = DOC,
    package_only: bool = False,
    models: Models | None = None,
) -> Outcome:
    """Render the spec and its profiles; compare with `output`, and unless `check`, write.

    The rendered files come from the cache when nothing they depend on changed; either
    way they are compared with what is on disk, byte for byte.
    Only what the generator makes is compared and replaced: the package directory as a
    whole (a stray file in it is drift) and, unless `package_only`, the distribution's
    files beside it; anything else in `output` (a `dist/` from a build) is left alone.
    """
    files = cached_render(
        spec_path,
        source_label(spec_path),
        package=package,
        default_profile=default_profile,
        models=models,
    )
    if package_only:
        files = package_files(files, package)
    diffs = diff_tree(files, output, output.as_posix())
    if diffs and not check:
        write_tree(files, output)
    return Outcome(files=files, diffs=diffs, output=output)
