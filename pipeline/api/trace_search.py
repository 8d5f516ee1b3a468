"""Trace search: filters to SQL, keyset pagination that stays stable under inserts, rows to summaries.

Every query is parameterised; the only text spliced into SQL comes from the constants in this module.
A page cursor is the sort key of the last row shown, so rows inserted meanwhile never shift a page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.api.errors import ApiError
from pipeline.api.scope import Scope
from pipeline.i18n import MESSAGES, t
from pipeline.normalize import normalize_serial, serial_edit_distance_one

SHORT_TIME_TO_CRIME_DAYS = 3 * 365
# sort name -> (SQL key expression, the same in Python for the cursor's JSON)
SORTS: dict[str, str] = {
    "recovery_date": "coalesce(t.recovery_date, DATE '0001-01-01')",
    "completed_at": "t.completed_at",
    "time_to_crime_days": "coalesce(t.time_to_crime_days, -1)",
}
SUMMARY_COLUMNS = (
    "trace_id", "outcome", "reason", "maker", "model", "caliber", "serial", "firearm_type", "country",
    "recovery_date", "state_code", "opening_agency", "agencies", "first_sale_date", "time_to_crime_days",
    "source_state", "dealer_license", "purchaser_id", "completed_at", "merged_from",
)


@dataclass(frozen=True)
class TraceFilters:
    """What a search asks for; every field optional."""

    agency: str | None = None
    state: str | None = None
    outcome: str | None = None
    reason: str | None = None
    recovered_from: date | None = None
    recovered_to: date | None = None
    maker: str | None = None
    model: str | None = None
    caliber: str | None = None
    serial: str | None = None
    serial_near: bool = False
    ttc_min: int | None = None
    ttc_max: int | None = None
    source_state: str | None = None
    dealer: str | None = None


def reason_text(reason: str, lang: str) -> str:
    """The close reason in words."""
    key = f"reason_{reason.lower()}"
    return t(key, lang) if key in MESSAGES else reason


def purchaser_ref(purchaser_id: str | None, pepper: bytes) -> str | None:
    """A pseudonym that is the same on every trace of one buyer but reveals nothing about who it is."""
    if purchaser_id is None:
        return None
    return "PR-" + hmac.new(pepper, purchaser_id.encode(), hashlib.sha256).hexdigest()[:16]


def clean_serial(serial: str) -> str:
    """The searched serial in the pipeline's normal form (as the traces table stores it)."""
    clean, _ = normalize_serial(serial)
    return clean or serial.strip().upper()


def where_clause(filters: TraceFilters, scope: Scope) -> tuple[str, list[str], dict[str, Any]]:
    """The FROM item (the caller's traces, merged: `Scope.traces`), SQL conditions (ANDed), their parameters."""
    source, params = scope.traces("t")
    clauses = ["TRUE"]
    simple = (("agency", "%(agency)s = ANY (t.agencies)"), ("state", "t.state_code = %(state)s"),
              ("outcome", "t.outcome = %(outcome)s"), ("reason", "t.reason = %(reason)s"),
              ("recovered_from", "t.recovery_date >= %(recovered_from)s"),
              ("recovered_to", "t.recovery_date <= %(recovered_to)s"),
              ("maker", "upper(t.maker) = upper(%(maker)s)"), ("model", "upper(t.model) = upper(%(model)s)"),
              ("caliber", "upper(t.caliber) = upper(%(caliber)s)"),
              ("ttc_min", "t.time_to_crime_days >= %(ttc_min)s"), ("ttc_max", "t.time_to_crime_days <= %(ttc_max)s"),
              ("source_state", "t.source_state = %(source_state)s"), ("dealer", "t.dealer_license = %(dealer)s"))
    if filters.agency is not None and not scope.sees_agency(filters.agency):
        clauses.append("FALSE")  # who else recovered a gun is not the caller's to learn by filtering
    for name, condition in simple:
        value = getattr(filters, name)
        if value is not None:
            clauses.append(condition)
            params[name] = value
    if filters.serial:
        params["serial"] = clean_serial(filters.serial)
        if filters.serial_near:  # a cheap superset; the exact possible-duplicate rule is applied in Python
            clauses.append("levenshtein_less_equal(t.serial, %(serial)s, 2) <= 2")
        else:
            serial_sql, _ = scope.merged_serial_clause("t", "serial")
            clauses.append(serial_sql)
    return source, clauses, params


def encode_cursor(sort: str, key: Any, trace_id: str) -> str:
    """An opaque cursor for the row after (sort key, trace id)."""
    value = key.isoformat() if hasattr(key, "isoformat") else key
    return base64.urlsafe_b64encode(json.dumps([sort, value, trace_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    """(sort key, trace id) of a cursor made for this sort; ApiError 400 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, trace_id = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor") from None
    if name != sort or not isinstance(trace_id, str) or not isinstance(value, str | int):
        raise ApiError(400, "invalid_cursor")
    return value, trace_id


def search_sql(filters: TraceFilters, scope: Scope, sort: str, descending: bool, after: tuple[Any, str] | None,
               limit: int) -> tuple[str, dict[str, Any]]:
    """The page query: filters, the cursor's keyset condition, the sort, a limit."""
    source, clauses, params = where_clause(filters, scope)
    key = SORTS[sort]
    if after is not None:
        params["after_key"], params["after_id"] = after
        cast = "::date" if sort == "recovery_date" else ("::timestamptz" if sort == "completed_at" else "::int")
        clauses.append(f"({key}, t.trace_id) {'<' if descending else '>'} (%(after_key)s{cast}, %(after_id)s)")
    direction = "DESC" if descending else "ASC"
    params["limit"] = limit
    columns = ", ".join(f"t.{c}" for c in SUMMARY_COLUMNS)
    query = (f"SELECT {columns}, {key} AS sort_key FROM {source} WHERE {' AND '.join(clauses)} "  # noqa: S608
             f"ORDER BY {key} {direction}, t.trace_id {direction} LIMIT %(limit)s")
    return query, params


def summary(row: tuple[Any, ...], scope: Scope, lang: str, pepper: bytes) -> dict[str, Any]:
    """A summary (dict shaped like models.TraceSummary) from a row of SUMMARY_COLUMNS."""
    item = dict(zip(SUMMARY_COLUMNS, row, strict=False))
    ttc = item["time_to_crime_days"]
    item["agencies"] = [a for a in item["agencies"] if scope.sees_agency(a)]
    item["reason_text"] = reason_text(item["reason"], lang)
    item["short_time_to_crime"] = None if ttc is None else ttc < SHORT_TIME_TO_CRIME_DAYS
    item["purchaser_ref"] = purchaser_ref(item.pop("purchaser_id"), pepper)
    return item


def near_match(searched: str, serial: str | None) -> bool:
    """The possible-duplicate rule (one edit or one adjacent swap), or the same serial."""
    return serial is not None and (serial == searched or serial_edit_distance_one(searched, serial))


def search_page(conn: Any, filters: TraceFilters, scope: Scope, sort: str, descending: bool, cursor: str | None,
                limit: int, lang: str, pepper: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """One page of summaries and the cursor of the next (None at the end)."""
    after = decode_cursor(cursor, sort) if cursor else None
    items: list[dict[str, Any]] = []
    searched = clean_serial(filters.serial) if filters.serial and filters.serial_near else None
    while True:  # near-serial pages are filtered after the query: read on until the page is full
        query, params = search_sql(filters, scope, sort, descending, after, limit + 1)
        with conn.cursor() as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        more = len(rows) > limit
        page = rows[:limit]
        for index, row in enumerate(page):
            after = (row[-1].isoformat() if hasattr(row[-1], "isoformat") else row[-1], row[0])
            if searched is None or near_match(searched, row[SUMMARY_COLUMNS.index("serial")]):
                items.append(summary(row[:-1], scope, lang, pepper))
                if len(items) == limit:
                    rest = more or index < len(page) - 1
                    return items, encode_cursor(sort, *after) if rest else None
        if not more:
            return items, None


def search_counts(conn: Any, filters: TraceFilters, scope: Scope) -> dict[str, dict[str, int]]:
    """Traces of a search by Mexican recovery state and by US source state (what the maps colour); a merged
    pair of confirmed duplicates counts once."""
    source, clauses, params = where_clause(filters, scope)
    counts: dict[str, dict[str, int]] = {}
    for column in ("state_code", "source_state"):
        with conn.cursor() as cur:
            cur.execute(f"SELECT t.{column}, count(*) FROM {source} WHERE {' AND '.join(clauses)} "  # noqa: S608
                        f"AND t.{column} IS NOT NULL GROUP BY 1", params)
            counts[column] = {key: int(n) for key, n in cur.fetchall()}
    return counts
