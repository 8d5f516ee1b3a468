"""Seizures (where, when, why a gun was recovered) and the SeizureEvent dicts agencies publish about them."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from pipeline.producers.scenario.agencies import Agency
from pipeline.producers.scenario.shares import ScenarioShares
from pipeline.producers.scenario.spelling import AgencyStyle, Speller
from pipeline.producers.scenario.truth import FirearmTruth, InvalidReason
from pipeline.vocab import Municipality, State


@dataclass(frozen=True)
class Person:
    """A synthetic possessor (random name parts, never a real person)."""

    full_name: str
    birth_date: date
    male: bool


@dataclass(frozen=True)
class Seizure:
    """The recovery itself, in canonical terms; every gun and every agency report of it shares this."""

    state: State
    municipality: Municipality | None
    latitude: float | None
    longitude: float | None
    recovery_date: date
    crime: str
    urgent: bool
    possessor: Person | None
    notes: str | None


class SeizureFactory:
    """Draws seizures and renders events about them, all from the scenario's Random."""

    def __init__(self, rng: Random, shares: ScenarioShares, speller: Speller) -> None:
        self._rng = rng
        self._shares = shares
        self._speller = speller

    def _present(self, name: str) -> bool:
        return self._rng.random() < self._shares.present[name]

    def new(self, state: State, local_day: date) -> Seizure:
        """A fresh seizure in `state`, recovered on or some days before `local_day`."""
        rng, shares = self._rng, self._shares
        low, high = shares.report_lags.pick(rng)
        recovered = local_day - timedelta(days=rng.randint(low, high))
        municipality = rng.choice(state.municipalities)
        latitude = longitude = None
        if self._present("coordinates"):
            jitter = shares.jitter_degrees
            latitude = round(municipality.latitude + rng.uniform(-jitter, jitter), 6)
            longitude = round(municipality.longitude + rng.uniform(-jitter, jitter), 6)
        return Seizure(
            state=state,
            municipality=municipality if self._present("municipality") else None,
            latitude=latitude,
            longitude=longitude,
            recovery_date=recovered,
            crime=shares.crimes.pick(rng),
            urgent=rng.random() < shares.urgent_share,
            possessor=self._person(recovered) if self._present("possessor") else None,
            notes=rng.choice(shares.notes) if self._present("notes") else None,
        )

    def _person(self, on: date) -> Person:
        rng, shares = self._rng, self._shares
        male = rng.random() < shares.male_share
        given = rng.choice(shares.male_given if male else shares.female_given)
        name = f"{given} {rng.choice(shares.surnames)} {rng.choice(shares.surnames)}"
        age_days = int(rng.uniform(*shares.age_years) * 365.25)
        return Person(name, on - timedelta(days=age_days), male)

    def nearby(self, seizure: Seizure, max_days: int) -> Seizure:
        """The same seizure as another agency records it: a few metres and at most `max_days` off."""
        rng = self._rng
        moved = replace(seizure, recovery_date=seizure.recovery_date + timedelta(days=rng.randint(-max_days, max_days)))
        if seizure.latitude is None or seizure.longitude is None:
            return moved
        return replace(
            moved,
            latitude=round(seizure.latitude + rng.uniform(-0.005, 0.005), 6),
            longitude=round(seizure.longitude + rng.uniform(-0.005, 0.005), 6),
        )

    def firearm(self, style: AgencyStyle, gun: FirearmTruth, serial: str | None, clean: bool = False) -> dict[str, Any]:
        """The firearm record as typed; `clean` keeps model and caliber present and unmistyped."""
        speller = self._speller
        return {
            "manufacturer": speller.maker(style, gun.maker),
            "importer": speller.importer(style, gun.importer),
            "model": speller.model(style, gun, clean),
            "caliber": speller.caliber(style, gun.caliber, clean),
            "serial": serial,
            "firearm_type": speller.firearm_type(style, gun),
            "country": speller.country(style, gun.country),
        }

    def event(self, agency: Agency, reported_at: datetime, seizure: Seizure, firearm: dict[str, Any]) -> dict[str, Any]:
        """A SeizureEvent dict (raw strings, dates as date, timestamps UTC) for `seizure` by `agency`."""
        rng, style, speller = self._rng, agency.style, self._speller
        day = seizure.recovery_date
        possessor = None
        if seizure.possessor is not None:
            person = seizure.possessor
            possessor = {
                "full_name": speller.text(style, person.full_name),
                "birth_date": person.birth_date,
                "sex": style.sex_codes[0 if person.male else 1],
            }
        has_case = rng.random() < self._shares.present["case_number"]
        return {
            "agency_id": agency.agency_id,
            "event_id": agency.next_event_id(rng, reported_at.date()),
            "reported_at": reported_at,
            "recovery_date": seizure.recovery_date,
            "state": speller.state(style, seizure.state),
            "municipality": speller.text(style, seizure.municipality.name) if seizure.municipality else None,
            "latitude": seizure.latitude,
            "longitude": seizure.longitude,
            "crime_type": speller.crime(style, seizure.crime),
            "priority": "URGENT" if seizure.urgent else "ROUTINE",
            "firearm": firearm,
            "possessor": possessor,
            "notes": speller.text(style, seizure.notes) if seizure.notes else None,
            "case_number": agency.next_case_number(seizure.state, day) if has_case else None,
        }

    def corrupt(self, event: dict[str, Any], reason: InvalidReason, local_day: date) -> str | None:
        """Make `event` invalid for `reason` in place; returns the blanked field for MISSING_FIELD."""
        rng = self._rng
        if reason is InvalidReason.FUTURE_DATE:
            event["recovery_date"] = local_day + timedelta(days=rng.randint(7, 400))
        elif reason is InvalidReason.ANCIENT_DATE:
            recovered = event["recovery_date"]
            year = rng.choice((recovered.year - 1000, recovered.year - 100, rng.randint(1900, 1989)))
            event["recovery_date"] = date(year, recovered.month, min(recovered.day, 28))
        elif reason is InvalidReason.UNKNOWN_STATE:
            event["state"] = rng.choice(self._shares.unknown_states)
        elif reason is InvalidReason.MISSING_FIELD:
            blanked = rng.choice(("state", "crime_type", "event_id", "firearm"))
            if blanked == "firearm":
                event["firearm"] = dict.fromkeys(event["firearm"])
            else:
                event[blanked] = rng.choice(("", " "))
            return blanked
        return None

    def garbage(self, agency: Agency, reported_at: datetime) -> bytes:
        """Bytes that are not an event: truncated JSON, random text or binary noise, never a newline."""
        rng = self._rng
        kind = rng.randrange(4)
        if kind == 0:
            header = {
                "agency_id": agency.agency_id,
                "event_id": f"{agency.agency_id}-{rng.randrange(10**6):06d}",
                "reported_at": reported_at.isoformat(),
                "state": "Jalisco",
                "firearm": {"serial": "ABC"},
            }
            text = json.dumps(header, ensure_ascii=False)
            return text[: rng.randint(1, len(text) - 2)].encode("utf-8")
        if kind == 1:
            alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,;:-_/"
            body = "".join(rng.choice(alphabet) for _ in range(rng.randint(12, 80)))
            return ("x" + body).encode("ascii")
        noise = [b for b in rng.randbytes(rng.randint(8, 64)) if b not in (0x0A, 0x0D)]
        prefix = b"\x00\x00\x00\x00\x2a" if kind == 2 else b"\xff\xfe"
        return prefix + bytes(noise)
