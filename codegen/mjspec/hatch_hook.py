"""A hatchling build hook: a project's wheel gets a client package generated from its spec.

A project that consumes a spec configures it in its own `pyproject.toml`:

    [build-system]
    requires = ["hatchling", "mjspec"]
    build-backend = "hatchling.build"

    [tool.hatch.build.hooks.mjspec]
    spec = "openapi.yaml"    # a path in the project (overlays in `profiles/` beside it)
    package = "acme_mj"      # the package to generate
    profile = "new-api"      # optional: the profile `Client(url)` gets (default doc)

While a wheel (or an editable wheel) is built, the package is rendered exactly as
`mjspec generate --package-name acme_mj --default-profile new-api` renders it, written
into a temporary directory outside the project, and force-included into the wheel, so
nothing is written into the project's tree. An sdist is left alone: it carries the spec,
and the wheel built from it generates the package again. A spec mjspec refuses fails the
build with mjspec's one-line message (`openapi.yaml#/paths/...: ...`), no traceback.

hatchling finds this module through the `hatch` entry point of mjspec's distribution;
`import mjspec` never imports it, or hatchling.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl

from mjspec.errors import MjspecError, UsageError, message

SECTION = "[tool.hatch.build.hooks.mjspec]"
OPTIONS = ("spec", "package", "profile")
# what hatchling itself reads from every hook's table
_HATCHLING_OPTIONS = frozenset(
    {
        "dependencies",
        "enable-by-default",
        "require-runtime-dependencies",
        "require-runtime-features",
    }
)


class MjspecBuildHook(BuildHookInterface[BuilderConfig]):
    """Generate the configured package into every wheel the project builds."""

    PLUGIN_NAME = "mjspec"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":  # the sdist keeps the spec, not generated code
            return
        try:
            spec, package, profile = self._options()
            staging = self._render(spec, package, profile)
        except MjspecError as exc:
            # one line, as `mjspec generate` prints it; a traceback would bury it
            raise SystemExit(message(exc)) from None
        self._staging = staging
        build_data["force_include"][str(staging / package)] = package
        self._warn_about_missing_dependencies(package)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        staging = getattr(self, "_staging", None)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)

    def _options(self) -> tuple[Path, str, str]:
        config = self.config
        unknown = sorted(set(config) - set(OPTIONS) - _HATCHLING_OPTIONS)
        if unknown:
            raise UsageError(
                f"{SECTION}: unknown option {unknown[0]!r}; the options are {', '.join(OPTIONS)}"
            )
        for option in OPTIONS:
            if option in config and not (isinstance(config[option], str) and config[option]):
                raise UsageError(f"{SECTION}: {option} must be a non-empty string")
        for option in ("spec", "package"):
            if option not in config:
                raise UsageError(
                    f"{SECTION}: {option} is required "
                    '(e.g. spec = "openapi.yaml", package = "acme_mj")'
                )
        from mjspec.generate.names import package_name

        package = package_name(config["package"])
        root = Path(self.root)
        for place in (root / package, root / "src" / package):
            if place.exists():
                raise UsageError(
                    f"{SECTION}: the project already holds {place.relative_to(root).as_posix()}, "
                    f"but the hook generates the package {package} at build time: remove "
                    "one of the two"
                )
        spec = Path(config["spec"])
        # relative to the project, as messages name it, when the build runs from there
        # (PEP 517 frontends do); else absolute
        if spec.is_absolute() or Path.cwd().resolve() != root.resolve():
            spec = root / spec
        return spec, package, str(config.get("profile", "doc"))

    def _render(self, spec: Path, package: str, profile: str) -> Path:
        """The package's files, rendered (or taken from mjspec's cache) into a new directory."""
        from mjspec.generate.pipeline import cached_render, package_files
        from mjspec.generate.write import write_tree

        # generated headers name the spec as the project does, wherever it is built
        label = PurePosixPath(str(self.config["spec"]).replace("\\", "/")).as_posix()
        from mjspec.generate.modelgen import Models

        # as `mjspec generate`: the generator's worker starts before the cache is looked up
        with Models() as models:
            files = cached_render(
                spec, label, package=package, default_profile=profile, models=models
            )
        staging = Path(tempfile.mkdtemp(prefix="mjspec-hatch-"))
        atexit.register(shutil.rmtree, staging, True)  # should the build fail before finalize
        write_tree(package_files(files, package), staging)
        return staging

    def _warn_about_missing_dependencies(self, package: str) -> None:
        """The generated client imports httpx, msgspec and anyio: the project must require them."""
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name

        from mjspec.generate.render import CLIENT_REQUIREMENTS

        declared = {canonicalize_name(Requirement(r).name) for r in self.metadata.core.dependencies}
        missing = [
            r for r in CLIENT_REQUIREMENTS if canonicalize_name(Requirement(r).name) not in declared
        ]
        if missing:
            self.app.display_warning(
                f"mjspec: the generated package {package} imports what the project does not "
                f"require: add {', '.join(missing)} to [project] dependencies"
            )


@hookimpl
def hatch_register_build_hook() -> type[MjspecBuildHook]:
    return MjspecBuildHook
