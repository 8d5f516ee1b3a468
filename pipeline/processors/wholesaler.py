"""Stage 2, wholesaler: which licensed retail dealer (FFL) bought the gun."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.processors.stage_runner import Stage
from pipeline.records.lookup import find_dealers, find_wholesale
from pipeline.rules.tracing import StageDecision, decide_wholesaler

NAME = "wholesaler"


def gather(conn: Any, traces: list[dict[str, Any]]) -> dict[str, dict]:
    """Wholesale shipments of the batch and the dealers they went to."""
    shipments = find_wholesale(conn, [t["firearm_key"] for t in traces])
    dealers = find_dealers(conn, [s.dealer_license for s in shipments.values()])
    return {"shipments": shipments, "dealers": dealers}


def decide(trace: dict[str, Any], found: dict[str, dict], now: datetime) -> StageDecision:
    """Stage decision for one trace, given what the batch found."""
    shipment = found["shipments"].get(trace["firearm_key"])
    dealer = found["dealers"].get(shipment.dealer_license) if shipment else None
    return decide_wholesaler(trace, shipment, dealer, now)


STAGE = Stage(NAME, gather, decide)
