"""What processors consume and produce: plain frozen records, so the rules never touch Kafka objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Incoming:
    """One Kafka record as a processor sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int

    @property
    def timestamp(self) -> datetime:
        """The record's Kafka timestamp: used instead of the wall clock so replays decide identically."""
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)


@dataclass(frozen=True)
class Outgoing:
    """A record a processor wants produced."""

    topic: str
    key: bytes | None
    value: bytes
