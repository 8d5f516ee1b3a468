"""The catalogue of physical guns: canonical description, true serial and the trace fate each is meant to get."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from random import Random

from pipeline.producers.scenario.shares import ScenarioShares, Weighted, load_shares
from pipeline.producers.scenario.truth import FirearmTruth, ImperfectionRates, TraceFate
from pipeline.vocab import FirearmType, Maker, Model, SerialScope, load_vocabulary

DEFAULT_AS_OF = date(2024, 7, 1)  # 22 states + FGR accredited by then; fixed so output never depends on today
SERIAL_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # makers avoid I, O and Q: they read as 1 and 0
_SERIAL_TOKEN = re.compile(r"\{([LD])(\d+)\}|\{YY\}")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_PRE_1968 = 1968  # the Gun Control Act: no dealer records required before it


def serial_key(serial: str) -> str:
    """The serial as the generator identifies it: upper-case letters and digits only."""
    return _NOT_ALNUM.sub("", serial.upper())


def fill_serial(pattern: str, rng: Random, year: int) -> str:
    """A serial from a maker pattern: {L3} three letters, {D5} five digits, {YY} the year, rest literal."""

    def token(match: re.Match[str]) -> str:
        if match.group(0) == "{YY}":
            return f"{year % 100:02d}"
        alphabet = SERIAL_LETTERS if match.group(1) == "L" else "0123456789"
        return "".join(rng.choice(alphabet) for _ in range(int(match.group(2))))

    return _SERIAL_TOKEN.sub(token, pattern)


@dataclass
class _PurchaseGroup:
    """Guns still to be drawn for one multiple sale: same buyer, dealer state, days apart."""

    group_id: str
    remaining: int
    source_state: str
    sale_date: date
    fate: TraceFate
    firearm_type: FirearmType


class FirearmFactory:
    """Draws the guns of a scenario one at a time from its own Random.

    The n-th gun depends only on (seed, rates, as_of, n), so `generate_firearms(n, seed)` and a
    scenario with the same seed share their catalogue. Serials are unique per maker (per model
    family for makers that reuse serials); `reserve_serial` lets the scenario claim mistyped serials
    so no real gun is later given one.
    """

    def __init__(self, seed: int, rates: ImperfectionRates, as_of: date = DEFAULT_AS_OF) -> None:
        self._rng = Random(f"tracepipe-firearms:{seed}")
        self._rates = rates
        self._as_of = as_of
        self._shares: ScenarioShares = load_shares()
        self._count = 0
        self._groups = 0
        self._group: _PurchaseGroup | None = None
        self._serials: set[tuple[str, str, str]] = set()
        self._pools: dict[tuple[bool, FirearmType | None, bool], Weighted[tuple[Maker, Model]]] = {}

    def reserve_serial(self, maker: Maker, model: Model, key: str) -> bool:
        """Claim serial `key` for `maker`/`model`; False if a gun already has it."""
        scope = model.family if maker.serial_scope is SerialScope.MODEL_FAMILY else ""
        entry = (maker.code, scope, key)
        if entry in self._serials:
            return False
        self._serials.add(entry)
        return True

    def next(self) -> FirearmTruth:
        """The next gun of the catalogue."""
        if self._group is not None and self._group.remaining > 0:
            return self._group_member(self._group)
        rng, rates = self._rng, self._rates
        roll = rng.random()
        us_sourced = rng.random() < self._shares.us_sourced_share
        if roll < rates.obliterated_serial:
            fate = TraceFate.SERIAL_OBLITERATED
        elif roll < rates.obliterated_serial + rates.missing_serial:
            fate = TraceFate.INSUFFICIENT_DATA
        else:
            fate = self._shares.us_fates.pick(rng) if us_sourced else TraceFate.FOREIGN_NO_US_IMPORT
        firearm_type = self._shares.types.pick(rng)
        maker, model = self._pool(us_sourced, firearm_type, fate is TraceFate.PRE_1968).pick(rng)
        gun = self._make(maker, model, us_sourced, fate)
        if fate.has_dealer and rng.random() < self._shares.group_start_share:
            gun = self._start_group(gun)
        return gun

    def _pool(
        self, us_sourced: bool, firearm_type: FirearmType | None, pre_1968: bool
    ) -> Weighted[tuple[Maker, Model]]:
        """Models a gun of this origin and type can be, weighted by how often they are recovered."""
        key = (us_sourced, firearm_type, pre_1968)
        if key not in self._pools:
            eligible = {
                (maker, model): model.weight
                for maker in load_vocabulary().makers
                for model in maker.models
                if (firearm_type is None or model.firearm_type is firearm_type)
                and self._fits_origin(maker, model, us_sourced)
                and model.years[0] <= self._as_of.year
                and (not pre_1968 or model.years[0] < _PRE_1968)
            }
            if not eligible:
                return self._pool(us_sourced, None, pre_1968)
            self._pools[key] = Weighted.of(eligible)
        return self._pools[key]

    @staticmethod
    def _fits_origin(maker: Maker, model: Model, us_sourced: bool) -> bool:
        if us_sourced:
            return model.us_market and (maker.us_made or maker.importer is not None)
        return maker.direct_export and not maker.us_made

    def _make(
        self, maker: Maker, model: Model, us_sourced: bool, fate: TraceFate, group: _PurchaseGroup | None = None
    ) -> FirearmTruth:
        rng = self._rng
        self._count += 1
        caliber = Weighted.of(dict(model.calibers)).pick(rng)
        year, source_state, sale_date = self._history(model, fate, group)
        return FirearmTruth(
            firearm_id=f"F{self._count:06d}",
            maker=maker.code,
            importer=maker.importer if us_sourced and not maker.us_made else None,
            model=model.name,
            caliber=caliber,
            firearm_type=model.firearm_type.value,
            country=maker.country,
            serial=self._new_serial(maker, model, year),
            manufacture_year=year,
            fate=fate,
            source_state=source_state,
            first_sale_date=sale_date,
            purchase_group=group.group_id if group else None,
        )

    def _history(
        self, model: Model, fate: TraceFate, group: _PurchaseGroup | None
    ) -> tuple[int, str | None, date | None]:
        """(manufacture year, US source state, first retail sale date) consistent with the fate."""
        rng, first = self._rng, model.years[0]
        last = min(model.years[1] or self._as_of.year, self._as_of.year)
        if fate is TraceFate.PRE_1968:
            return rng.randint(max(first, 1900), min(last, _PRE_1968 - 1)), None, None
        if not fate.has_dealer:
            return max(first, min(last, self._as_of.year - rng.randint(0, 25))), None, None
        if group is not None:
            spread = timedelta(days=rng.randint(0, self._shares.group_spread_days))
            sale = min(group.sale_date + spread, self._as_of - timedelta(days=1))
            source_state = group.source_state
        else:
            sale = self._as_of - timedelta(days=self._time_to_crime_days())
            source_state = self._shares.source_states.pick(rng)
        earliest = date(first, 1, 1)
        if sale < earliest:
            sale = earliest + timedelta(days=rng.randint(0, max(0, (self._as_of - earliest).days - 1)))
        return max(first, min(last, sale.year - rng.randint(0, 1))), source_state, sale

    def _time_to_crime_days(self) -> int:
        """Days from first retail sale to recovery: gamma-distributed, mean about 5.4 years for Mexico."""
        shares = self._shares
        years = self._rng.gammavariate(shares.ttc_shape, shares.ttc_mean_years / shares.ttc_shape)
        return max(30, int(years * 365.25))

    def _new_serial(self, maker: Maker, model: Model, year: int) -> str:
        for _ in range(1000):
            serial = fill_serial(self._rng.choice(model.serial_formats), self._rng, year)
            if self.reserve_serial(maker, model, serial_key(serial)):
                return serial
        raise RuntimeError(f"serial space of {maker.code} {model.name} exhausted")

    def _start_group(self, leader: FirearmTruth) -> FirearmTruth:
        self._groups += 1
        group = _PurchaseGroup(
            group_id=f"G{self._groups:05d}",
            remaining=self._shares.group_sizes.pick(self._rng) - 1,
            source_state=leader.source_state or "",
            sale_date=leader.first_sale_date or self._as_of,
            fate=leader.fate,
            firearm_type=FirearmType(leader.firearm_type),
        )
        self._group = group
        return replace(leader, purchase_group=group.group_id)

    def _group_member(self, group: _PurchaseGroup) -> FirearmTruth:
        """Another gun of the same multiple sale: same type, buyer, dealer state and fate."""
        group.remaining -= 1
        pool = self._pool(True, group.firearm_type, False)
        for _ in range(20):
            maker, model = pool.pick(self._rng)
            if model.years[0] <= group.sale_date.year:
                break
        return self._make(maker, model, True, group.fate, group)


def generate_firearms(
    n: int, seed: int, *, rates: ImperfectionRates | None = None, as_of: date = DEFAULT_AS_OF
) -> list[FirearmTruth]:
    """The first `n` guns of the catalogue for `seed` (the same guns a scenario with that seed uses)."""
    factory = FirearmFactory(seed, rates or ImperfectionRates(), as_of)
    return [factory.next() for _ in range(n)]
