"""Write benchmark rows as a Markdown results table (the file the notes quote) and show them."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows (same keys) as a Markdown table."""
    headers = list(rows[0])
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(row[h]) for h in headers) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, rows: list[dict[str, Any]], directory: Path, console: Console) -> Path:
    """Print the rows and write them to DIRECTORY/bench-NAME.md with when and where they were measured."""
    table = Table(*rows[0], title=name)
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bench-{name}.md"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} cores, {_memory_gib():.0f} GiB"
    path.write_text(f"# bench {name}\n\nMeasured {stamp} on {platform.node()} ({machine}; "
                    f"{platform.python_implementation()} {platform.python_version()}).\n\n"
                    f"{markdown_table(rows)}\n")
    path.with_suffix(".json").write_text(json.dumps(
        {"bench": name, "measured_at": stamp, "host": platform.node(), "cores": os.cpu_count(),
         "memory_gib": round(_memory_gib(), 1), "python": platform.python_version(), "rows": rows},
        indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def _memory_gib() -> float:
    """Physical memory of this machine."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
