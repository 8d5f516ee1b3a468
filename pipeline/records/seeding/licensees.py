"""Plans the licensees: manufacturers, importers, wholesalers and dealers (active and out of business) by state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from pipeline.producers.scenario.shares import load_shares
from pipeline.records.model import LicenseKind, LicenseStatus
from pipeline.records.seeding import places
from pipeline.records.seeding.draws import PlannerState
from pipeline.records.seeding.rows import ImporterRow, LicenseeRow, ManufacturerRow
from pipeline.vocab import load_data

OOB_DEALER_SHARE = 0.15
_OTHER_STATE_WEIGHT = 0.3  # weight of a US state that is not a known source state of guns recovered in Mexico


def _state_weights() -> dict[str, float]:
    source = load_shares().source_states
    cum = source.cum_weights
    known = {state: cum[i] - (cum[i - 1] if i else 0.0) for i, state in enumerate(source.values)}
    return {s.code: known.get(s.code, _OTHER_STATE_WEIGHT) for s in places.US_STATES}


@dataclass
class _DealerPool:
    """Dealers of one state: active and out of business, with skewed weights for seized guns."""

    active: list[str] = field(default_factory=list)
    oob: list[str] = field(default_factory=list)
    active_cum: list[float] = field(default_factory=list)
    oob_cum: list[float] = field(default_factory=list)

    def finish(self) -> None:
        # Crime guns concentrate on a few dealers: weight 1/rank.
        self.active_cum = list(accumulate(1.0 / (i + 1) for i in range(len(self.active))))
        self.oob_cum = list(accumulate(1.0 / (i + 1) for i in range(len(self.oob))))



class LicenseePlanner(PlannerState):
    """Draws every licensee at start; out-of-business dealers get their closing dates once seized guns are known."""

    def __init__(self, seed: int, as_of: date, dealers: int) -> None:
        super().__init__(seed, as_of)
        self._licensees: dict[str, list[Any]] = {}
        self.closed_on: dict[str, date] = {}
        self.last_oob_sale: dict[str, date] = {}
        self._license_seq = 0
        weights = _state_weights()
        self.states = list(weights)
        self.state_cum = list(accumulate(weights.values()))
        self.pools: dict[str, _DealerPool] = {}
        self.oob_dealers: set[str] = set()
        self._companies()
        self._wholesalers(max(8, dealers // 60), weights)
        self._dealers(dealers, weights)

    def _license(self, kind: LicenseKind, state: str, city: str, name: str, pawn: bool = False) -> str:
        rng = self.rng
        self._license_seq += 1
        us_state = places.STATES_BY_CODE[state]
        type_code = {"MANUFACTURER": "07", "IMPORTER": "08"}.get(kind.value, "02" if pawn else "01")
        district = 10 + places.US_STATES.index(us_state)
        expiry = f"{rng.randint(0, 9)}{rng.choice('ABCDEFGHJKLM')}"
        number = (
            f"{us_state.region}-{district:02d}-{rng.randrange(1, 510, 2):03d}-{type_code}-{expiry}-"
            f"{self._license_seq:05d}"
        )
        self._licensees[number] = [number, name, kind.value, state, city, LicenseStatus.ACTIVE.value]
        self.city_of[number] = city
        return number

    def _site(self, code: str) -> tuple[str, str]:
        if code in places.COMPANY_SITES:
            return places.COMPANY_SITES[code]
        state = places.US_STATES[self.rng.randrange(len(places.US_STATES))]
        return state.code, self.rng.choice(state.cities)

    def _companies(self) -> None:
        for maker in self.vocab.makers:
            license_ = None
            if maker.us_made:
                state, city = self._site(maker.code)
                license_ = self._license(LicenseKind.MANUFACTURER, state, city, maker.name)
            self.plan.manufacturers.append(ManufacturerRow(maker.code, maker.name, maker.country, license_))
        for raw in load_data("importers.json", "pipeline.vocab")["importers"]:
            state, city = self._site(raw["id"])
            license_ = self._license(LicenseKind.IMPORTER, state, city, raw["name"])
            self.plan.importers.append(ImporterRow(raw["id"], raw["name"], license_))

    def _pick_state(self) -> str:
        return self._weighted(self.states, self.state_cum)

    def _shop_name(self, kinds: tuple[str, ...], city: str) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            lead = f"{rng.choice(places.SURNAMES)}'s"
        elif roll < 0.5:
            lead = rng.choice(places.SURNAMES)
        elif roll < 0.65:
            lead = city
        else:
            lead = rng.choice(places.SHOP_WORDS)
        return f"{lead} {rng.choice(kinds)}"

    def _wholesalers(self, count: int, weights: dict[str, float]) -> None:
        self.wholesalers: list[str] = []
        for _ in range(count):
            state = self._pick_state()
            city = self.rng.choice(places.STATES_BY_CODE[state].cities)
            name = self._shop_name(places.WHOLESALE_KINDS, city)
            self.wholesalers.append(self._license(LicenseKind.WHOLESALER, state, city, name))

    def _dealers(self, total: int, weights: dict[str, float]) -> None:
        weight_sum = sum(weights.values())
        for state, weight in weights.items():
            pool = self.pools[state] = _DealerPool()
            count = max(3, round(total * weight / weight_sum))
            oob = max(1, round(count * OOB_DEALER_SHARE))
            cities = places.STATES_BY_CODE[state].cities
            for i in range(count):
                city = self.rng.choice(cities)
                name = self._shop_name(places.SHOP_KINDS, city)
                license_ = self._license(LicenseKind.DEALER, state, city, name, pawn="Pawn" in name)
                (pool.oob if i < oob else pool.active).append(license_)
                if i < oob:
                    self.oob_dealers.add(license_)
            pool.finish()

    def _seized_dealer(self, state: str, active: bool) -> str:
        pool = self.pools.get(state)
        if pool is None:
            raise ValueError(f"unknown US state {state!r}")
        if active:
            return self._weighted(pool.active, pool.active_cum)
        return self._weighted(pool.oob, pool.oob_cum)

    def close_dealers(self) -> None:
        """Give every out-of-business dealer a closing date after the seized guns it sold."""
        rng, as_of = self.rng, self.as_of
        for state in self.states:
            for dealer in self.pools[state].oob:
                last = self.last_oob_sale.get(dealer)
                if last is None:
                    closed = as_of - timedelta(days=rng.randint(30, 20 * 365))
                else:
                    room = max(1, (as_of - last).days)
                    closed = last + timedelta(days=rng.randint(1, min(room, 4 * 365)))
                self.closed_on[dealer] = closed

    def licensee_rows(self) -> list[LicenseeRow]:
        """Licensee rows, out-of-business dealers with their closing date."""
        rows = []
        for number, values in self._licensees.items():
            closed = self.closed_on.get(number)
            status = LicenseStatus.OUT_OF_BUSINESS.value if closed else values[5]
            rows.append(LicenseeRow(values[0], values[1], values[2], values[3], values[4], status, closed))
        return rows

