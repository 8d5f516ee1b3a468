"""Deduplicate sightings of the same firearm: `(memory, sighting) -> (new memory, decision)`.

Memory is one table entry per firearm identity. It keeps the Kafka position of every sighting so the rule
is idempotent under at-least-once delivery: a replayed record (same offset) repeats its first decision
instead of being mistaken for a re-sent duplicate, and downstream keys (trace id, event key) make the
repeat harmless.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Decision(StrEnum):
    """What a sighting means for the trace of its firearm."""

    OPEN_TRACE = "OPEN_TRACE"  # first sighting: a new trace request
    ADD_RECOVERY = "ADD_RECOVERY"  # same gun seen again (same or another agency)
    EXACT_DUPLICATE = "EXACT_DUPLICATE"  # same agency + event id sent again: dropped, counted


@dataclass(frozen=True)
class Sighting:
    """The parts of an enriched seizure that deduplication looks at."""

    firearm_key: str
    event_key: str  # agency id + agency event id
    source: str  # "topic:partition:offset" of the raw record, unique per publish


@dataclass(frozen=True)
class FirearmMemory:
    """What the dedupe table remembers about one firearm."""

    trace_id: str
    opening_event: str
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # event key -> raw offsets seen

    def to_json(self) -> dict[str, Any]:
        """Plain JSON value for the table's changelog."""
        return {"trace_id": self.trace_id, "opening_event": self.opening_event,
                "sources": {k: list(v) for k, v in self.sources.items()}}

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> FirearmMemory | None:
        """Inverse of to_json (None for a firearm never seen)."""
        if value is None:
            return None
        return cls(value["trace_id"], value["opening_event"],
                   {k: tuple(v) for k, v in value["sources"].items()})


def trace_id_for(firearm_key: str, opening_event: str) -> str:
    """Deterministic trace id: the same first sighting always opens the same trace, even when replayed."""
    digest = hashlib.sha256(f"{firearm_key}|{opening_event}".encode()).hexdigest()
    return f"TR-{digest[:20].upper()}"


def decide_sighting(memory: FirearmMemory | None, sighting: Sighting) -> tuple[FirearmMemory, Decision]:
    """Classify a sighting and return the firearm's updated memory.

    A replay (an offset already recorded) returns the decision the original got, memory unchanged.
    """
    if memory is None:
        trace_id = trace_id_for(sighting.firearm_key, sighting.event_key)
        return FirearmMemory(trace_id, sighting.event_key, {sighting.event_key: (sighting.source,)}), \
            Decision.OPEN_TRACE
    seen = memory.sources.get(sighting.event_key, ())
    if sighting.source in seen:
        first = seen[0] == sighting.source
        if not first:
            return memory, Decision.EXACT_DUPLICATE
        return memory, Decision.OPEN_TRACE if sighting.event_key == memory.opening_event else Decision.ADD_RECOVERY
    sources = {**memory.sources, sighting.event_key: (*seen, sighting.source)}
    decision = Decision.EXACT_DUPLICATE if seen else Decision.ADD_RECOVERY
    return replace(memory, sources=sources), decision
