"""Dedupe processor: keyed by firearm identity, it opens a trace on the first sighting of a gun (URGENT ones
on the express lane) and attaches later sightings to it; exact re-sends are dropped (and recorded on their
own topic, so they are counted).

New traces with a usable serial are also filed in the serial index (one record per trace, keyed by maker),
where the serial linker looks for a trace whose serial is one typo away.
"""

from __future__ import annotations

from typing import Any

from pipeline.contract.codec import decode, encode
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record
from pipeline.rules.dedupe import Decision, FirearmMemory, Sighting, decide_sighting
from pipeline.rules.possible_duplicates import family_key, serial_key
from pipeline.topology import (
    SEIZURES_DUPLICATES,
    TRACES_RECOVERIES,
    TRACES_REQUESTED,
    TRACES_SERIAL_INDEX,
    TRACES_URGENT,
)

NAME = "dedupe"
TABLE = "firearms"


def recovery_of(enriched: dict[str, Any]) -> dict[str, Any]:
    """The Recovery record of one sighting."""
    event = enriched["event"]
    return {
        "agency_id": event["agency_id"],
        "event_id": event["event_id"],
        "recovery_date": event["recovery_date"],
        "state_code": enriched["state_code"],
        "municipality": event.get("municipality"),
        "possible_duplicate": False,
        "reported_at": event["reported_at"],
    }


def trace_request(trace_id: str, enriched: dict[str, Any]) -> dict[str, Any]:
    """The TraceInFlight that starts the tracing stages (no personal data travels with it)."""
    event = enriched["event"]
    return {
        "trace_id": trace_id,
        "firearm_key": enriched["firearm_key"],
        "priority": event.get("priority", "ROUTINE"),
        "opened_at": enriched["received_at"],
        "seizure": {
            "agency_id": event["agency_id"],
            "event_id": event["event_id"],
            "case_number": event.get("case_number"),
            "recovery_date": event["recovery_date"],
            "state_code": enriched["state_code"],
            "crime_type": event["crime_type"],
            "crime_code": enriched["crime_code"],
            "firearm": {
                "maker": enriched["maker"], "importer": enriched["importer"], "model": enriched["model"],
                "caliber": enriched["caliber"], "serial": enriched["serial"],
                "serial_status": enriched["serial_status"], "firearm_type": enriched["firearm_type"],
                "country": event["firearm"].get("country"),
            },
        },
        "recoveries": [recovery_of(enriched)],
        "hops": [],
        "stage_timings": [],
    }


def serial_index_entries(trace_id: str, enriched: dict[str, Any]) -> list[Outgoing]:
    """The SerialIndexEntry of one sighting of trace `trace_id`, keyed by its maker family so that every serial
    of one maker meets in one linker partition (none without a known maker or a present serial). `bucket` is
    the serial's own key (`serial_key`); the linker derives the deletion neighbourhood itself."""
    family = family_key(enriched["maker"])
    if family is None or enriched["serial_status"] != "PRESENT" or not enriched["serial"]:
        return []
    event = enriched["event"]
    datum = {
        "bucket": serial_key(family, enriched["serial"]), "trace_id": trace_id, "serial": enriched["serial"],
        "model": enriched["model"], "caliber": enriched["caliber"],
        "recovery_date": event["recovery_date"], "state_code": enriched["state_code"],
        "latitude": event.get("latitude"), "longitude": event.get("longitude"),
    }
    return [Outgoing(TRACES_SERIAL_INDEX.name, family.encode(), encode(Record.SERIAL_INDEX_ENTRY, datum))]


def sighting_source(enriched: dict[str, Any]) -> str:
    """Where a sighting was published ("topic:partition:offset" of the raw record): the key of its
    exact-duplicate record, and how a replay is told from a re-send. The topic is part of it because seizures
    arrive on several topics (both lanes, each agency's own), whose offsets overlap."""
    return f"{enriched['source_topic']}:{enriched['source_partition']}:{enriched['source_offset']}"


def dedupe_step(memory_json: dict | None, incoming: Incoming) -> tuple[dict, list[Outgoing]]:
    """One enriched seizure against its firearm's memory: (new memory, records to produce)."""
    enriched = decode(incoming.value, Record.ENRICHED_SEIZURE)
    event = enriched["event"]
    sighting = Sighting(
        firearm_key=enriched["firearm_key"],
        event_key=f"{event['agency_id']}:{event['event_id']}",
        source=sighting_source(enriched),
    )
    memory, decision = decide_sighting(FirearmMemory.from_json(memory_json), sighting)
    trace_key = memory.trace_id.encode()
    if decision is Decision.OPEN_TRACE:
        request = trace_request(memory.trace_id, enriched)
        lane = TRACES_URGENT if request["priority"] == "URGENT" else TRACES_REQUESTED
        outputs = [Outgoing(lane.name, trace_key, encode(Record.TRACE_IN_FLIGHT, request)),
                   *serial_index_entries(memory.trace_id, enriched)]
    elif decision is Decision.ADD_RECOVERY:
        attached = {"trace_id": memory.trace_id, "firearm_key": sighting.firearm_key, "recovery": recovery_of(enriched)}
        # Every sighting is filed with the linker, not only the opening one: which sighting opens a trace
        # depends on arrival order (the urgent lane overtakes), and links must not.
        outputs = [Outgoing(TRACES_RECOVERIES.name, trace_key, encode(Record.RECOVERY_ATTACHED, attached)),
                   *serial_index_entries(memory.trace_id, enriched)]
    else:
        outputs = [Outgoing(SEIZURES_DUPLICATES.name, sighting.source.encode(), incoming.value)]
    return memory.to_json(), outputs
