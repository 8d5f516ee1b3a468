"""Batched lookups in the firearms-commerce records: one query per batch, results keyed by what was asked.

Every function takes an open psycopg2 connection and runs in the caller's transaction (it never
commits), so a tracing stage can do all the lookups of a batch of guns in one transaction. Asking for
nothing runs no query; duplicates and None in the request are ignored; what is not found is absent
from the result.

Purchaser personal data is read only through `find_purchasers`, which refuses roles outside
PERSONAL_DATA_ROLES and writes one audit_log row per purchaser asked for, in the same statement (and so
the same transaction) as the read. Names never reach a log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pipeline.records.model import (
    PERSONAL_DATA_ROLES,
    AccessDenied,
    Importer,
    Licensee,
    LicenseKind,
    LicenseStatus,
    Manufacturer,
    ManufactureRecord,
    MultipleSale,
    MultipleSaleForm,
    OobRecord,
    Purchaser,
    RecordsError,
    RetailSale,
    TheftReport,
    WholesaleShipment,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

PURCHASER_READ_ACTION = "records.purchaser.read"


def _wanted(values: Iterable[str | None]) -> list[str]:
    """Distinct non-empty values, sorted (a stable parameter, so statement plans and logs are stable)."""
    return sorted({v for v in values if v})


def _by_first_column(conn: Any, query: str, values: Iterable[str | None], build: Callable[..., T]) -> dict[str, T]:
    """Run `query` (one `%s` for a text[] of the wanted values) and key each built row by its first column."""
    wanted = _wanted(values)
    if not wanted:
        return {}
    with conn.cursor() as cur:
        cur.execute(query, (wanted,))
        return {row[0]: build(*row) for row in cur.fetchall()}


def find_manufacture(conn: Any, keys: Iterable[str | None]) -> dict[str, ManufactureRecord]:
    """Manufacturer or importer records of these firearm keys."""
    return _by_first_column(
        conn,
        "SELECT firearm_key, maker_id, serial, model, caliber, made_year, importer_id, shipped_to_license,"
        " shipped_on, exported_to FROM manufacture_records WHERE firearm_key = ANY(%s::text[])",
        keys,
        ManufactureRecord,
    )


def find_wholesale(conn: Any, keys: Iterable[str | None]) -> dict[str, WholesaleShipment]:
    """Wholesalers' shipments to retail dealers of these firearm keys."""
    return _by_first_column(
        conn,
        "SELECT firearm_key, wholesaler_license, dealer_license, shipped_on"
        " FROM wholesale_shipments WHERE firearm_key = ANY(%s::text[])",
        keys,
        WholesaleShipment,
    )


def find_retail_sales(conn: Any, keys: Iterable[str | None]) -> dict[str, RetailSale]:
    """First retail sales of these firearm keys in active dealers' books."""
    return _by_first_column(
        conn,
        "SELECT firearm_key, dealer_license, sale_date, purchaser_id"
        " FROM retail_sales WHERE firearm_key = ANY(%s::text[])",
        keys,
        RetailSale,
    )


def find_oob_records(conn: Any, keys: Iterable[str | None]) -> dict[str, OobRecord]:
    """First retail sales of these firearm keys in the out-of-business records repository (the slow path)."""
    return _by_first_column(
        conn,
        "SELECT firearm_key, dealer_license, sale_date, purchaser_id"
        " FROM oob_records WHERE firearm_key = ANY(%s::text[])",
        keys,
        OobRecord,
    )


def find_thefts(conn: Any, keys: Iterable[str | None]) -> dict[str, TheftReport]:
    """Theft or loss reports of these firearm keys."""
    return _by_first_column(
        conn,
        "SELECT firearm_key, reported_on, reporter_license, note"
        " FROM theft_reports WHERE firearm_key = ANY(%s::text[])",
        keys,
        TheftReport,
    )


def _licensee(license_: str, name: str, kind: str, us_state: str, city: str, status: str, closed_on: Any) -> Licensee:
    return Licensee(license_, name, LicenseKind(kind), us_state, city, LicenseStatus(status), closed_on)


def find_dealers(conn: Any, licenses: Iterable[str | None]) -> dict[str, Licensee]:
    """Licensees (dealers, and wholesalers, manufacturers or importers alike) by licence number."""
    return _by_first_column(
        conn,
        "SELECT license, name, kind, us_state, city, status, closed_on FROM licensees WHERE license = ANY(%s::text[])",
        licenses,
        _licensee,
    )


def find_manufacturers(conn: Any, maker_ids: Iterable[str | None]) -> dict[str, Manufacturer]:
    """Makers by canonical maker id."""
    return _by_first_column(
        conn,
        "SELECT maker_id, name, country, license FROM manufacturers WHERE maker_id = ANY(%s::text[])",
        maker_ids,
        Manufacturer,
    )


def find_importers(conn: Any, importer_ids: Iterable[str | None]) -> dict[str, Importer]:
    """US importers by canonical importer id."""
    return _by_first_column(
        conn,
        "SELECT importer_id, name, license FROM importers WHERE importer_id = ANY(%s::text[])",
        importer_ids,
        Importer,
    )


def _multiple_sale(
    report_id: str, purchaser_id: str, dealer_license: str, report_date: Any, form: str, keys: list[str]
) -> MultipleSale:
    return MultipleSale(report_id, purchaser_id, dealer_license, report_date, MultipleSaleForm(form), tuple(keys))


def _grouped(rows: Iterable[tuple[Any, ...]], key_of: Callable[[MultipleSale], Iterable[str]],
             wanted: set[str]) -> dict[str, tuple[MultipleSale, ...]]:
    grouped: dict[str, list[MultipleSale]] = {}
    for row in rows:
        report = _multiple_sale(*row)
        for key in key_of(report):
            if key in wanted:
                grouped.setdefault(key, []).append(report)
    return {key: tuple(reports) for key, reports in grouped.items()}


_SELECT_MULTIPLE_SALES = (
    "SELECT report_id, purchaser_id, dealer_license, report_date, form, firearm_keys FROM multiple_sales"
)


def find_multiple_sales(conn: Any, purchaser_ids: Iterable[str | None]) -> dict[str, tuple[MultipleSale, ...]]:
    """Multiple-sale reports naming these purchasers, oldest first, keyed by purchaser id (ids only, no names)."""
    wanted = _wanted(purchaser_ids)
    if not wanted:
        return {}
    with conn.cursor() as cur:
        cur.execute(
            _SELECT_MULTIPLE_SALES + " WHERE purchaser_id = ANY(%s::text[]) ORDER BY report_date, report_id",
            (wanted,),
        )
        return _grouped(cur.fetchall(), lambda r: (r.purchaser_id,), set(wanted))


def find_multiple_sales_for_firearms(
    conn: Any, keys: Iterable[str | None]
) -> dict[str, tuple[MultipleSale, ...]]:
    """Multiple-sale reports listing these firearm keys (GIN index on firearm_keys), keyed by firearm key."""
    wanted = _wanted(keys)
    if not wanted:
        return {}
    with conn.cursor() as cur:
        cur.execute(
            _SELECT_MULTIPLE_SALES + " WHERE firearm_keys && %s::text[] ORDER BY report_date, report_id",
            (wanted,),
        )
        return _grouped(cur.fetchall(), lambda r: r.firearm_keys, set(wanted))


# One statement: the audit rows are written by the same statement (so the same transaction) that reads.
# The audited path (migration 0006): the function writes one audit row per id asked for and returns the rows.
_READ_PURCHASERS = """
SELECT purchaser_id, full_name, birth_date, address, city, us_state
FROM read_purchasers(%(ids)s::text[], %(account)s, %(role)s, %(reason)s)
"""


def find_purchasers(
    conn: Any, ids: Iterable[str | None], *, account: str, role: str, reason: str
) -> dict[str, Purchaser]:
    """Purchasers (PERSONAL DATA) by id, for `account` acting as `role`, for `reason`.

    Refuses (AccessDenied, nothing read, nothing written) unless `role` is in PERSONAL_DATA_ROLES and
    `account` and `reason` are given. Otherwise writes one audit_log row per distinct id asked for
    (action records.purchaser.read, subject = purchaser id, detail = reason, table and whether it was
    found) in the same statement as the read, so both commit or roll back together with the caller's
    transaction.
    """
    if role not in PERSONAL_DATA_ROLES:
        log.warning("purchaser read refused: account=%s role=%s", account, role)
        raise AccessDenied(f"role {role!r} may not read purchaser personal data")
    if not account or not account.strip():
        raise RecordsError("reading purchaser personal data needs the reading account")
    if not reason or not reason.strip():
        raise RecordsError("reading purchaser personal data needs a reason")
    wanted = _wanted(ids)
    if not wanted:
        return {}
    params = {"ids": wanted, "account": account, "role": role, "reason": reason}
    with conn.cursor() as cur:
        cur.execute(_READ_PURCHASERS, params)
        found = {row[0]: Purchaser(*row) for row in cur.fetchall()}
    log.info("purchaser read: account=%s role=%s asked=%d found=%d", account, role, len(wanted), len(found))
    return found
