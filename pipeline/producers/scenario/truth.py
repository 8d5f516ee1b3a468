"""Ground-truth records of a synthetic scenario: what each event really is and what each gun really is."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any


class TruthKind(StrEnum):
    """What an event is, as the dedupe and validate stages should find out."""

    NEW_FIREARM = "NEW_FIREARM"  # first valid sighting of this gun
    REPEAT_SIGHTING = "REPEAT_SIGHTING"  # the same gun again, same serial (e.g. FGR re-entering a state's seizure)
    EXACT_RESEND = "EXACT_RESEND"  # the same agency event re-sent byte for byte
    SERIAL_TYPO_SIGHTING = "SERIAL_TYPO_SIGHTING"  # the same gun, serial one edit away, close in time and place
    INVALID = "INVALID"  # must be rejected; see InvalidReason


class InvalidReason(StrEnum):
    """Why an INVALID event must be rejected."""

    FUTURE_DATE = "FUTURE_DATE"  # recovered a week or more after it was reported
    ANCIENT_DATE = "ANCIENT_DATE"  # recovery year before 1990 (a mistyped year)
    UNKNOWN_STATE = "UNKNOWN_STATE"  # not a Mexican state ('Texas', 'Guatemala', 'XX')
    MISSING_FIELD = "MISSING_FIELD"  # a required value is blank (state, crime, event id) or no firearm data at all
    GARBAGE = "GARBAGE"  # bytes that are not an event at all (truncated JSON, binary noise)


class TraceFate(StrEnum):
    """How a trace of this gun is meant to end; the records seeder builds records to match."""

    TRACEABLE = "TRACEABLE"
    DEALER_OUT_OF_BUSINESS_FOUND = "DEALER_OUT_OF_BUSINESS_FOUND"  # completes, through the slow OOB records
    PRE_1968 = "PRE_1968"
    FOREIGN_NO_US_IMPORT = "FOREIGN_NO_US_IMPORT"
    NO_MANUFACTURER_RECORD = "NO_MANUFACTURER_RECORD"
    DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND = "DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND"
    REPORTED_STOLEN = "REPORTED_STOLEN"
    SERIAL_OBLITERATED = "SERIAL_OBLITERATED"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"

    @property
    def has_dealer(self) -> bool:
        """A US retail dealer sold (or held) this gun, so the seeder needs a dealer and a sale."""
        return self in _DEALER_FATES

    @property
    def purchaser_found(self) -> bool:
        """The trace reaches the first retail purchaser."""
        return self in (TraceFate.TRACEABLE, TraceFate.DEALER_OUT_OF_BUSINESS_FOUND)


_DEALER_FATES = frozenset(
    {
        TraceFate.TRACEABLE,
        TraceFate.DEALER_OUT_OF_BUSINESS_FOUND,
        TraceFate.DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND,
        TraceFate.REPORTED_STOLEN,
    }
)


@dataclass(frozen=True)
class FirearmTruth:
    """One physical gun of the scenario, in canonical codes, with the trace outcome it is meant to get.

    `serial` is as stamped (dashes included). `source_state` (US postal code) and `first_sale_date`
    are set when a US dealer sold it (see TraceFate.has_dealer); guns sharing a `purchase_group`
    were bought together by one purchaser (a multiple sale), for the records seeder.
    """

    firearm_id: str
    maker: str
    importer: str | None
    model: str
    caliber: str
    firearm_type: str
    country: str
    serial: str
    manufacture_year: int
    fate: TraceFate
    source_state: str | None = None
    first_sale_date: date | None = None
    purchase_group: str | None = None


@dataclass(frozen=True)
class TruthRow:
    """The truth about event number `index` of the scenario (its position in publish order).

    `duplicate_of` is the index of the earlier event this one repeats (REPEAT_SIGHTING,
    SERIAL_TYPO_SIGHTING, EXACT_RESEND). `state_code`/`crime_code` are the canonical values the
    raw text stands for (None where the event is invalid for that reason). GARBAGE rows have no
    event id or firearm.
    """

    index: int
    agency_id: str
    event_id: str | None
    kind: TruthKind
    firearm_id: str | None
    serial_status: str
    invalid_reason: InvalidReason | None = None
    duplicate_of: int | None = None
    state_code: str | None = None
    crime_code: str | None = None


@dataclass(frozen=True)
class ImperfectionRates:
    """How messy the agencies are; each rate is a probability per event slot (or per gun for serials).

    repeat_sighting, serial_typo and invalid share the event slots; exact_resend adds a verbatim
    copy right after an event; obliterated_serial and missing_serial are per physical gun;
    maker_typo, model_typo and state_typo per typed value.
    """

    repeat_sighting: float = 0.06
    exact_resend: float = 0.03
    serial_typo: float = 0.02
    obliterated_serial: float = 0.04
    missing_serial: float = 0.02
    maker_typo: float = 0.08
    model_typo: float = 0.10
    state_typo: float = 0.03
    invalid: float = 0.03
    invalid_reasons: tuple[InvalidReason, ...] = tuple(InvalidReason)

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, float) and not 0.0 <= value <= 1.0:
                raise ValueError(f"{spec.name} must be a probability, got {value}")
        if self.repeat_sighting + self.serial_typo + self.invalid > 1.0:
            raise ValueError("repeat_sighting + serial_typo + invalid must not exceed 1")
        if self.obliterated_serial + self.missing_serial > 1.0:
            raise ValueError("obliterated_serial + missing_serial must not exceed 1")
        if self.invalid > 0 and not self.invalid_reasons:
            raise ValueError("invalid events need at least one invalid reason")


@dataclass
class Scenario:
    """A generated scenario: events in publish order (dicts, or bytes for GARBAGE), their truth, the guns."""

    events: list[dict[str, Any] | bytes]
    truth: list[TruthRow]
    firearms: list[FirearmTruth]
    seed: int
    start: date
    days: int
    events_per_day: float
    rates: ImperfectionRates = field(default_factory=ImperfectionRates)
