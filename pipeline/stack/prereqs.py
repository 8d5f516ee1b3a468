"""Finds the PostgreSQL server the local stack runs, failing with one line that says what to do."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.errors import PrerequisiteMissing


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL server's bin directory (Debian layout), or PrerequisiteMissing."""
    override = os.environ.get("TRACEPIPE_PG_BINDIR")
    candidates = [Path(override)] if override else sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True
    )
    for bindir in candidates:
        if (bindir / "postgres").exists() and (bindir / "initdb").exists():
            return bindir
    raise PrerequisiteMissing(
        "PostgreSQL server not found; run scripts/bootstrap.sh (or: apt-get install postgresql)"
    )
