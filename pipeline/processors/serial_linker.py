"""Serial linker: keyed by deletion-neighbourhood bucket, it links traces whose serials are one typo apart
(same maker, compatible model and caliber, recovered close in time and place) as possible duplicates.
"""

from __future__ import annotations

from pipeline.contract.codec import decode, encode
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record
from pipeline.rules.possible_duplicates import IndexedSerial, link_id, match_bucket
from pipeline.topology import TRACES_POSSIBLE_DUPLICATES

NAME = "serial_linker"
TABLE = "serial_buckets"


def serial_linker_step(bucket_json: list | None, incoming: Incoming) -> tuple[list, list[Outgoing]]:
    """One serial-index entry against its bucket: (new bucket, possible-duplicate links)."""
    entry = decode(incoming.value, Record.SERIAL_INDEX_ENTRY)
    newcomer = IndexedSerial(entry["trace_id"], entry["serial"], entry["model"], entry["caliber"],
                             entry["recovery_date"], entry["state_code"], entry["latitude"], entry["longitude"])
    bucket = [IndexedSerial.from_json(item) for item in bucket_json or []]
    serials = {item.trace_id: item.serial for item in bucket}
    bucket, matches = match_bucket(bucket, newcomer)
    outputs = []
    for candidate in matches:
        link = link_id(newcomer.trace_id, candidate)
        datum = {"link_id": link, "trace_id": newcomer.trace_id, "candidate_trace_id": candidate,
                 "serial": newcomer.serial, "candidate_serial": serials[candidate], "found_at": incoming.timestamp}
        payload = encode(Record.POSSIBLE_DUPLICATE, datum)
        outputs.append(Outgoing(TRACES_POSSIBLE_DUPLICATES.name, link.encode(), payload))
    return [item.to_json() for item in bucket], outputs
