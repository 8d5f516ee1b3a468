"""Serial linker: links traces whose serials are one typo apart (same maker, compatible model and caliber,
recovered close in time and place) as possible duplicates.

Its input is keyed by maker family, so one maker's serials all reach one partition. The table files each
sighting of a trace (the opening one and every extra recovery, so a link does not depend on which sighting
arrived first) under its exact serial (`serial_key` -> the sightings filed there); `SerialTable` keeps beside
it the deletion-neighbourhood index derived from the table's keys, rebuilt whenever faust recovers the table.
One table write per sighting, instead of one per variant of its serial.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from pipeline.contract.codec import decode, encode
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record
from pipeline.rules.possible_duplicates import (
    IndexedSerial,
    NeighbourhoodIndex,
    link_id,
    linked,
    match_bucket,
    serial_key,
)
from pipeline.topology import TRACES_POSSIBLE_DUPLICATES

NAME = "serial_linker"
TABLE = "serial_buckets"


class SerialTable:
    """The linker's state: `table` (serial key bytes -> JSON list of IndexedSerial) and its neighbourhood index."""

    def __init__(self, table: MutableMapping[bytes, Any]) -> None:
        self.table = table
        self.index = NeighbourhoodIndex()
        self.rebuild()

    def rebuild(self) -> None:
        """Derive the index from the table's keys again (after faust recovered the table from its changelog)."""
        self.index.rebuild(key.decode() for key in list(self.table.keys()))

    def filed(self, key: str) -> list[IndexedSerial]:
        """The traces filed under serial key `key`."""
        return [IndexedSerial.from_json(item) for item in self.table.get(key.encode()) or []]

    def file(self, key: str, entries: list[IndexedSerial]) -> None:
        """Store the traces filed under `key` and index it."""
        self.table[key.encode()] = [item.to_json() for item in entries]
        self.index.add(key)


def serial_linker_step(state: SerialTable, incoming: Incoming) -> list[Outgoing]:
    """File one sighting's serial and return its trace's possible-duplicate links. A replay files nothing new and
    finds the same links again (the same link ids)."""
    entry = decode(incoming.value, Record.SERIAL_INDEX_ENTRY)
    family = entry["bucket"].split("|", 1)[0]  # version-1 entries carried maker|variant: the same maker
    newcomer = IndexedSerial(entry["trace_id"], entry["serial"], entry["model"], entry["caliber"],
                             entry["recovery_date"], entry["state_code"], entry["latitude"], entry["longitude"])
    own = serial_key(family, newcomer.serial)
    serials: dict[str, str] = {}
    matches: list[str] = []
    for key in sorted(state.index.near(family, newcomer.serial) - {own}):
        others = state.filed(key)
        serials.update((item.trace_id, item.serial) for item in others)
        matches += linked(others, newcomer)
    filed = state.filed(own)
    updated, _ = match_bucket(filed, newcomer)  # same serial: an exact duplicate, never a link
    if updated is not filed:
        state.file(own, updated)
    outputs = []
    for candidate in dict.fromkeys(matches):
        link = link_id(newcomer.trace_id, candidate)
        datum = {"link_id": link, "trace_id": newcomer.trace_id, "candidate_trace_id": candidate,
                 "serial": newcomer.serial, "candidate_serial": serials[candidate], "found_at": incoming.timestamp}
        payload = encode(Record.POSSIBLE_DUPLICATE, datum)
        outputs.append(Outgoing(TRACES_POSSIBLE_DUPLICATES.name, link.encode(), payload))
    return outputs
