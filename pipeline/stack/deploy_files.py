"""Check or rewrite the generated parts of deploy/ (the texts come from pipeline/stack/deploy_render.py)."""

from __future__ import annotations

from pathlib import Path

from pipeline.paths import PROJECT_ROOT
from pipeline.stack.deploy_render import GENERATED_PATHS, render


def _current(root: Path) -> dict[str, str]:
    return {rel: (root / rel).read_text(encoding="utf-8") for rel in GENERATED_PATHS if (root / rel).is_file()}


def expected(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Every generated file's text as the topology says it should be (relative path -> text)."""
    return render(_current(root))


def drifted(root: Path = PROJECT_ROOT) -> list[str]:
    """Generated files (relative paths) whose text on disk differs from what the topology renders."""
    current = _current(root)
    return sorted(rel for rel, text in render(current).items() if current.get(rel) != text)


def write(root: Path = PROJECT_ROOT) -> list[str]:
    """Rewrite the generated files that differ; returns their relative paths."""
    current, wanted = _current(root), expected(root)
    stale = sorted(rel for rel, text in wanted.items() if current.get(rel) != text)
    for rel in stale:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted[rel], encoding="utf-8")
    return stale
