"""Measures what the dedupe and serial-linker tables cost in memory per firearm remembered.

Identities are remembered for as long as the compacted changelog keeps them: indefinitely, because a gun
can resurface years later (time-to-crime in Mexico averages 5.4 years). This bench fills each table the
way the processors do (faust's memory store keeps decoded values), through the real rules, and reports
bytes per firearm, so operators can size workers or move to a disk-backed store.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pipeline.processors.serial_linker import SerialTable
from pipeline.rules.dedupe import Sighting, decide_sighting
from pipeline.rules.possible_duplicates import IndexedSerial, family_key, match_bucket, serial_key

FAMILY = family_key("GLOCK") or "GLOCK"


def _serial(i: int) -> str:
    return f"ABC{i:07d}"


def firearms_table(n: int) -> dict[bytes, Any]:
    """The dedupe table after n first sightings."""
    table: dict[bytes, Any] = {}
    for i in range(n):
        key = f"GLOCK|{_serial(i)}"
        memory, _ = decide_sighting(None, Sighting(key, f"FGE-JAL:{i:09d}", f"{i % 6}:{i}"))
        table[key.encode()] = memory.to_json()
    return table


def serial_bucket_table(n: int) -> SerialTable:
    """The serial linker's state after n new traces: one table entry per trace, and the neighbourhood index."""
    state = SerialTable({})
    day = date(2024, 7, 1)
    for i in range(n):
        recovered = day + timedelta(days=i % 365)
        entry = IndexedSerial(f"TR-{i:020d}", _serial(i), "G19", "9MM", recovered, "14", 20.6, -103.3)
        key = serial_key(FAMILY, entry.serial)
        bucket, _ = match_bucket(state.filed(key), entry)
        state.file(key, bucket)
    return state


def _measure(build: Callable[[int], dict[bytes, Any] | SerialTable], n: int) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    table = build(n)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return used, len(table.table if isinstance(table, SerialTable) else table)


def run_dedupe_memory_bench(n: int) -> list[dict[str, Any]]:
    """One row per table: entries, MiB, bytes per firearm, MiB per million firearms (no timings: tracemalloc
    slows the build many times over)."""
    rows = []
    for name, build in (("firearms (dedupe)", firearms_table), ("serial_buckets (linker)", serial_bucket_table)):
        used, entries = _measure(build, n)
        rows.append({
            "table": name, "firearms": n, "entries": entries, "MiB": round(used / 2**20, 1),
            "bytes_per_firearm": round(used / n), "MiB_per_million_firearms": round(used / n * 1e6 / 2**20),
        })
    return rows
