"""Stage 4, first purchaser: the sale (from the dealer's books or the out-of-business repository) and the
purchaser it names; completes the trace with time-to-crime. The purchaser read is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.processors.stage_runner import Stage
from pipeline.records.lookup import find_dealers, find_oob_records, find_purchasers, find_retail_sales
from pipeline.records.model import OobRecord, RetailSale
from pipeline.rules.tracing import StageDecision, decide_purchaser

NAME = "purchaser"
ACCOUNT = "tracepipe-purchaser-stage"


def gather(conn: Any, traces: list[dict[str, Any]]) -> dict[str, dict]:
    """Sales of the batch (either source), their dealers, and the purchasers (audited read)."""
    keys = [t["firearm_key"] for t in traces]
    sales: dict[str, RetailSale | OobRecord] = {**find_oob_records(conn, keys), **find_retail_sales(conn, keys)}
    purchasers = find_purchasers(conn, [s.purchaser_id for s in sales.values()], account=ACCOUNT,
                                 role="pipeline", reason="first-purchaser stage of a firearm trace")
    # A sale naming a purchaser missing from the records is not a completed trace.
    sales = {key: sale for key, sale in sales.items() if sale.purchaser_id in purchasers}
    return {"sales": sales, "dealers": find_dealers(conn, [s.dealer_license for s in sales.values()])}


def decide(trace: dict[str, Any], found: dict[str, dict], now: datetime) -> StageDecision:
    """Stage decision for one trace, given what the batch found."""
    sale = found["sales"].get(trace["firearm_key"])
    dealer = found["dealers"].get(sale.dealer_license) if sale else None
    return decide_purchaser(trace, sale, dealer, now)


STAGE = Stage(NAME, gather, decide)
