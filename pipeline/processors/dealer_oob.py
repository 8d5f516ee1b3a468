"""Stage 3b, out-of-business records: the slow search of closed dealers' records (own topic, own lag)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.processors.stage_runner import Stage
from pipeline.records.lookup import find_oob_records
from pipeline.rules.tracing import StageDecision, decide_out_of_business

NAME = "dealer_oob"


def gather(conn: Any, traces: list[dict[str, Any]]) -> dict[str, dict]:
    """Out-of-business repository records of the batch."""
    return {"records": find_oob_records(conn, [t["firearm_key"] for t in traces])}


def decide(trace: dict[str, Any], found: dict[str, dict], now: datetime) -> StageDecision:
    """Stage decision for one trace, given what the batch found."""
    return decide_out_of_business(trace, found["records"].get(trace["firearm_key"]))


STAGE = Stage(NAME, gather, decide)
