"""The tracing stages' decisions, as pure functions of a trace in flight and the records found for it.

Each stage either appends the hop it found (who, where, when) and forwards the trace to the next stage's
topic, or closes it with a reason after the ATF National Tracing Center's categories. The records are
looked up by the processors (batched, at the edge) and passed in; nothing here touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pipeline.records.model import (
    Licensee,
    ManufactureRecord,
    OobRecord,
    RetailSale,
    TheftReport,
    WholesaleShipment,
)
from pipeline.topology import TRACES_AT_DEALER, TRACES_AT_DEALER_OOB, TRACES_AT_PURCHASER, TRACES_AT_WHOLESALER

NO_RECORDS_BEFORE = 1968  # the Gun Control Act: no records requirement for older guns
US = "USA"
UNKNOWN_FAMILY = "?"  # pipeline.normalize.firearm_key's placeholder for an unrecognised model family


@dataclass(frozen=True)
class StageDecision:
    """The trace with this stage's hop and timing added, and where it goes: a topic, or closed with a reason."""

    trace: dict[str, Any]
    forward_to: str | None = None
    close_reason: str | None = None  # a CloseReason symbol; "NONE" with forward_to None means completed
    sale: RetailSale | OobRecord | None = None  # the first retail sale, once the purchaser stage found it
    dealer: Licensee | None = None


def _with_hop(trace: dict[str, Any], stage: str, party_type: str, party_id: str, party_name: str,
              location: str | None, event_date: date | None, now: datetime) -> dict[str, Any]:
    hop = {"stage": stage, "party_type": party_type, "party_id": party_id, "party_name": party_name,
           "location": location, "event_date": event_date, "found_at": now}
    return {**trace, "hops": [*trace["hops"], hop]}


def with_timing(trace: dict[str, Any], stage: str, entered_at: datetime, left_at: datetime) -> dict[str, Any]:
    """The trace with the time it spent in `stage` recorded (turnaround per stage)."""
    timing = {"stage": stage, "entered_at": entered_at, "left_at": left_at}
    return {**trace, "stage_timings": [*trace["stage_timings"], timing]}


def _where(licensee: Licensee | None) -> str | None:
    return f"{licensee.city}, {licensee.us_state}" if licensee else None


def identifies_one_gun(trace: dict[str, Any]) -> bool:
    """A usable serial and maker, and the model where the maker reuses serials across models (those keys
    carry '?' for an unrecognised model family): otherwise no record can be asked for."""
    firearm = trace["seizure"]["firearm"]
    return firearm["serial_status"] == "PRESENT" and bool(firearm["maker"]) and bool(firearm["serial"]) \
        and UNKNOWN_FAMILY not in trace["firearm_key"].split("|")


def decide_manufacturer(trace: dict[str, Any], record: ManufactureRecord | None,
                        shipped_to: Licensee | None, now: datetime) -> StageDecision:
    """Stage 1: who made (or imported) the gun and which wholesaler it was shipped to; a foreign maker may
    answer that it exported the gun directly to another country (never in US commerce)."""
    if trace["seizure"]["firearm"]["serial_status"] == "OBLITERATED":
        return StageDecision(trace, close_reason="SERIAL_OBLITERATED")
    if not identifies_one_gun(trace):
        return StageDecision(trace, close_reason="INSUFFICIENT_DATA")
    if record is None:
        return StageDecision(trace, close_reason="NO_MANUFACTURER_RECORD")
    party_type = "IMPORTER" if record.importer_id else "MANUFACTURER"
    party = record.importer_id or record.maker_id
    if record.exported_to is not None and record.exported_to != US:
        closed = _with_hop(trace, "manufacturer", "MANUFACTURER", party, party, record.exported_to, None, now)
        return StageDecision(closed, close_reason="FOREIGN_NO_US_IMPORT_RECORD")
    if record.shipped_to_license is None:
        reason = "PRE_1968" if record.made_year < NO_RECORDS_BEFORE else "NO_MANUFACTURER_RECORD"
        closed = _with_hop(trace, "manufacturer", party_type, party, party, None, None, now)
        return StageDecision(closed, close_reason=reason)
    name = shipped_to.name if shipped_to else record.shipped_to_license
    found = _with_hop(trace, "manufacturer", party_type, party, party, None, record.shipped_on, now)
    found = _with_hop(found, "manufacturer", "WHOLESALER", record.shipped_to_license, name, _where(shipped_to),
                      record.shipped_on, now)
    return StageDecision(found, forward_to=TRACES_AT_WHOLESALER.name)


def decide_wholesaler(trace: dict[str, Any], shipment: WholesaleShipment | None, dealer: Licensee | None,
                      now: datetime) -> StageDecision:
    """Stage 2: which retail dealer (FFL) the wholesaler sold the gun to."""
    if shipment is None:
        return StageDecision(trace, close_reason="DISTRIBUTION_RECORD_NOT_FOUND")
    name = dealer.name if dealer else shipment.dealer_license
    found = _with_hop(trace, "wholesaler", "DEALER", shipment.dealer_license, name, _where(dealer),
                      shipment.shipped_on, now)
    return StageDecision(found, forward_to=TRACES_AT_DEALER.name)


def dealer_license_of(trace: dict[str, Any]) -> str | None:
    """The dealer found by the wholesaler stage (the last DEALER hop)."""
    dealers = [hop["party_id"] for hop in trace["hops"] if hop["party_type"] == "DEALER"]
    return dealers[-1] if dealers else None


def decide_dealer(trace: dict[str, Any], dealer: Licensee | None, sale: RetailSale | None,
                  theft: TheftReport | None, now: datetime) -> StageDecision:
    """Stage 3: the dealer's books give the first retail sale; a closed dealer routes to the slow OOB search."""
    if theft is not None:
        return StageDecision(trace, close_reason="FIREARM_REPORTED_STOLEN")
    if dealer is not None and not dealer.active:
        return StageDecision(trace, forward_to=TRACES_AT_DEALER_OOB.name)
    if sale is None:
        return StageDecision(trace, close_reason="DISTRIBUTION_RECORD_NOT_FOUND")
    return StageDecision(trace, forward_to=TRACES_AT_PURCHASER.name)


def decide_out_of_business(trace: dict[str, Any], record: OobRecord | None) -> StageDecision:
    """Stage 3b: the out-of-business records repository (slower, its own topic and lag)."""
    if record is None:
        return StageDecision(trace, close_reason="DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND")
    return StageDecision(trace, forward_to=TRACES_AT_PURCHASER.name)


def decide_purchaser(trace: dict[str, Any], sale: RetailSale | OobRecord | None, dealer: Licensee | None,
                     now: datetime) -> StageDecision:
    """Stage 4: the first retail purchaser and the sale date; completes the trace."""
    if sale is None:
        return StageDecision(trace, close_reason="DISTRIBUTION_RECORD_NOT_FOUND")
    found = _with_hop(trace, "purchaser", "PURCHASER", sale.purchaser_id, sale.purchaser_id,
                      dealer.us_state if dealer else None, sale.sale_date, now)
    return StageDecision(found, close_reason="NONE", sale=sale, dealer=dealer)


def time_to_crime_days(recovery_date: date, sale_date: date | None) -> int | None:
    """Days from first retail sale to recovery (a short time-to-crime is a trafficking indicator)."""
    return None if sale_date is None else (recovery_date - sale_date).days


def trace_result(decision: StageDecision, completed_at: datetime) -> dict[str, Any]:
    """The TraceResult datum of a closed or completed trace (personal data stays in PostgreSQL: only an id)."""
    trace, reason, sale, dealer = decision.trace, decision.close_reason, decision.sale, decision.dealer
    recovery_date = trace["seizure"]["recovery_date"]
    return {
        "trace_id": trace["trace_id"],
        "firearm_key": trace["firearm_key"],
        "outcome": "COMPLETED" if reason == "NONE" else "CLOSED",
        "reason": reason,
        "firearm": trace["seizure"]["firearm"],
        "hops": trace["hops"],
        "recoveries": trace["recoveries"],
        "agencies": sorted({r["agency_id"] for r in trace["recoveries"]}),
        "first_sale_date": sale.sale_date if sale else None,
        "time_to_crime_days": time_to_crime_days(recovery_date, sale.sale_date if sale else None),
        "source_state": dealer.us_state if dealer and sale else None,
        "dealer_license": sale.dealer_license if sale else None,
        "purchaser_id": sale.purchaser_id if sale else None,
        "stage_timings": trace["stage_timings"],
        "opened_at": trace["opened_at"],
        "completed_at": completed_at,
    }
