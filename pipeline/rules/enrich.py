"""Turn a valid seizure event into an enriched seizure: canonical names, codes, flags, firearm identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline import normalize


@dataclass(frozen=True)
class Source:
    """Where a record was read from: kept on the enriched record for lineage and idempotent replays."""

    topic: str
    partition: int
    offset: int


def event_key(event: dict[str, Any]) -> str:
    """Agency id + the agency's own event id: the same for a re-sent event."""
    return f"{event['agency_id']}:{event['event_id']}"


def identity(maker: str | None, serial: str | None, serial_status: str, model: str | None,
             event: dict[str, Any]) -> str:
    """Firearm identity; a gun without a usable serial or maker cannot be recognised again, so each such
    sighting is its own identity (scoped to the event, so exact re-sends still collapse)."""
    if serial_status == "PRESENT" and serial and maker:
        key = normalize.firearm_key(maker, serial, model)
        if key is not None:
            return key
    return f"UNIDENTIFIED:{event_key(event)}"


def flags_for(enriched: dict[str, Any], event: dict[str, Any]) -> list[str]:
    """Analyst-facing flags: why a trace may fail, and trafficking indicators known at intake."""
    flags = []
    if enriched["serial_status"] != "PRESENT":
        flags.append(f"SERIAL_{enriched['serial_status']}")
    if enriched["maker"] is None:
        flags.append("MAKER_UNRECOGNISED" if event["firearm"].get("manufacturer") else "MAKER_MISSING")
    if enriched["caliber"] is None:
        flags.append("CALIBER_UNRECOGNISED")
    if event.get("priority") == "URGENT":
        flags.append("URGENT")
    return flags


def enrich_seizure(event: dict[str, Any], state_code: str, source: Source, received_at: datetime) -> dict[str, Any]:
    """Build the EnrichedSeizure datum for a validated event (pure: same input, same output)."""
    firearm = event["firearm"]
    maker = normalize.normalize_maker(firearm.get("manufacturer"))
    serial, serial_status = normalize.normalize_serial(firearm.get("serial"))
    model = normalize.normalize_model(firearm.get("model"), maker)
    enriched: dict[str, Any] = {
        "event": event,
        "maker": maker,
        "importer": normalize.normalize_importer(firearm.get("importer")),
        "model": model,
        "caliber": normalize.normalize_caliber(firearm.get("caliber")),
        "serial": serial,
        "serial_status": serial_status,
        "firearm_type": normalize.normalize_firearm_type(firearm.get("firearm_type")),
        "state_code": state_code,
        "crime_code": normalize.normalize_crime(event.get("crime_type")),
        "source_topic": source.topic,
        "source_partition": source.partition,
        "source_offset": source.offset,
        "received_at": received_at,
    }
    enriched["firearm_key"] = identity(maker, serial, serial_status, model, event)
    enriched["flags"] = flags_for(enriched, event)
    return enriched
