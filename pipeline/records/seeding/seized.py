"""Plans the seized guns' records: exactly what each gun's trace fate needs, keyed as the pipeline keys it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from pipeline.normalize import firearm_key, normalize_serial
from pipeline.producers.scenario.truth import FirearmTruth, TraceFate
from pipeline.records.model import MultipleSaleForm
from pipeline.records.seeding import places
from pipeline.records.seeding.background import BackgroundPlanner
from pipeline.records.seeding.multiple_sales import HANDGUN_TYPES, multiple_sale_windows, reportable_rifle
from pipeline.records.seeding.rows import ManufactureRow, SaleRow, TheftRow, WholesaleRow

# Fate sets (frozenset membership is much cheaper than the enum's properties on the hot path).
_NO_RECORD_FATES = frozenset({TraceFate.NO_MANUFACTURER_RECORD})
# Where foreign makers sell directly (legally exported, never imported to the US); Mexico first.
EXPORT_DESTINATIONS = ("MEX", "MEX", "MEX", "GTM", "HND", "COL")
_UNLINKED_FATES = frozenset({TraceFate.SERIAL_OBLITERATED, TraceFate.INSUFFICIENT_DATA})
_DEALER_FATES = frozenset(f for f in TraceFate if f.has_dealer)
_ACTIVE_DEALER_FATES = frozenset({TraceFate.TRACEABLE, TraceFate.REPORTED_STOLEN})
_PURCHASER_FATES = frozenset(f for f in TraceFate if f.purchaser_found)


def truth_key(gun: FirearmTruth) -> str | None:
    """The key the pipeline computes for this gun when it is reported correctly.

    `firearm_key(maker, clean_serial, model)` with `clean_serial = normalize_serial(serial)[0]` of the
    true (stamped) serial; None when the true serial itself is unusable.
    """
    clean, _ = normalize_serial(gun.serial)
    return firearm_key(gun.maker, clean, gun.model) if clean else None


@dataclass
class _Group:
    """A purchase group of seized guns: one dealer, one buyer, their sales."""

    dealer: str
    state: str
    purchaser: str | None = None
    sales: list[tuple[date, str, str, str | None]] = field(default_factory=list)  # date, key, type, caliber



class SeizedGunPlanner(BackgroundPlanner):
    """The whole planner: seized guns first (they must get their keys), then the background around them."""

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

