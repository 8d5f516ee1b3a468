"""Pure planning of the firearms-commerce records: scenario guns and a seed in, the rows of every table out.

No database here. `plan_records` draws everything from its own `random.Random`, so the same guns and
seed always give the same rows; `pipeline.records.seed` only streams the planned rows into PostgreSQL.

Each seized gun gets exactly the records its `TraceFate` needs (see the table in `plan_records`), keyed
by `truth_key`, which is `pipeline.normalize.firearm_key` of the true description, as the pipeline
computes it. Background guns (never seized), extra dealers, wholesalers and purchasers surround them
so lookups run against realistic volumes.
"""

from __future__ import annotations

import re
from bisect import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from random import Random
from typing import Any, NamedTuple

from pipeline.normalize import firearm_key, normalize_serial
from pipeline.producers.scenario.firearms import DEFAULT_AS_OF, SERIAL_LETTERS, serial_key
from pipeline.producers.scenario.shares import load_shares
from pipeline.producers.scenario.truth import FirearmTruth, TraceFate
from pipeline.records import places
from pipeline.records.model import LicenseKind, LicenseStatus, MultipleSaleForm
from pipeline.vocab import FirearmType, Maker, Model, load_data, load_vocabulary

PRE_1968 = 1968  # Gun Control Act: no shipment or dealer records before it
RIFLE_REPORTS_SINCE = date(2011, 8, 14)  # start of the 3310.12 reporting requirement
MULTIPLE_SALE_BUSINESS_DAYS = 5
HANDGUN_TYPES = frozenset({FirearmType.PISTOL.value, FirearmType.REVOLVER.value})
# Rifle calibres whose guns are (mostly) not semi-automatic with detachable magazines above .22: not reported.
_UNREPORTED_RIFLE_CALIBERS = frozenset({".22 LR", ".22 WMR", ".30-30", ".30-06"})
_OOB_DEALER_SHARE = 0.15
_OTHER_STATE_WEIGHT = 0.3  # weight of a US state that is not a known source state of guns recovered in Mexico
_KEY_SENTINEL = "Z9Z9Z9"
_DAY = timedelta(days=1)
# Fate sets (frozenset membership is much cheaper than the enum's properties on the hot path).
_NO_RECORD_FATES = frozenset({TraceFate.NO_MANUFACTURER_RECORD})
# Where foreign makers sell directly (legally exported, never imported to the US); Mexico first.
EXPORT_DESTINATIONS = ("MEX", "MEX", "MEX", "GTM", "HND", "COL")
_UNLINKED_FATES = frozenset({TraceFate.SERIAL_OBLITERATED, TraceFate.INSUFFICIENT_DATA})
_DEALER_FATES = frozenset(f for f in TraceFate if f.has_dealer)
_ACTIVE_DEALER_FATES = frozenset({TraceFate.TRACEABLE, TraceFate.REPORTED_STOLEN})
_PURCHASER_FATES = frozenset(f for f in TraceFate if f.purchaser_found)
_YEAR = ("YY",)
_SERIAL_TOKEN = re.compile(r"\{([LD])(\d+)\}|\{YY\}")
_DIGITS = "0123456789"
# What a background (never seized) gun's records show.
_BACKGROUND_KINDS = ("SOLD", "DEALER_STOCK", "WHOLESALER_STOCK", "STOLEN", "PRE_1968")
_BACKGROUND_CUM = tuple(accumulate((0.75, 0.10, 0.07, 0.03, 0.05)))
_BACKGROUND_MULTIPLE_SHARE = 0.03  # background sales that are a multiple handgun sale
_REPEAT_BUYER_SHARE = 0.25  # background sales to a purchaser who already bought another gun
_LOST_OOB_RECORD_SHARE = 0.1  # background sales of out-of-business dealers whose record never reached ATF


class LicenseeRow(NamedTuple):
    """A row of `licensees`."""

    license: str
    name: str
    kind: str
    us_state: str
    city: str
    status: str
    closed_on: date | None


class ManufacturerRow(NamedTuple):
    """A row of `manufacturers`."""

    maker_id: str
    name: str
    country: str
    license: str | None


class ImporterRow(NamedTuple):
    """A row of `importers`."""

    importer_id: str
    name: str
    license: str


class ManufactureRow(NamedTuple):
    """A row of `manufacture_records`."""

    firearm_key: str
    maker_id: str
    serial: str
    model: str
    caliber: str | None
    made_year: int
    importer_id: str | None
    shipped_to_license: str | None
    shipped_on: date | None
    exported_to: str | None = None  # ISO-3 country a foreign maker exported the gun to directly (not the US)


class WholesaleRow(NamedTuple):
    """A row of `wholesale_shipments`."""

    firearm_key: str
    wholesaler_license: str
    dealer_license: str
    shipped_on: date


class SaleRow(NamedTuple):
    """A row of `retail_sales` or `oob_records`."""

    firearm_key: str
    dealer_license: str
    sale_date: date
    purchaser_id: str


class PurchaserRow(NamedTuple):
    """A row of `purchasers` (personal data)."""

    purchaser_id: str
    full_name: str
    birth_date: date
    address: str
    city: str
    us_state: str


class MultipleSaleRow(NamedTuple):
    """A row of `multiple_sales`."""

    report_id: str
    purchaser_id: str
    dealer_license: str
    report_date: date
    form: str
    firearm_keys: tuple[str, ...]


class TheftRow(NamedTuple):
    """A row of `theft_reports`."""

    firearm_key: str
    reported_on: date
    reporter_license: str
    note: str


# Every records table, in load order, with the row type whose fields are its columns.
TABLES: dict[str, Any] = {
    "licensees": LicenseeRow,
    "manufacturers": ManufacturerRow,
    "importers": ImporterRow,
    "manufacture_records": ManufactureRow,
    "wholesale_shipments": WholesaleRow,
    "retail_sales": SaleRow,
    "oob_records": SaleRow,
    "purchasers": PurchaserRow,
    "multiple_sales": MultipleSaleRow,
    "theft_reports": TheftRow,
}


def columns(table: str) -> tuple[str, ...]:
    """Column names of a records table, in the order its planned rows hold them."""
    fields: tuple[str, ...] = TABLES[table]._fields
    return fields


@dataclass
class RecordsPlan:
    """The planned rows of every records table, plus which key each seized gun got.

    `keys` maps firearm_id to firearm_key for every input gun that has one; `skipped` lists the
    firearm_ids that got no records at all (no usable true serial, or a key an earlier gun took).
    """

    licensees: list[LicenseeRow] = field(default_factory=list)
    manufacturers: list[ManufacturerRow] = field(default_factory=list)
    importers: list[ImporterRow] = field(default_factory=list)
    manufacture_records: list[ManufactureRow] = field(default_factory=list)
    wholesale_shipments: list[WholesaleRow] = field(default_factory=list)
    retail_sales: list[SaleRow] = field(default_factory=list)
    oob_records: list[SaleRow] = field(default_factory=list)
    purchasers: list[PurchaserRow] = field(default_factory=list)
    multiple_sales: list[MultipleSaleRow] = field(default_factory=list)
    theft_reports: list[TheftRow] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        """The planned rows of `table` (one of TABLES)."""
        if table not in TABLES:
            raise KeyError(f"not a records table: {table!r}")
        rows: list[tuple[Any, ...]] = getattr(self, table)
        return rows

    def counts(self) -> dict[str, int]:
        """Rows per table, in load order."""
        return {table: len(self.rows(table)) for table in TABLES}


def truth_key(gun: FirearmTruth) -> str | None:
    """The key the pipeline computes for this gun when it is reported correctly.

    `firearm_key(maker, clean_serial, model)` with `clean_serial = normalize_serial(serial)[0]` of the
    true (stamped) serial; None when the true serial itself is unusable.
    """
    clean, _ = normalize_serial(gun.serial)
    return firearm_key(gun.maker, clean, gun.model) if clean else None


def business_days_spanned(first: date, last: date) -> int:
    """Business days of the window that starts on `first` and ends on `last` (first counts as day 1)."""
    if last < first:
        first, last = last, first
    weeks, extra = divmod((last - first).days, 7)
    weekdays = weeks * 5
    day = first
    for _ in range(extra):
        day += timedelta(days=1)
        if day.weekday() < 5:
            weekdays += 1
    return 1 + weekdays


def multiple_sale_windows(sales: Sequence[tuple[date, str]]) -> list[list[tuple[date, str]]]:
    """Groups of two or more (sale date, key) that fall within 5 consecutive business days, oldest first."""
    ordered = sorted(sales)
    windows: list[list[tuple[date, str]]] = []
    i = 0
    while i < len(ordered):
        window = [ordered[i]]
        j = i + 1
        while j < len(ordered) and business_days_spanned(ordered[i][0], ordered[j][0]) <= MULTIPLE_SALE_BUSINESS_DAYS:
            window.append(ordered[j])
            j += 1
        if len(window) >= 2:
            windows.append(window)
        i = j
    return windows


def reportable_rifle(firearm_type: str, caliber: str | None, us_state: str, sale_date: date) -> bool:
    """Whether a rifle sale counts towards a 3310.12 report (semi-automatic > .22, border state, since 2011)."""
    return (
        firearm_type == FirearmType.RIFLE.value
        and caliber not in _UNREPORTED_RIFLE_CALIBERS
        and caliber is not None
        and us_state in places.RIFLE_REPORT_STATES
        and sale_date >= RIFLE_REPORTS_SINCE
    )


def _compile_pattern(pattern: str) -> list[Any]:
    """Parts of a serial pattern: literal text, _YEAR, or (alphabet, length) for {Ln} and {Dn}."""
    parts: list[Any] = []
    end = 0
    for match in _SERIAL_TOKEN.finditer(pattern):
        if match.start() > end:
            parts.append(pattern[end : match.start()])
        if match.group(0) == "{YY}":
            parts.append(_YEAR)
        else:
            parts.append((SERIAL_LETTERS if match.group(1) == "L" else _DIGITS, int(match.group(2))))
        end = match.end()
    if end < len(pattern):
        parts.append(pattern[end:])
    return parts


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


class _Gun(NamedTuple):
    """A background gun: key, maker, model, serial as stamped, caliber, year made."""

    key: str
    maker: Maker
    model: Model
    serial: str
    caliber: str
    year: int


@dataclass
class _Group:
    """A purchase group of seized guns: one dealer, one buyer, their sales."""

    dealer: str
    state: str
    purchaser: str | None = None
    sales: list[tuple[date, str, str, str | None]] = field(default_factory=list)  # date, key, type, caliber


class _Planner:
    """Builds a RecordsPlan; every draw comes from one Random seeded by the caller's seed."""

    def __init__(self, seed: int, as_of: date, dealers: int) -> None:
        self.rng = Random(f"tracepipe-records:{seed}")
        self._random = self.rng.random
        self.as_of = as_of
        self.plan = RecordsPlan()
        self.vocab = load_vocabulary()
        self.used_keys: set[str] = set()
        self._licensees: dict[str, list[Any]] = {}
        self.city_of: dict[str, str] = {}
        self.closed_on: dict[str, date] = {}
        self.last_oob_sale: dict[str, date] = {}
        self._license_seq = 0
        self._purchaser_seq = 0
        self._report_seq = 0
        self._buyers: dict[str, list[str]] = defaultdict(list)
        self._prefixes: dict[tuple[str, str], str] = {}
        self._patterns: dict[str, list[Any]] = {}
        self._caliber_cum: dict[tuple[str, str], tuple[tuple[str, ...], list[float]]] = {}
        weights = _state_weights()
        self.states = list(weights)
        self.state_cum = list(accumulate(weights.values()))
        self.pools: dict[str, _DealerPool] = {}
        self.oob_dealers: set[str] = set()
        self._companies()
        self._wholesalers(max(8, dealers // 60), weights)
        self._dealers(dealers, weights)

    # Cheaper than Random.randint / Random.choice on the hot paths (hundreds of thousands of draws).
    def _int(self, low: int, high: int) -> int:
        return low + int(self._random() * (high - low + 1))

    def _pick(self, values: Sequence[Any]) -> Any:
        return values[int(self._random() * len(values))]

    def _weighted(self, values: Sequence[Any], cum: Sequence[float]) -> Any:
        return values[bisect(cum, self._random() * cum[-1], 0, len(cum) - 1)]

    def _days(self, low: int, high: int) -> timedelta:
        return timedelta(days=low + int(self._random() * (high - low + 1)))

    # ---------------------------------------------------------------- licensees

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
            oob = max(1, round(count * _OOB_DEALER_SHARE))
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

    # ---------------------------------------------------------------- people

    def _purchaser(self, state: str, dealer: str, sale: date) -> str:
        pick, chance = self._pick, self._random
        self._purchaser_seq += 1
        purchaser_id = f"P{self._purchaser_seq:08d}"
        middle = f" {pick(places.MIDDLE_INITIALS)}." if chance() < 0.5 else ""
        full_name = f"{pick(places.GIVEN_NAMES)}{middle} {pick(places.SURNAMES)}"
        birth = sale - self._days(21 * 366, 72 * 365)
        address = f"{self._int(100, 19999)} {pick(places.STREETS)} {pick(places.STREET_KINDS)}"
        if chance() < 0.15:
            address += f" Apt {self._int(1, 40)}"
        city = self.city_of[dealer] if chance() < 0.65 else pick(places.STATES_BY_CODE[state].cities)
        self.plan.purchasers.append(PurchaserRow(purchaser_id, full_name, birth, address, city, state))
        return purchaser_id

    def _report(self, purchaser: str, dealer: str, form: MultipleSaleForm, window: list[tuple[date, str]]) -> None:
        self._report_seq += 1
        self.plan.multiple_sales.append(
            MultipleSaleRow(
                f"MS{self._report_seq:07d}", purchaser, dealer, window[-1][0], form.value, tuple(k for _, k in window)
            )
        )

    # ---------------------------------------------------------------- dates

    def _chain_to_sale(self, made_year: int, sale: date) -> tuple[date, date]:
        """(manufacturer ships to wholesaler, wholesaler ships to dealer), both on or before `sale`."""
        earliest = min(date(made_year, 1, 1), sale)
        to_dealer = sale - self._days(0, min(120, (sale - earliest).days))
        to_wholesaler = to_dealer - self._days(0, min(60, (to_dealer - earliest).days))
        return to_wholesaler, to_dealer

    def _chain_forward(self, made_year: int, latest: date) -> tuple[date, date, date]:
        """(to wholesaler, to dealer, retail sale) drawn forward from the year of manufacture, none after `latest`."""
        start = min(date(made_year, 1, 1), latest)
        to_wholesaler = start + self._days(0, min(300, (latest - start).days))
        to_dealer = min(latest, to_wholesaler + self._days(1, 60))
        sale = min(latest, to_dealer + self._days(0, 400))
        return to_wholesaler, to_dealer, sale

    # ---------------------------------------------------------------- seized guns

    def seized(self, firearms: Sequence[FirearmTruth]) -> None:
        """Records for the scenario's guns, each as its fate requires."""
        keyed: list[tuple[FirearmTruth, str]] = []
        skipped: list[str] = []
        for gun in firearms:
            key = truth_key(gun)
            if key is None or key in self.used_keys:
                skipped.append(gun.firearm_id)
                continue
            self.used_keys.add(key)
            self.plan.keys[gun.firearm_id] = key
            keyed.append((gun, key))
        self.plan.skipped = tuple(skipped)
        groups: dict[str, _Group] = {}
        unlinked: list[tuple[FirearmTruth, str]] = []
        for gun, key in keyed:
            if gun.fate in _UNLINKED_FATES:
                unlinked.append((gun, key))  # after closing dates are known, like background guns
            else:
                self._seized_gun(gun, key, groups)
        self.close_dealers()
        for gun, key in unlinked:
            self._unlinked_gun(gun, key)
        for group in groups.values():
            self._group_reports(group)

    def _seized_gun(self, gun: FirearmTruth, key: str, groups: dict[str, _Group]) -> None:
        fate, plan = gun.fate, self.plan
        if fate in _NO_RECORD_FATES:
            return
        if fate is TraceFate.FOREIGN_NO_US_IMPORT:
            plan.manufacture_records.append(
                ManufactureRow(key, gun.maker, gun.serial, gun.model, gun.caliber, gun.manufacture_year, None, None,
                               None, self._pick(EXPORT_DESTINATIONS))
            )
            return
        if fate is TraceFate.PRE_1968:
            plan.manufacture_records.append(
                ManufactureRow(key, gun.maker, gun.serial, gun.model, gun.caliber, gun.manufacture_year,
                               gun.importer, None, None)
            )
            return
        if fate not in _DEALER_FATES:
            raise ValueError(f"{gun.firearm_id}: no records plan for fate {fate}")
        if gun.source_state is None or gun.first_sale_date is None:
            raise ValueError(f"{gun.firearm_id}: fate {fate} needs a source state and a first sale date")
        state, sale = gun.source_state, gun.first_sale_date
        active = fate in _ACTIVE_DEALER_FATES
        group = groups.get(gun.purchase_group) if gun.purchase_group else None
        if group is None or group.state != state or (group.dealer in self.oob_dealers) == active:
            group = _Group(self._seized_dealer(state, active), state)
            if gun.purchase_group:
                groups[gun.purchase_group] = group
        dealer = group.dealer
        wholesaler = self._pick(self.wholesalers)
        to_wholesaler, to_dealer = self._chain_to_sale(gun.manufacture_year, sale)
        plan.manufacture_records.append(
            ManufactureRow(key, gun.maker, gun.serial, gun.model, gun.caliber, gun.manufacture_year, gun.importer,
                           wholesaler, to_wholesaler)
        )
        plan.wholesale_shipments.append(WholesaleRow(key, wholesaler, dealer, to_dealer))
        if not active:
            self.last_oob_sale[dealer] = max(sale, self.last_oob_sale.get(dealer, sale))
        if fate is TraceFate.REPORTED_STOLEN:
            plan.theft_reports.append(TheftRow(key, sale, dealer, self._pick(places.THEFT_NOTES)))
            return
        if fate not in _PURCHASER_FATES:  # out of business, record not found: the sale left no trace
            return
        if group.purchaser is None:
            group.purchaser = self._purchaser(state, dealer, sale)
        rows = plan.retail_sales if fate is TraceFate.TRACEABLE else plan.oob_records
        rows.append(SaleRow(key, dealer, sale, group.purchaser))
        group.sales.append((sale, key, gun.firearm_type, gun.caliber))

    def _unlinked_gun(self, gun: FirearmTruth, key: str) -> None:
        """SERIAL_OBLITERATED, INSUFFICIENT_DATA: an ordinary history if it entered US commerce (never looked up)."""
        maker = self.vocab.maker(gun.maker)
        if maker.us_made or gun.importer:
            self._background_history(key, maker, gun.model, gun.serial, gun.caliber, gun.manufacture_year,
                                     gun.importer, "SOLD")

    def _group_reports(self, group: _Group) -> None:
        if group.purchaser is None or len(group.sales) < 2:
            return
        handguns = [(d, k) for d, k, kind, _ in group.sales if kind in HANDGUN_TYPES]
        rifles = [(d, k) for d, k, kind, cal in group.sales if reportable_rifle(kind, cal, group.state, d)]
        for form, sales in ((MultipleSaleForm.HANDGUNS, handguns), (MultipleSaleForm.RIFLES, rifles)):
            for window in multiple_sale_windows(sales):
                self._report(group.purchaser, group.dealer, form, window)

    # ---------------------------------------------------------------- background guns

    def _pools(self) -> None:
        normal: dict[tuple[Maker, Model], float] = {}
        old: dict[tuple[Maker, Model], float] = {}
        for maker in self.vocab.makers:
            if not (maker.us_made or maker.importer):
                continue
            for model in maker.models:
                if not model.us_market or model.years[0] > self.as_of.year:
                    continue
                if (model.years[1] or self.as_of.year) >= PRE_1968:
                    normal[(maker, model)] = model.weight
                if model.years[0] < PRE_1968:
                    old[(maker, model)] = model.weight
        handguns = {pair: w for pair, w in normal.items() if pair[1].firearm_type.value in HANDGUN_TYPES}
        self._pool_normal = (list(normal), list(accumulate(normal.values())))
        self._pool_old = (list(old), list(accumulate(old.values())))
        self._pool_handguns = (list(handguns), list(accumulate(handguns.values())))

    def _noise_key(self, maker: Maker, model: Model, serial: str) -> str:
        """firearm_key of a background gun, without re-normalising maker and model for every gun."""
        pair = (maker.code, model.name)
        prefix = self._prefixes.get(pair)
        if prefix is None:
            sample = firearm_key(maker.code, _KEY_SENTINEL, model.name) or ""
            if not sample.endswith(_KEY_SENTINEL):
                raise RuntimeError(f"firearm_key no longer ends with the serial: {sample!r}")
            prefix = self._prefixes[pair] = sample[: -len(_KEY_SENTINEL)]
        return prefix + serial_key(serial)

    def _caliber(self, maker: Maker, model: Model) -> str:
        pair = (maker.code, model.name)
        cached = self._caliber_cum.get(pair)
        if cached is None:
            cached = self._caliber_cum[pair] = (
                tuple(c for c, _ in model.calibers),
                list(accumulate(w for _, w in model.calibers)),
            )
        return self._weighted(cached[0], cached[1])

    def _serial(self, pattern: str, year: int) -> str:
        """A serial from a maker pattern (see `fill_serial`), drawing a whole token at a time."""
        parts = self._patterns.get(pattern)
        if parts is None:
            parts = self._patterns[pattern] = _compile_pattern(pattern)
        choices = self.rng.choices
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif part is _YEAR:
                out.append(f"{year % 100:02d}")
            else:
                out.append("".join(choices(part[0], k=part[1])))
        return "".join(out)

    def _new_gun(self, pool: tuple[list[tuple[Maker, Model]], list[float]], pre_1968: bool = False) -> _Gun | None:
        """A background gun with a key no other gun has (None if 20 draws all collided)."""
        for _ in range(20):
            maker, model = self._weighted(pool[0], pool[1])
            first, last = model.years
            last = min(last or self.as_of.year, self.as_of.year)
            if pre_1968:
                year = self._int(max(first, 1900), min(last, PRE_1968 - 1))
            else:
                year = self._int(max(first, PRE_1968, last - 30), last)
            serial = self._serial(self._pick(model.serial_formats), year)
            key = self._noise_key(maker, model, serial)
            if key not in self.used_keys:
                self.used_keys.add(key)
                return _Gun(key, maker, model, serial, self._caliber(maker, model), year)
        return None

    def background(self, count: int) -> None:
        """`count` guns never seized: sold, in stock, stolen or old, with their dealers and buyers."""
        self._pools()
        made = 0
        while made < count:
            kind = self._weighted(_BACKGROUND_KINDS, _BACKGROUND_CUM)
            if kind == "SOLD" and count - made >= 2 and self._random() < _BACKGROUND_MULTIPLE_SHARE:
                made += self._background_multiple(min(count - made, self._pick((2, 2, 2, 3, 4))))
                continue
            gun = self._new_gun(self._pool_old if kind == "PRE_1968" else self._pool_normal, kind == "PRE_1968")
            made += 1
            if gun is None:
                continue
            key, maker, model, serial, caliber, year = gun
            importer = None if maker.us_made else maker.importer
            self._background_history(key, maker, model.name, serial, caliber, year, importer, kind)

    def _background_history(
        self, key: str, maker: Maker, model: str, serial: str, caliber: str | None, year: int,
        importer: str | None, kind: str,
    ) -> None:
        plan = self.plan
        if kind == "PRE_1968" or year < PRE_1968:
            plan.manufacture_records.append(
                ManufactureRow(key, maker.code, serial, model, caliber, year, importer, None, None)
            )
            return
        wholesaler = self._pick(self.wholesalers)
        state = self._pick_state()
        pool = self.pools[state]
        sold = kind == "SOLD"
        dealer = self._pick(pool.active)
        if sold and self._random() < _OOB_DEALER_SHARE:
            dealer = self._pick(pool.oob)
        latest = self.closed_on.get(dealer, self.as_of) - _DAY
        if latest < date(year, 1, 1):
            dealer, latest = self._pick(pool.active), self.as_of - _DAY
        to_wholesaler, to_dealer, sale = self._chain_forward(year, latest)
        plan.manufacture_records.append(
            ManufactureRow(key, maker.code, serial, model, caliber, year, importer, wholesaler, to_wholesaler)
        )
        if kind == "WHOLESALER_STOCK":
            return
        plan.wholesale_shipments.append(WholesaleRow(key, wholesaler, dealer, to_dealer))
        if kind == "STOLEN":
            plan.theft_reports.append(TheftRow(key, sale, dealer, self._pick(places.THEFT_NOTES)))
        if not sold:
            return
        buyers = self._buyers[state]
        if buyers and self._random() < _REPEAT_BUYER_SHARE:
            purchaser = self._pick(buyers)
        else:
            purchaser = self._purchaser(state, dealer, sale)
            buyers.append(purchaser)
        self._record_sale(SaleRow(key, dealer, sale, purchaser))

    def _record_sale(self, row: SaleRow) -> None:
        if row.dealer_license not in self.closed_on:
            self.plan.retail_sales.append(row)
        elif self._random() >= _LOST_OOB_RECORD_SHARE:
            self.plan.oob_records.append(row)

    def _background_multiple(self, size: int) -> int:
        """A multiple handgun sale of `size` background guns at one active dealer; returns guns made."""
        guns = [g for g in (self._new_gun(self._pool_handguns) for _ in range(size)) if g is not None]
        if not guns:
            return size
        state = self._pick_state()
        dealer = self._pick(self.pools[state].active)
        first = self.as_of - self._days(10, 15 * 365)
        first_year = max(gun.year for gun in guns)
        if first < date(first_year, 1, 1):
            first = date(first_year, 1, 1) + self._days(0, 200)
        first = min(first, self.as_of - timedelta(days=10))
        purchaser = self._purchaser(state, dealer, first)
        self._buyers[state].append(purchaser)
        sales: list[tuple[date, str]] = []
        for key, maker, model, serial, caliber, year in guns:
            sale = first + self._days(0, 2)
            wholesaler = self._pick(self.wholesalers)
            to_wholesaler, to_dealer = self._chain_to_sale(year, sale)
            importer = None if maker.us_made else maker.importer
            self.plan.manufacture_records.append(
                ManufactureRow(key, maker.code, serial, model.name, caliber, year, importer, wholesaler, to_wholesaler)
            )
            self.plan.wholesale_shipments.append(WholesaleRow(key, wholesaler, dealer, to_dealer))
            self.plan.retail_sales.append(SaleRow(key, dealer, sale, purchaser))
            sales.append((sale, key))
        for window in multiple_sale_windows(sales):
            self._report(purchaser, dealer, MultipleSaleForm.HANDGUNS, window)
        return size


def plan_records(
    firearms: Sequence[FirearmTruth],
    seed: int,
    *,
    extra_firearms: int | None = None,
    extra_licensees: int | None = None,
    as_of: date = DEFAULT_AS_OF,
) -> RecordsPlan:
    """The rows of every records table for these guns; deterministic in (firearms, seed, options).

    What each seized gun's fate gets (key = `truth_key(gun)`):

    - TRACEABLE: manufacture record shipped to a wholesaler, wholesale shipment to an ACTIVE dealer of
      `source_state`, retail sale on `first_sale_date` to a purchaser (one per purchase group).
    - DEALER_OUT_OF_BUSINESS_FOUND: the same chain to an OUT_OF_BUSINESS dealer (closed after the sale),
      the sale in `oob_records`, none in `retail_sales`.
    - DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND: the chain to an OUT_OF_BUSINESS dealer, no sale anywhere.
    - REPORTED_STOLEN: the chain to an ACTIVE dealer and a theft report by it on `first_sale_date`, no sale.
    - PRE_1968: a manufacture record (made before 1968) with no shipment.
    - FOREIGN_NO_US_IMPORT, NO_MANUFACTURER_RECORD: nothing.
    - SERIAL_OBLITERATED, INSUFFICIENT_DATA: an ordinary background history if the gun entered US commerce.

    Purchase groups that reach a purchaser get multiple-sale reports: 3310.4 for two or more handguns
    within 5 business days, 3310.12 for two or more rifles above .22 in AZ, CA, NM or TX since 2011.
    `extra_firearms` background guns (default: as many as seized) and about `extra_licensees` dealers
    (default: one per 40 guns, at least 200) surround them.
    """
    extra = len(firearms) if extra_firearms is None else extra_firearms
    if extra < 0:
        raise ValueError("extra_firearms must not be negative")
    dealers = max(200, (len(firearms) + extra) // 40) if extra_licensees is None else extra_licensees
    planner = _Planner(seed, as_of, max(dealers, 1))
    planner.seized(firearms)
    planner.background(extra)
    planner.plan.licensees = planner.licensee_rows()
    return planner.plan
