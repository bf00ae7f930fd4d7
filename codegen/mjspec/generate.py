"""The generation pipeline: spec file -> checked document -> IR + models -> files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mjspec.ir import build
from mjspec.modelgen import generate_models, index_models
from mjspec.normalize import normalize
from mjspec.render import PACKAGE, header, render
from mjspec.spec import load_spec
from mjspec.write import diff_tree, write_tree


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    files: dict[str, str]
    diffs: list[str]  # empty when the output directory already matched
    package_dir: Path


def render_document(doc: dict[str, Any], source: str) -> dict[str, str]:
    """Every generated file for a checked spec document; writes nothing."""
    normalized = normalize(doc, source)
    models_source = generate_models(normalized, header(source))
    api = build(normalized, index_models(models_source), source)
    spec_json = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return render(api, models_source, spec_json)


def source_label(spec_path: Path) -> str:
    """How generated headers name the spec: relative to the working directory when inside it."""
    try:
        return spec_path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return spec_path.name


def generate(spec_path: Path, output: Path, *, check: bool) -> Outcome:
    """Render the spec; compare with `output`, and unless `check`, write what differs."""
    source = source_label(spec_path)
    rendered = render_document(load_spec(spec_path), source)
    package_dir = output / PACKAGE
    files = {name.removeprefix(f"{PACKAGE}/"): text for name, text in rendered.items()}
    diffs = diff_tree(files, package_dir, package_dir.as_posix())
    if diffs and not check:
        write_tree(files, package_dir)
    return Outcome(files=files, diffs=diffs, package_dir=package_dir)
