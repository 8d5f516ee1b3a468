"""What processors consume and produce: plain frozen records, so the rules never touch Kafka objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Incoming:
    """One Kafka record as a processor sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int
    # Decoded forms by reader name (`codec.decoded`): the step and the metrics observer decode a record once.
    decoded_as: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

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
    # The record the step encoded into `value`, when it has it at hand: the metrics observer reads it instead of
    # decoding `value` again. Read-only, like everything decoded.
    datum: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
