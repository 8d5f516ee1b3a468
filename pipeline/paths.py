"""Where things are: the project's own files (schemas, deploy descriptors) and the programs it runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.errors import PrerequisiteMissing

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
DEPLOY_DIR = PROJECT_ROOT / "deploy"
KAFKA_POM = DEPLOY_DIR / "local" / "kafka" / "pom.xml"


def require_executable(name: str, install_hint: str) -> str:
    """Full path of executable `name` (a name on PATH or a path), or PrerequisiteMissing with the hint."""
    found = shutil.which(name)
    if found is None:
        raise PrerequisiteMissing(f"{name!r} was not found; {install_hint}")
    return found
