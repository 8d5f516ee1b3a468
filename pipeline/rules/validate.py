"""Decide whether a decoded seizure event can be processed; if not, say why in English and Spanish.

A seizure with an obliterated or missing serial is *valid* (it is a real seizure that cannot be traced):
validation only rejects what no later stage could make sense of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pipeline.rules.text_rules import ID_LIMIT, TEXT_LIMIT, bad_free_text, bad_identifier, bad_serial_character

# Agencies in Mexico have submitted electronic traces since the late 1990s: an older recovery is a mistyped year.
OLDEST_RECOVERY = date(1990, 1, 1)
CLOCK_SKEW = timedelta(days=1)  # agencies report in local time; reported_at is UTC
ID_FIELDS = ("agency_id", "event_id")
NESTED = ("firearm", "possessor")  # sub-records whose text fields are checked like the event's own


class RejectReason(StrEnum):
    """Reason codes carried by dead letters."""

    DECODE_UNKNOWN_SCHEMA = "DECODE_UNKNOWN_SCHEMA"
    DECODE_CORRUPT = "DECODE_CORRUPT"
    MISSING_FIELD = "MISSING_FIELD"
    FUTURE_DATE = "FUTURE_DATE"
    ANCIENT_DATE = "ANCIENT_DATE"
    UNKNOWN_STATE = "UNKNOWN_STATE"
    INVALID_COORDINATES = "INVALID_COORDINATES"
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
    INVALID_TEXT = "INVALID_TEXT"  # control characters, or invisible ones in an identifier
    INVALID_SERIAL = "INVALID_SERIAL"  # letters or digits of another script, emoji: the clean serial would lie
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


def _text_fields(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(dotted field name, text) for every text value of the event and its firearm and possessor."""
    found = [(name, value) for name, value in event.items() if isinstance(value, str)]
    for record in NESTED:
        nested = event.get(record)
        if isinstance(nested, dict):
            found += [(f"{record}.{name}", value) for name, value in nested.items() if isinstance(value, str)]
    return found


def text_rejection(event: dict[str, Any]) -> Rejection | None:
    """The first text field that is too long or holds characters no agency meant (never echoing the value:
    it may be personal data)."""
    for name, text in _text_fields(event):
        strict = name in ID_FIELDS or name == "firearm.serial"
        limit = ID_LIMIT if name in ID_FIELDS else TEXT_LIMIT
        if len(text) > limit:
            return reject(RejectReason.TEXT_TOO_LONG, f"{name} has {len(text):,} characters (at most {limit:,})",
                          f"{name} tiene {len(text):,} caracteres (máximo {limit:,})")
        if bad_identifier(text) if strict else bad_free_text(text):
            return reject(RejectReason.INVALID_TEXT, f"{name} contains control or invisible characters",
                          f"{name} contiene caracteres de control o invisibles")
    serial = (event.get("firearm") or {}).get("serial")
    if isinstance(serial, str) and bad_serial_character(serial):
        return reject(RejectReason.INVALID_SERIAL,
                      "firearm.serial holds characters no stamped serial has (letters or digits of another "
                      "script, symbols): it would lose them when normalised",
                      "firearm.serial contiene caracteres que ninguna serie troquelada tiene (letras o dígitos de "
                      "otro alfabeto, símbolos): se perderían al normalizarla")
    return None


def date_rejection(event: dict[str, Any], received_at: datetime | None) -> Rejection | None:
    """Why the recovery or report date is impossible, or None. Differences only (no date arithmetic that
    could overflow at year 1 or 9999)."""
    recovered: date = event["recovery_date"]
    reported: datetime = event["reported_at"]
    if received_at is not None and reported - received_at > CLOCK_SKEW:
        return reject(RejectReason.FUTURE_DATE,
                      f"report date {reported.date()} is after the record reached the pipeline ({received_at.date()})",
                      f"la fecha del reporte {reported.date()} es posterior a la llegada del registro "
                      f"({received_at.date()})")
    if recovered - reported.date() > CLOCK_SKEW:
        return reject(RejectReason.FUTURE_DATE,
                      f"recovery date {recovered} is after the report date {reported.date()}",
                      f"la fecha de aseguramiento {recovered} es posterior a la del reporte {reported.date()}")
    if recovered < OLDEST_RECOVERY:
        return reject(RejectReason.ANCIENT_DATE, f"recovery date {recovered} is before {OLDEST_RECOVERY}",
                      f"la fecha de aseguramiento {recovered} es anterior a {OLDEST_RECOVERY}")
    return None


def validate_seizure(event: dict[str, Any], state_code: str | None,
                     received_at: datetime | None = None) -> Rejection | None:
    """None if the event can be enriched and traced; otherwise the first problem found.

    `state_code` is the normalised state (None when the text matched no Mexican state). Dates are judged
    against the event's own `reported_at` and, when given, `received_at` (the record's Kafka timestamp), never
    the wall clock, so a replay decides the same way.
    """
    text = text_rejection(event)
    if text is not None:
        return text
    for name in ("agency_id", "event_id", "state", "crime_type"):
        if not str(event.get(name) or "").strip():
            return reject(RejectReason.MISSING_FIELD, f"required field {name} is empty",
                          f"el campo obligatorio {name} está vacío")
    if not any(str(value or "").strip() for value in (event.get("firearm") or {}).values()):
        return reject(RejectReason.MISSING_FIELD, "the firearm is not described at all",
                      "el arma no está descrita en absoluto")
    dates = date_rejection(event, received_at)
    if dates is not None:
        return dates
    if state_code is None:
        return reject(RejectReason.UNKNOWN_STATE, "state is not a Mexican state",
                      "el estado no corresponde a una entidad federativa")
    lat, lon = event.get("latitude"), event.get("longitude")
    incomplete = (lat is None) != (lon is None)
    if incomplete or (lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)):
        return reject(RejectReason.INVALID_COORDINATES, "coordinates are incomplete or out of range",
                      "las coordenadas están incompletas o fuera de rango")
    return None
