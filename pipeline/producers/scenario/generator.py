"""Deterministic synthetic agency traffic with ground truth: `generate_scenario(days, seed)`."""

from __future__ import annotations

import bisect
import copy
import math
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Any

from pipeline.producers.scenario.agencies import FGR, ID_STYLES, Agency, agency_id_for, state_of_agency
from pipeline.producers.scenario.events import Seizure, SeizureFactory
from pipeline.producers.scenario.firearms import DEFAULT_AS_OF, FirearmFactory, serial_key
from pipeline.producers.scenario.shares import load_shares
from pipeline.producers.scenario.spelling import Speller
from pipeline.producers.scenario.truth import (
    FirearmTruth,
    ImperfectionRates,
    InvalidReason,
    Scenario,
    TraceFate,
    TruthKind,
    TruthRow,
)
from pipeline.vocab import SerialStatus, State, load_vocabulary

DEFAULT_START = DEFAULT_AS_OF
DEFAULT_EVENTS_PER_DAY = 70.0  # about 25,900 traces a year across Mexican agencies (2024)
_TYPO_WINDOW_DAYS = 10  # a mistyped double entry comes within days of the original


@dataclass(frozen=True)
class _Sighting:
    """A valid event that reported a gun's true serial: what repeats and typos refer back to."""

    index: int
    gun: FirearmTruth
    seizure: Seizure
    agency: Agency
    day: date


def _serial_status(gun: FirearmTruth) -> SerialStatus:
    if gun.fate is TraceFate.SERIAL_OBLITERATED:
        return SerialStatus.OBLITERATED
    if gun.fate is TraceFate.INSUFFICIENT_DATA:
        return SerialStatus.MISSING
    return SerialStatus.PRESENT


class _ScenarioBuilder:
    """Walks the days, filling event slots; all randomness from one Random seeded by the scenario seed."""

    def __init__(self, seed: int, start: date, rates: ImperfectionRates) -> None:
        self.rng = Random(f"tracepipe-scenario:{seed}")
        self.rates = rates
        self.shares = load_shares()
        self.speller = Speller(self.rng, rates, self.shares)
        self.seizures = SeizureFactory(self.rng, self.shares, self.speller)
        self.factory = FirearmFactory(seed, rates, as_of=start)
        self.agencies = {
            agency_id: Agency(
                agency_id,
                state_of_agency(agency_id),
                self.speller.style(),
                ID_STYLES[0] if agency_id == FGR else self.rng.choice(ID_STYLES),
            )
            for agency_id in self.shares.agencies.values
        }
        self.events: list[dict[str, Any] | bytes] = []
        self.truth: list[TruthRow] = []
        self.firearms: list[FirearmTruth] = []
        self.sightings: list[_Sighting] = []
        self.sighting_days: list[int] = []  # ordinal day of each sighting, nondecreasing (days run in order)
        self.pending: deque[tuple[FirearmTruth, Seizure, Agency]] = deque()

    # -- the day loop -------------------------------------------------------------------------------

    def run_day(self, day: date, events_per_day: float) -> None:
        """Fill one local day's event slots, in publish order."""
        rng, shares = self.rng, self.shares
        count = max(0, round(rng.gauss(events_per_day, math.sqrt(events_per_day))))
        opening, closing = shares.business_hours_local
        offsets_ms = []
        for _ in range(count):
            if rng.random() < shares.business_hours_share:
                offsets_ms.append(rng.randrange(opening * 3_600_000, closing * 3_600_000))
            else:
                offsets_ms.append(rng.randrange(86_400_000))
        midnight_utc = datetime.combine(day, time(), tzinfo=UTC) - timedelta(hours=shares.utc_offset_hours)
        for offset in sorted(offsets_ms):
            self.fill_slot(day, midnight_utc + timedelta(milliseconds=offset))

    def fill_slot(self, day: date, reported_at: datetime) -> None:
        """One event slot: an invalid event, a repeat, a typo, the next gun of a seizure, or a new seizure.

        The rates apply to every slot, so the guns still waiting in a multi-gun seizure do not dilute them.
        """
        rates, roll = self.rates, self.rng.random()
        if roll < rates.invalid:
            self.invalid(day, reported_at)
            return
        roll -= rates.invalid
        if roll < rates.repeat_sighting and self.repeat(day, reported_at):
            return
        roll -= rates.repeat_sighting
        if roll < rates.serial_typo and self.typo(day, reported_at):
            return
        if self.pending:
            gun, seizure, agency = self.pending.popleft()
            self.sighting(TruthKind.NEW_FIREARM, gun, seizure, agency, reported_at, day)
            return
        self.new_seizure(day, reported_at)

    # -- building blocks ----------------------------------------------------------------------------

    def new_gun(self) -> FirearmTruth:
        gun = self.factory.next()
        self.firearms.append(gun)
        return gun

    def pick_agency(self) -> tuple[Agency, State]:
        """A publishing agency by volume, and the state of its seizure (FGR: anywhere)."""
        agency = self.agencies[self.shares.agencies.pick(self.rng)]
        state = agency.state or load_vocabulary().state(self.shares.fgr_states.pick(self.rng))
        return agency, state

    def append(self, event: dict[str, Any] | bytes, row: TruthRow) -> int:
        self.events.append(event)
        self.truth.append(row)
        return row.index

    def new_seizure(self, day: date, reported_at: datetime) -> None:
        agency, state = self.pick_agency()
        seizure = self.seizures.new(state, day)
        guns = [self.new_gun() for _ in range(self.shares.seizure_sizes.pick(self.rng))]
        self.pending.extend((gun, seizure, agency) for gun in guns[1:])
        self.sighting(TruthKind.NEW_FIREARM, guns[0], seizure, agency, reported_at, day)

    def sighting(
        self,
        kind: TruthKind,
        gun: FirearmTruth,
        seizure: Seizure,
        agency: Agency,
        reported_at: datetime,
        day: date,
        duplicate_of: int | None = None,
        typed_serial: str | None = None,
    ) -> None:
        """Publish a valid event about `gun`; `typed_serial` overrides the serial (a mistyped one)."""
        mistyped = typed_serial is not None
        serial = typed_serial if mistyped else self.speller.serial(gun)
        firearm = self.seizures.firearm(agency.style, gun, serial, clean=mistyped)
        event = self.seizures.event(agency, reported_at, seizure, firearm)
        status = SerialStatus.PRESENT if mistyped else _serial_status(gun)
        row = TruthRow(
            index=len(self.events),
            agency_id=agency.agency_id,
            event_id=event["event_id"],
            kind=kind,
            firearm_id=gun.firearm_id,
            serial_status=status,
            duplicate_of=duplicate_of,
            state_code=seizure.state.code,
            crime_code=seizure.crime,
        )
        index = self.append(event, row)
        if status is SerialStatus.PRESENT and not mistyped:
            self.sightings.append(_Sighting(index, gun, seizure, agency, day))
            self.sighting_days.append(day.toordinal())
        if self.rng.random() < self.rates.exact_resend:
            resend = replace(row, index=index + 1, kind=TruthKind.EXACT_RESEND, duplicate_of=index)
            self.append(copy.deepcopy(event), resend)

    def recent_sighting(self, day: date, window_days: int) -> _Sighting | None:
        """A random sighting reported within `window_days` before `day` (newest first, as the draw has always
        been made: the same seed gives the same scenario). A bisection, not a scan: a million-event scenario
        has hundreds of thousands of sightings in a week."""
        first = bisect.bisect_left(self.sighting_days, day.toordinal() - window_days)
        if first == len(self.sightings):
            return None
        return self.sightings[self.rng.choice(range(len(self.sightings) - 1, first - 1, -1))]

    def second_agency(self, original: Agency, seizure: Seizure) -> Agency:
        """Who enters an already reported seizure again: mostly FGR after a state, or the state after FGR."""
        rng = self.rng
        if original.state is not None:
            return self.agencies[FGR] if rng.random() < self.shares.fgr_takes_over_share else original
        state_agency = self.agencies.get(agency_id_for(seizure.state))
        return state_agency if state_agency is not None and rng.random() < 0.6 else original

    def repeat(self, day: date, reported_at: datetime) -> bool:
        """The same gun again: a double submission of a recent seizure, or a later re-recovery."""
        rng, shares = self.rng, self.shares
        if not self.sightings:
            return False
        if rng.random() < shares.double_submission_share:
            original = self.recent_sighting(day, shares.double_submission_delay_days[1])
            if original is None:
                return False
            agency, seizure = self.second_agency(original.agency, original.seizure), original.seizure
        else:
            original = rng.choice(self.sightings)
            agency, state = self.pick_agency()
            seizure = self.seizures.new(state, day)
            if seizure.recovery_date < original.seizure.recovery_date:
                seizure = replace(seizure, recovery_date=original.seizure.recovery_date)
        self.sighting(TruthKind.REPEAT_SIGHTING, original.gun, seizure, agency, reported_at, day, original.index)
        return True

    def typo(self, day: date, reported_at: datetime) -> bool:
        """The same gun entered again with one serial character wrong, close in time and place."""
        original = self.recent_sighting(day, _TYPO_WINDOW_DAYS)
        if original is None:
            return False
        maker = load_vocabulary().maker(original.gun.maker)
        model = maker.model(original.gun.model)
        key = serial_key(original.gun.serial)
        for _ in range(20):
            mistyped = self.speller.mistyped_serial(key)
            if self.factory.reserve_serial(maker, model, mistyped):
                break
        else:
            return False
        agency = self.second_agency(original.agency, original.seizure)
        seizure = self.seizures.nearby(original.seizure, max_days=1)
        typed = self.speller.present_serial(mistyped)
        self.sighting(
            TruthKind.SERIAL_TYPO_SIGHTING, original.gun, seizure, agency, reported_at, day, original.index, typed
        )
        return True

    def invalid(self, day: date, reported_at: datetime) -> None:
        """An event the validate stage must reject, for one of the configured reasons."""
        rng = self.rng
        reason = rng.choice(self.rates.invalid_reasons)
        agency, state = self.pick_agency()
        if reason is InvalidReason.GARBAGE:
            row = TruthRow(
                len(self.events), agency.agency_id, None, TruthKind.INVALID, None, SerialStatus.MISSING, reason
            )
            self.append(self.seizures.garbage(agency, reported_at), row)
            return
        seizure = self.seizures.new(state, day)
        gun = self.new_gun()
        firearm = self.seizures.firearm(agency.style, gun, self.speller.serial(gun))
        event = self.seizures.event(agency, reported_at, seizure, firearm)
        blanked = self.seizures.corrupt(event, reason, day)
        state_known = reason is not InvalidReason.UNKNOWN_STATE and blanked != "state"
        row = TruthRow(
            index=len(self.events),
            agency_id=agency.agency_id,
            event_id=None if blanked == "event_id" else event["event_id"],
            kind=TruthKind.INVALID,
            firearm_id=gun.firearm_id,
            serial_status=SerialStatus.MISSING if blanked == "firearm" else _serial_status(gun),
            invalid_reason=reason,
            state_code=seizure.state.code if state_known else None,
            crime_code=None if blanked == "crime_type" else seizure.crime,
        )
        self.append(event, row)


def generate_scenario(
    days: int,
    seed: int,
    start: date | None = None,
    rates: ImperfectionRates | None = None,
    *,
    events_per_day: float = DEFAULT_EVENTS_PER_DAY,
) -> Scenario:
    """A synthetic scenario of `days` days from `start` (default 2024-07-01), identical for identical arguments.

    Events are in publish order with reported_at non-decreasing (an EXACT_RESEND repeats the previous
    payload verbatim, timestamp included). The firearm catalogue is the one `generate_firearms` gives
    for the same seed, rates and `as_of=start`.
    """
    if days < 0 or events_per_day < 0:
        raise ValueError("days and events_per_day must not be negative")
    start = start or DEFAULT_START
    rates = rates or ImperfectionRates()
    builder = _ScenarioBuilder(seed, start, rates)
    for offset in range(days):
        builder.run_day(start + timedelta(days=offset), events_per_day)
    return Scenario(
        events=builder.events,
        truth=builder.truth,
        firearms=builder.firearms,
        seed=seed,
        start=start,
        days=days,
        events_per_day=events_per_day,
        rates=rates,
    )
