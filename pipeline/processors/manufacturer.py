"""Stage 1, manufacturer/importer: who made or imported the gun, and which wholesaler it was shipped to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.processors.stage_runner import Stage
from pipeline.records.lookup import find_dealers, find_manufacture
from pipeline.rules.tracing import StageDecision, decide_manufacturer

NAME = "manufacturer"


def gather(conn: Any, traces: list[dict[str, Any]]) -> dict[str, dict]:
    """Manufacture (or export) records of the batch and the wholesalers they were shipped to."""
    records = find_manufacture(conn, [t["firearm_key"] for t in traces])
    wholesalers = find_dealers(conn, [r.shipped_to_license for r in records.values()])
    return {"records": records, "wholesalers": wholesalers}


def decide(trace: dict[str, Any], found: dict[str, dict], now: datetime) -> StageDecision:
    """Stage decision for one trace, given what the batch found."""
    record = found["records"].get(trace["firearm_key"])
    shipped_to = found["wholesalers"].get(record.shipped_to_license or "") if record else None
    return decide_manufacturer(trace, record, shipped_to, now)


STAGE = Stage(NAME, gather, decide)
