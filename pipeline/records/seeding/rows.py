"""The shape of a records plan: one row type per records table, in load order, and the plan that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple


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
