"""Intake processor: decode and validate raw seizure events, enrich the valid ones, dead-letter the rest.

Validation and enrichment run in one processor because both are stateless and per-record; the output is
re-keyed by firearm identity so every sighting of one gun reaches the same dedupe partition. An URGENT
seizure goes on dedupe's urgent lane, whichever topic it came on, so it skips dedupe's routine backlog too.
"""

from __future__ import annotations

from pipeline.contract.codec import decode, encode
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record
from pipeline.errors import CodecError, UnknownSchemaError
from pipeline.normalize import normalize_state
from pipeline.processors.dead_letters import dead_letter
from pipeline.rules.attribution import attribution_rejection
from pipeline.rules.enrich import Source, enrich_seizure
from pipeline.rules.validate import Rejection, RejectReason, validate_seizure
from pipeline.topology import SEIZURES_ENRICHED, SEIZURES_ENRICHED_URGENT, submitting_agency

NAME = "intake"


def decode_failure(exc: CodecError) -> Rejection:
    """A Rejection describing why the bytes could not be decoded."""
    reason = RejectReason.DECODE_UNKNOWN_SCHEMA if isinstance(exc, UnknownSchemaError) else RejectReason.DECODE_CORRUPT
    return Rejection(reason, f"cannot decode the record: {exc}", f"no se puede decodificar el registro: {exc}")


def intake_record(incoming: Incoming) -> list[Outgoing]:
    """Raw bytes in; one enriched seizure or one dead letter out."""
    try:
        event = decode(incoming.value, Record.SEIZURE_EVENT)
    except CodecError as exc:
        return [dead_letter(incoming, decode_failure(exc), NAME)]
    state_code = normalize_state(event.get("state"))
    rejection = validate_seizure(event, state_code, incoming.timestamp)
    if rejection is None:  # on an agency's own topic (security on), the record must name that agency
        rejection = attribution_rejection(event, submitting_agency(incoming.topic))
    if rejection is not None:
        return [dead_letter(incoming, rejection, NAME)]
    assert state_code is not None  # validate_seizure rejects a seizure whose state is unknown
    source = Source(incoming.topic, incoming.partition, incoming.offset)
    enriched = enrich_seizure(event, state_code, source, incoming.timestamp)
    payload = encode(Record.ENRICHED_SEIZURE, enriched)
    lane = SEIZURES_ENRICHED_URGENT if event.get("priority") == "URGENT" else SEIZURES_ENRICHED
    return [Outgoing(lane.name, enriched["firearm_key"].encode(), payload)]
