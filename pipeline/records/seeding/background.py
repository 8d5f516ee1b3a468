"""Plans the background: guns never seized (sold, in stock, stolen or old) so lookups run against realistic volumes."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from itertools import accumulate
from typing import Any, NamedTuple

from pipeline.normalize import firearm_key
from pipeline.producers.scenario.firearms import SERIAL_LETTERS, serial_key
from pipeline.records.model import MultipleSaleForm
from pipeline.records.seeding import places
from pipeline.records.seeding.licensees import OOB_DEALER_SHARE, LicenseePlanner
from pipeline.records.seeding.multiple_sales import HANDGUN_TYPES, multiple_sale_windows
from pipeline.records.seeding.rows import ManufactureRow, SaleRow, TheftRow, WholesaleRow
from pipeline.vocab import Maker, Model

PRE_1968 = 1968  # Gun Control Act: no shipment or dealer records before it
_KEY_SENTINEL = "Z9Z9Z9"
_DAY = timedelta(days=1)
_YEAR = ("YY",)
_SERIAL_TOKEN = re.compile(r"\{([LD])(\d+)\}|\{YY\}")
_DIGITS = "0123456789"
# What a background (never seized) gun's records show.
_BACKGROUND_KINDS = ("SOLD", "DEALER_STOCK", "WHOLESALER_STOCK", "STOLEN", "PRE_1968")
_BACKGROUND_CUM = tuple(accumulate((0.75, 0.10, 0.07, 0.03, 0.05)))
_BACKGROUND_MULTIPLE_SHARE = 0.03  # background sales that are a multiple handgun sale
_REPEAT_BUYER_SHARE = 0.25  # background sales to a purchaser who already bought another gun
_LOST_OOB_RECORD_SHARE = 0.1  # background sales of out-of-business dealers whose record never reached ATF


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


class _Gun(NamedTuple):
    """A background gun: key, maker, model, serial as stamped, caliber, year made."""

    key: str
    maker: Maker
    model: Model
    serial: str
    caliber: str
    year: int



class BackgroundPlanner(LicenseePlanner):
    """Adds background guns with their whole history, after the seized guns have taken their keys."""

    def __init__(self, seed: int, as_of: date, dealers: int) -> None:
        super().__init__(seed, as_of, dealers)
        self._buyers: dict[str, list[str]] = defaultdict(list)
        self._prefixes: dict[tuple[str, str], str] = {}
        self._patterns: dict[str, list[Any]] = {}
        self._caliber_cum: dict[tuple[str, str], tuple[tuple[str, ...], list[float]]] = {}

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
        if sold and self._random() < OOB_DEALER_SHARE:
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

