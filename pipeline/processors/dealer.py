"""Stage 3, dealer: the first retail sale in the dealer's books; closed dealers go to the out-of-business
search, reported thefts close the trace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.processors.stage_runner import Stage
from pipeline.records.lookup import find_dealers, find_retail_sales, find_thefts
from pipeline.rules.tracing import StageDecision, dealer_license_of, decide_dealer

NAME = "dealer"


def gather(conn: Any, traces: list[dict[str, Any]]) -> dict[str, dict]:
    """Dealers, retail sales and theft reports of the batch."""
    keys = [t["firearm_key"] for t in traces]
    return {
        "dealers": find_dealers(conn, [dealer_license_of(t) for t in traces]),
        "sales": find_retail_sales(conn, keys),
        "thefts": find_thefts(conn, keys),
    }


def decide(trace: dict[str, Any], found: dict[str, dict], now: datetime) -> StageDecision:
    """Stage decision for one trace, given what the batch found."""
    key = trace["firearm_key"]
    dealer = found["dealers"].get(dealer_license_of(trace) or "")
    return decide_dealer(trace, dealer, found["sales"].get(key), found["thefts"].get(key), now)


STAGE = Stage(NAME, gather, decide)
