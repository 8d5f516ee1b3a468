"""Typed, immutable SeizureEvent records for SDK users who want them instead of decoded dicts.

They mirror schemas/seizure_event.v2.avsc (the latest version); `from_avro` takes a decoded dict,
`to_avro` gives one back for the codec. Possessor data is personal, so its repr never shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self


class Priority(StrEnum):
    """Trace request priority (Avro enum io.tracepipe.Priority)."""

    ROUTINE = "ROUTINE"
    URGENT = "URGENT"


def _known_fields(cls: type, datum: Mapping[str, Any]) -> dict[str, Any]:
    """The values of `datum` that are fields of dataclass `cls`; fields a newer writer added are ignored."""
    return {f.name: datum[f.name] for f in fields(cls) if f.name in datum}


def _field_values(record: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, one level deep (nested records are converted by their owner)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


class _FlatRecord:
    """Avro conversion for records whose fields are all plain values."""

    __slots__ = ()

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build from the decoded Avro record."""
        return cls(**_known_fields(cls, datum))

    def to_avro(self) -> dict[str, Any]:
        """The Avro record as a dict."""
        return _field_values(self)


@dataclass(frozen=True, slots=True)
class Firearm(_FlatRecord):
    """The firearm as the agency typed it (no normalisation yet)."""

    manufacturer: str | None = None
    importer: str | None = None
    model: str | None = None
    caliber: str | None = None
    serial: str | None = None
    firearm_type: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Possessor(_FlatRecord):
    """The person the firearm was seized from: personal data, never logged."""

    full_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None

    def __repr__(self) -> str:
        return "Possessor(<personal data withheld>)"


@dataclass(frozen=True, slots=True)
class SeizureEvent:
    """A seizure as an agency reported it (SeizureEvent v2; v1 payloads decode with case_number None)."""

    agency_id: str
    event_id: str
    reported_at: datetime
    recovery_date: date
    state: str
    crime_type: str
    firearm: Firearm
    municipality: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    priority: Priority = Priority.ROUTINE
    possessor: Possessor | None = None
    notes: str | None = None
    case_number: str | None = None

    def __post_init__(self) -> None:
        # A naive datetime would be encoded in the host's local time by fastavro: refuse it early.
        if self.reported_at.tzinfo is None:
            raise ValueError("reported_at must be timezone-aware")

    @property
    def key(self) -> tuple[str, str]:
        """Idempotency key of the submission: the same agency event is never counted twice."""
        return (self.agency_id, self.event_id)

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build from a dict returned by `codec.decode(payload, Record.SEIZURE_EVENT)`."""
        values = _known_fields(cls, datum)
        values["firearm"] = Firearm.from_avro(datum["firearm"])
        values["priority"] = Priority(datum.get("priority", Priority.ROUTINE))
        if datum.get("possessor") is not None:
            values["possessor"] = Possessor.from_avro(datum["possessor"])
        return cls(**values)

    def to_avro(self) -> dict[str, Any]:
        """The Avro `SeizureEvent` record, ready for `codec.encode(Record.SEIZURE_EVENT, ...)`."""
        datum = _field_values(self)
        datum["firearm"] = self.firearm.to_avro()
        datum["priority"] = self.priority.value
        datum["possessor"] = self.possessor.to_avro() if self.possessor else None
        return datum
