"""Decide whether a decoded seizure event can be processed; if not, say why in English and Spanish.

A seizure with an obliterated or missing serial is *valid* (it is a real seizure that cannot be traced):
validation only rejects what no later stage could make sense of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

# Agencies in Mexico have submitted electronic traces since the late 1990s: an older recovery is a mistyped year.
OLDEST_RECOVERY = date(1990, 1, 1)
CLOCK_SKEW = timedelta(days=1)  # agencies report in local time; reported_at is UTC


class RejectReason(StrEnum):
    """Reason codes carried by dead letters."""

    DECODE_UNKNOWN_SCHEMA = "DECODE_UNKNOWN_SCHEMA"
    DECODE_CORRUPT = "DECODE_CORRUPT"
    MISSING_FIELD = "MISSING_FIELD"
    FUTURE_DATE = "FUTURE_DATE"
    ANCIENT_DATE = "ANCIENT_DATE"
    UNKNOWN_STATE = "UNKNOWN_STATE"
    INVALID_COORDINATES = "INVALID_COORDINATES"
    AGENCY_MISMATCH = "AGENCY_MISMATCH"  # on an agency's own topic, a record naming another agency
    PROCESSING_ERROR = "PROCESSING_ERROR"  # a bug met this record; it is parked here, the worker goes on


@dataclass(frozen=True)
class Rejection:
    """Why a record goes to the dead-letter topic."""

    reason: RejectReason
    message_en: str
    message_es: str


def reject(reason: RejectReason, en: str, es: str) -> Rejection:
    """Build a Rejection (keeps call sites one line)."""
    return Rejection(reason, en, es)


def validate_seizure(event: dict[str, Any], state_code: str | None) -> Rejection | None:
    """None if the event can be enriched and traced; otherwise the first problem found.

    `state_code` is the normalised state (None when the text matched no Mexican state). Dates are judged
    against the event's own `reported_at`, never the wall clock, so a replay decides the same way.
    """
    for name in ("agency_id", "event_id", "state", "crime_type"):
        if not str(event.get(name) or "").strip():
            return reject(RejectReason.MISSING_FIELD, f"required field {name} is empty",
                          f"el campo obligatorio {name} está vacío")
    if not any(str(value or "").strip() for value in (event.get("firearm") or {}).values()):
        return reject(RejectReason.MISSING_FIELD, "the firearm is not described at all",
                      "el arma no está descrita en absoluto")
    recovered: date = event["recovery_date"]
    reported: datetime = event["reported_at"]
    if recovered > (reported + CLOCK_SKEW).date():
        return reject(RejectReason.FUTURE_DATE,
                      f"recovery date {recovered} is after the report date {reported.date()}",
                      f"la fecha de aseguramiento {recovered} es posterior a la del reporte {reported.date()}")
    if recovered < OLDEST_RECOVERY:
        return reject(RejectReason.ANCIENT_DATE, f"recovery date {recovered} is before {OLDEST_RECOVERY}",
                      f"la fecha de aseguramiento {recovered} es anterior a {OLDEST_RECOVERY}")
    if state_code is None:
        return reject(RejectReason.UNKNOWN_STATE, "state is not a Mexican state",
                      "el estado no corresponde a una entidad federativa")
    lat, lon = event.get("latitude"), event.get("longitude")
    incomplete = (lat is None) != (lon is None)
    if incomplete or (lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)):
        return reject(RejectReason.INVALID_COORDINATES, "coordinates are incomplete or out of range",
                      "las coordenadas están incompletas o fuera de rango")
    return None
