"""The planner's state and random draws: one Random seeded by the caller's seed, so plans are reproducible."""

from __future__ import annotations

from bisect import bisect
from collections.abc import Sequence
from datetime import date, timedelta
from random import Random
from typing import Any

from pipeline.records.model import MultipleSaleForm
from pipeline.records.seeding import places
from pipeline.records.seeding.rows import MultipleSaleRow, PurchaserRow, RecordsPlan
from pipeline.vocab import load_vocabulary


class PlannerState:
    """What every part of the planner shares: the plan being built, the Random, and who was sold what."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = Random(f"tracepipe-records:{seed}")
        self._random = self.rng.random
        self.as_of = as_of
        self.plan = RecordsPlan()
        self.vocab = load_vocabulary()
        self.used_keys: set[str] = set()
        self.city_of: dict[str, str] = {}
        self._purchaser_seq = 0
        self._report_seq = 0

    # Cheaper than Random.randint / Random.choice on the hot paths (hundreds of thousands of draws).
    def _int(self, low: int, high: int) -> int:
        return low + int(self._random() * (high - low + 1))

    def _pick(self, values: Sequence[Any]) -> Any:
        return values[int(self._random() * len(values))]

    def _weighted(self, values: Sequence[Any], cum: Sequence[float]) -> Any:
        return values[bisect(cum, self._random() * cum[-1], 0, len(cum) - 1)]

    def _days(self, low: int, high: int) -> timedelta:
        return timedelta(days=low + int(self._random() * (high - low + 1)))

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

