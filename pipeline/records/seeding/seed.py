"""Load the firearms-commerce records into PostgreSQL: plan (pure, deterministic), then COPY every table.

`seed_records` replaces the whole records data set in one transaction: TRUNCATE the record tables,
stream each table's planned rows through `COPY ... FROM STDIN` (text format, from an in-memory stream
built chunk by chunk, never row-by-row INSERTs), then ANALYZE. Seeding the same guns with the same seed
twice gives the same rows. The audit log is never touched.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg2
from psycopg2 import sql

from pipeline.producers.scenario.firearms import DEFAULT_AS_OF, generate_firearms
from pipeline.producers.scenario.truth import FirearmTruth
from pipeline.records.model import RecordsError
from pipeline.records.seeding.plan import plan_records
from pipeline.records.seeding.rows import TABLES, RecordsPlan, columns
from pipeline.settings import Settings

log = logging.getLogger(__name__)

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_NULL = "\\N"
_CHUNK_CHARS = 1 << 20
_BATCH_ROWS = 10_000


@dataclass(frozen=True)
class SeedReport:
    """What a seeding run wrote and how fast: rows per table, seconds spent planning and loading."""

    rows: Mapping[str, int]
    firearms: int
    keyed_firearms: int
    skipped_firearms: int
    extra_firearms: int
    plan_seconds: float
    load_seconds: float

    @property
    def total_rows(self) -> int:
        """Rows written over all tables."""
        return sum(self.rows.values())

    @property
    def seconds(self) -> float:
        """Planning plus loading."""
        return self.plan_seconds + self.load_seconds

    @property
    def rows_per_second(self) -> float:
        """Rows written per second of the whole run (planning included)."""
        return self.total_rows / self.seconds if self.seconds > 0 else float("inf")

    @property
    def load_rows_per_second(self) -> float:
        """Rows written per second of database time (COPY, truncate and analyze)."""
        return self.total_rows / self.load_seconds if self.load_seconds > 0 else float("inf")

    def summary(self) -> str:
        """One line for a log or a terminal (counts only, never record contents)."""
        return (
            f"{self.total_rows} rows ({self.firearms} seized guns, {self.extra_firearms} background) in "
            f"{self.seconds:.1f} s: {self.rows_per_second:,.0f} rows/s overall, "
            f"{self.load_rows_per_second:,.0f} rows/s loading"
        )


def _array(values: Sequence[str]) -> str:
    """A PostgreSQL text[] literal, every element quoted."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def copy_field(value: Any) -> str:
    """One value in COPY text format: NULL as \\N, dates ISO, arrays as literals, specials escaped."""
    if value is None:
        return _NULL
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value
    if isinstance(value, tuple | list):
        return _array(value).translate(_COPY_ESCAPES)
    if isinstance(value, date | int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"cannot COPY a {type(value).__name__}")


def copy_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows in COPY text format: one tab-separated, newline-terminated line per row."""
    needs_escape, escapes = _NEEDS_ESCAPE.search, _COPY_ESCAPES
    lines = []
    for row in rows:
        fields = []
        for value in row:
            if value.__class__ is str:  # the common case, inlined
                fields.append(value.translate(escapes) if needs_escape(value) else value)
            else:
                fields.append(copy_field(value))
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n" if lines else ""


class CopyStream:
    """A read()-able text stream over rows for cursor.copy_expert, formatted a batch of rows at a time."""

    def __init__(self, rows: Sequence[Sequence[Any]], batch_rows: int = _BATCH_ROWS) -> None:
        self._rows = rows
        self._batch = batch_rows
        self._next = 0

    def read(self, size: int = -1) -> str:
        """The next batch of lines ('' at the end); a batch may exceed `size`, which COPY accepts."""
        start = self._next
        self._next = min(len(self._rows), start + self._batch)
        return copy_text(self._rows[start : self._next])


def load_plan(conn: Any, plan: RecordsPlan) -> dict[str, int]:
    """Replace every records table's rows with the plan's, inside the caller's transaction.

    TRUNCATE (all record tables at once), then one COPY per table; rows per table returned.
    """
    tables = list(TABLES)
    with conn.cursor() as cur:
        try:
            cur.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier(t) for t in tables)))
        except psycopg2.errors.UndefinedTable as exc:
            raise RecordsError(
                "the records tables are missing: apply migrations first (tracepipe stack up)"
            ) from exc
        counts: dict[str, int] = {}
        for table in tables:
            statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT text, FREEZE)").format(
                sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns(table))
            )
            rows = plan.rows(table)
            cur.copy_expert(statement, CopyStream(rows), size=_CHUNK_CHARS)
            counts[table] = len(rows)
        for table in tables:
            cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    return counts


def seed_records(
    settings: Settings,
    firearms: Sequence[FirearmTruth],
    seed: int,
    *,
    extra_firearms: int | None = None,
    extra_licensees: int | None = None,
    as_of: date = DEFAULT_AS_OF,
) -> SeedReport:
    """Plan the records for these guns (see `plan_records`) and load them, replacing what was there.

    One transaction: readers see the old records or the new ones, never a mix. Deterministic in
    (firearms, seed, options), so seeding twice leaves identical tables.
    """
    started = time.perf_counter()
    plan = plan_records(firearms, seed, extra_firearms=extra_firearms, extra_licensees=extra_licensees, as_of=as_of)
    planned = time.perf_counter()
    conn = psycopg2.connect(settings.pg_dsn())
    try:
        with conn:
            counts = load_plan(conn, plan)
    finally:
        conn.close()
    loaded = time.perf_counter()
    report = SeedReport(
        rows=counts,
        firearms=len(firearms),
        keyed_firearms=len(plan.keys),
        skipped_firearms=len(plan.skipped),
        extra_firearms=len(firearms) if extra_firearms is None else extra_firearms,
        plan_seconds=planned - started,
        load_seconds=loaded - planned,
    )
    log.info("records seeded: %s", report.summary())
    return report


def seed_for_firearms(
    settings: Settings,
    n: int,
    seed: int,
    *,
    extra_firearms: int | None = None,
    extra_licensees: int | None = None,
    as_of: date = DEFAULT_AS_OF,
) -> SeedReport:
    """Seed the records for the first `n` guns of the scenario catalogue for `seed` (`generate_firearms`).

    A scenario generated with the same seed (and as_of) uses the same guns, so its traces find these records.
    """
    firearms = generate_firearms(n, seed, as_of=as_of)
    return seed_records(
        settings, firearms, seed, extra_firearms=extra_firearms, extra_licensees=extra_licensees, as_of=as_of
    )
