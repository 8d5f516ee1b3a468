"""Stage 1, manufacturer/importer: who made or imported the gun, and which wholesaler it was shipped to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.processors.stage_runner import Stage
from pipeline.records.lookup import find_dealers, find_manufacture, find_manufacturers
from pipeline.rules.tracing import StageDecision, decide_manufacturer

NAME = "manufacturer"


def gather(conn: Any, traces: list[dict[str, Any]]) -> dict[str, dict]:
    """Manufacture records of the batch, the makers' countries and the wholesalers shipped to."""
    records = find_manufacture(conn, [t["firearm_key"] for t in traces])
    makers = find_manufacturers(conn, [t["seizure"]["firearm"]["maker"] for t in traces])
    wholesalers = find_dealers(conn, [r.shipped_to_license for r in records.values()])
    return {"records": records, "makers": makers, "wholesalers": wholesalers}


def decide(trace: dict[str, Any], found: dict[str, dict], now: datetime) -> StageDecision:
    """Stage decision for one trace, given what the batch found."""
    record = found["records"].get(trace["firearm_key"])
    maker = found["makers"].get(trace["seizure"]["firearm"]["maker"] or "")
    shipped_to = found["wholesalers"].get(record.shipped_to_license or "") if record else None
    return decide_manufacturer(trace, record, maker.country if maker else None, shipped_to, now)


STAGE = Stage(NAME, gather, decide)
