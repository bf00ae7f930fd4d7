"""Generation: a spec file and its profiles in, the `mjapi` package and its distribution out.

The stages, in the order data flows through them (`pipeline` drives them):

1. `mjspec.spec` / `mjspec.profiles` load and check the spec and apply each overlay
   (shared with the kit and the reference server, so they live outside this package);
2. `normalize`: inline schemas hoisted into named components;
3. `modelgen`: the components as msgspec Structs (datamodel-code-generator), read back
   with `ast` into a `ModelIndex`;
4. `ir` (with `names`): every operation as frozen dataclasses holding each name,
   annotation and expression the templates print;
5. `render` (with `templates/`): one Jinja2 template per file, then the pinned ruff;
6. `write`: the atomic swap into place and the drift check; `cache` keeps rendered file
   sets keyed on everything they depend on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mjspec.generate.pipeline import Outcome, generate, render_spec

__all__ = ["Outcome", "generate", "render_spec"]


def __getattr__(name: str) -> Any:
    """The pipeline's names, imported when first asked for: a stage run on its own (the
    models worker, `python -m mjspec.generate.modelgen`) does not import the pipeline."""
    if name in __all__:
        from mjspec.generate import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
