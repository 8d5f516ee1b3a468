"""Link sightings whose serials differ by one typo: same maker (and model and caliber where both sightings
give one), close in time and place.

Such a pair is *probably* one gun typed twice (FGR and a state, one digit off or two swapped), but it may
be two guns: the rule links them for an analyst to confirm and never merges them.

Finding every serial one edit away without comparing against all serials uses the deletion neighbourhood:
two serials within one substitution, insertion, deletion or adjacent transposition always share a
string among {serial} ∪ {serial with one character deleted}. The linker files each trace once, under its
maker and exact serial (`serial_key`), and keeps a `NeighbourhoodIndex` from those variants to the serials
filed, so a lookup touches the few serials that share a variant. The index is derived from the filed keys, not
stored: one changelog record per trace instead of one per variant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from pipeline.normalize import serial_edit_distance_one

MAX_DAYS_APART = 60
MAX_KM_APART = 200.0


@dataclass(frozen=True)
class IndexedSerial:
    """A trace's serial as stored in one neighbourhood bucket."""

    trace_id: str
    serial: str
    model: str | None
    caliber: str | None
    recovery_date: date
    state_code: str | None
    latitude: float | None
    longitude: float | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON value for the table's changelog."""
        return {**asdict(self), "recovery_date": self.recovery_date.isoformat()}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> IndexedSerial:
        """Inverse of to_json."""
        return cls(**{**value, "recovery_date": date.fromisoformat(value["recovery_date"])})


def family_key(maker: str | None) -> str | None:
    """Scope of a serial comparison: the maker (serials are unique per maker in practice); None when unknown.

    Model and caliber are not part of the key because agencies often leave them blank or mistype them;
    they are compared in the match instead.
    """
    return maker or None


def agree(a: str | None, b: str | None) -> bool:
    """Two descriptions agree, or at least one sighting left the value blank."""
    return a is None or b is None or a == b


def neighbourhood(serial: str) -> list[str]:
    """The serial and every string made by deleting one of its characters (deduplicated, ordered)."""
    variants = [serial] + [serial[:i] + serial[i + 1:] for i in range(len(serial))]
    return list(dict.fromkeys(variants))


def serial_key(family: str, serial: str) -> str:
    """Where the linker files a trace: its maker family and exact serial (a family holds no '|')."""
    return f"{family}|{serial}"


class NeighbourhoodIndex:
    """Deletion-neighbourhood variant -> the serial keys filed under it, within a family.

    Derived from the filed serial keys alone, so it is rebuilt from the linker's table after a restart or a
    rebalance (`rebuild`) and never written to a changelog. A variant usually names one serial, so it maps to
    a plain string until a second serial shares it (a set per variant would double the memory).
    """

    def __init__(self) -> None:
        self._keys: dict[str, str | set[str]] = {}

    def add(self, key: str) -> None:
        """File serial key `key` (`serial_key(family, serial)`) under each of its variants; idempotent."""
        family, serial = key.split("|", 1)
        for variant in neighbourhood(serial):
            slot = f"{family}|{variant}"
            held = self._keys.get(slot)
            if held is None or held == key:
                self._keys[slot] = key
            elif isinstance(held, str):
                self._keys[slot] = {held, key}
            else:
                held.add(key)

    def near(self, family: str, serial: str) -> set[str]:
        """Serial keys filed in `family` that share a variant with `serial` (itself included when filed)."""
        found: set[str] = set()
        for variant in neighbourhood(serial):
            held = self._keys.get(f"{family}|{variant}")
            if isinstance(held, str):
                found.add(held)
            elif held is not None:
                found |= held
        return found

    def rebuild(self, keys: Iterable[str]) -> None:
        """Forget everything and file `keys` (the table's keys after a recovery)."""
        self._keys = {}
        for key in keys:
            self.add(key)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def close_in_time_and_place(a: IndexedSerial, b: IndexedSerial) -> bool:
    """Recovered within MAX_DAYS_APART days, and in the same state or within MAX_KM_APART km."""
    if abs((a.recovery_date - b.recovery_date).days) > MAX_DAYS_APART:
        return False
    if a.state_code is not None and a.state_code == b.state_code:
        return True
    coords = (a.latitude, a.longitude, b.latitude, b.longitude)
    return all(c is not None for c in coords) and _km(*coords) <= MAX_KM_APART  # type: ignore[arg-type]


def link_id(trace_a: str, trace_b: str) -> str:
    """Order-independent id of a link between two traces (the same pair found twice is one link)."""
    first, second = sorted((trace_a, trace_b))
    return f"{first}~{second}"


def linked(filed: Iterable[IndexedSerial], newcomer: IndexedSerial) -> list[str]:
    """Ids of the filed traces `newcomer` should be linked to: serial one edit away, model and caliber agreeing,
    close in time and place."""
    return [
        entry.trace_id for entry in filed
        if entry.trace_id != newcomer.trace_id
        and serial_edit_distance_one(entry.serial, newcomer.serial)
        and agree(entry.model, newcomer.model)
        and agree(entry.caliber, newcomer.caliber)
        and close_in_time_and_place(entry, newcomer)
    ]


def match_bucket(bucket: list[IndexedSerial], newcomer: IndexedSerial) -> tuple[list[IndexedSerial], list[str]]:
    """Add `newcomer` to a bucket; return (new bucket, ids of traces it should be linked to).

    A trace may be filed more than once, one entry per sighting (its opening one and each extra recovery), so
    that a link does not depend on which sighting opened the trace. Idempotent: a sighting already in the
    bucket (a replay) changes nothing but is matched again.
    """
    matches = linked(bucket, newcomer)
    if newcomer in bucket:
        return bucket, matches
    return [*bucket, newcomer], matches
