"""Trace sink: finished traces, later recoveries and possible-duplicate links into PostgreSQL.

Every write is an idempotent upsert keyed by trace id, agency event or link id, so replays and restarts
change nothing; a batch is one transaction (rolled back and retried whole on a database error).
"""

from __future__ import annotations

from typing import Any

from psycopg2.extras import Json, execute_values

from pipeline.contract.codec import decode
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.processors.stage_runner import RetryingConnection
from pipeline.settings import Settings
from pipeline.topology import TRACES_COMPLETED, TRACES_POSSIBLE_DUPLICATES, TRACES_RECOVERIES

NAME = "sink"

TRACE_COLUMNS = (
    "trace_id", "firearm_key", "outcome", "reason", "maker", "model", "caliber", "serial", "firearm_type",
    "country", "recovery_date", "state_code", "opening_agency", "agencies", "first_sale_date",
    "time_to_crime_days", "source_state", "dealer_license", "purchaser_id", "hops", "stage_timings",
    "opened_at", "completed_at",
)
RECOVERY_COLUMNS = ("agency_id", "event_id", "trace_id", "recovery_date", "state_code", "municipality",
                    "possible_duplicate", "reported_at")
LINK_COLUMNS = ("link_id", "trace_id", "candidate_trace_id", "serial", "candidate_serial", "found_at")


def _jsonable(items: list[dict[str, Any]]) -> Json:
    return Json([{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()} for item in items])


def trace_row(result: dict[str, Any]) -> tuple:
    """The `traces` row of a TraceResult."""
    firearm, opening = result["firearm"], result["recoveries"][0]
    return (
        result["trace_id"], result["firearm_key"], result["outcome"], result["reason"], firearm["maker"],
        firearm["model"], firearm["caliber"], firearm["serial"], firearm["firearm_type"], firearm["country"],
        opening["recovery_date"], opening["state_code"], opening["agency_id"], result["agencies"],
        result["first_sale_date"], result["time_to_crime_days"], result["source_state"], result["dealer_license"],
        result["purchaser_id"], _jsonable(result["hops"]), _jsonable(result["stage_timings"]),
        result["opened_at"], result["completed_at"],
    )


def recovery_row(trace_id: str, recovery: dict[str, Any]) -> tuple:
    """The `recoveries` row of one sighting."""
    return (recovery["agency_id"], recovery["event_id"], trace_id, recovery["recovery_date"],
            recovery["state_code"], recovery["municipality"], recovery["possible_duplicate"], recovery["reported_at"])


def rows_for_batch(batch: list[Incoming], topic_of: dict[str, str]) -> dict[str, list[tuple]]:
    """Pure: the rows a batch writes, per table (the last version of a key wins within the batch)."""
    traces: dict[str, tuple] = {}
    recoveries: dict[tuple[str, str], tuple] = {}
    links: dict[str, tuple] = {}
    for incoming in batch:
        logical = topic_of[incoming.topic]
        datum = decode(incoming.value)
        if logical == TRACES_COMPLETED.name:
            traces[datum["trace_id"]] = trace_row(datum)
            for recovery in datum["recoveries"]:
                recoveries[(recovery["agency_id"], recovery["event_id"])] = recovery_row(datum["trace_id"], recovery)
        elif logical == TRACES_RECOVERIES.name:
            recovery = datum["recovery"]
            recoveries[(recovery["agency_id"], recovery["event_id"])] = recovery_row(datum["trace_id"], recovery)
        elif logical == TRACES_POSSIBLE_DUPLICATES.name:
            links[datum["link_id"]] = tuple(datum[c] for c in LINK_COLUMNS)
    return {"traces": list(traces.values()), "recoveries": list(recoveries.values()),
            "possible_duplicates": list(links.values())}


def _upsert(cur: Any, table: str, columns: tuple[str, ...], key: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    query = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s "  # noqa: S608 - names are module constants
             f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")
    execute_values(cur, query, rows)


def write_rows(conn: Any, rows: dict[str, list[tuple]]) -> None:
    """Upsert a batch's rows in the caller's transaction."""
    with conn.cursor() as cur:
        _upsert(cur, "traces", TRACE_COLUMNS, ("trace_id",), rows["traces"])
        _upsert(cur, "recoveries", RECOVERY_COLUMNS, ("agency_id", "event_id"), rows["recoveries"])
        _upsert(cur, "possible_duplicates", LINK_COLUMNS, ("link_id",), rows["possible_duplicates"])


def sink_batch(batch: list[Incoming], db: RetryingConnection, settings: Settings) -> list[list[Outgoing]]:
    """Write a batch (one transaction, retried whole); produces nothing on Kafka."""
    topic_of = {settings.topic(t.name): t.name for t in (TRACES_COMPLETED, TRACES_RECOVERIES,
                                                          TRACES_POSSIBLE_DUPLICATES)}
    rows = rows_for_batch(batch, topic_of)
    db.run(lambda conn: write_rows(conn, rows))
    return [[] for _ in batch]
