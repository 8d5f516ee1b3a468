"""Trace sink: finished traces, sightings, possible-duplicate links, and what became of each seizure (the stage
its trace is at, or its dead letter or exact re-send) into PostgreSQL, for the results API.

Every write is an idempotent upsert keyed by trace id, agency event or link id, so replays and restarts
change nothing; a batch is one transaction (rolled back and retried whole on a database error). The row
builders and precedence rules of `trace_progress` and `seizure_outcomes` are in `sink_rows`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg2.extras import Json, execute_values

from pipeline.contract.codec import decode, decoded
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record
from pipeline.processors import sink_rows as sr
from pipeline.processors.stage_runner import RetryingConnection
from pipeline.settings import Settings
from pipeline.topology import (
    SEIZURES_DEAD_LETTER,
    SEIZURES_DUPLICATES,
    TRACES_COMPLETED,
    TRACES_POSSIBLE_DUPLICATES,
    TRACES_RECOVERIES,
    processor,
)

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
    """Pure: the rows a batch writes, per table. Within a batch the last version of a key wins, except in
    `trace_progress` and `seizure_outcomes`, where the row their upsert would keep wins (`sink_rows`)."""
    traces: dict[str, tuple] = {}
    recoveries: dict[tuple[str, str], tuple] = {}
    links: dict[str, tuple] = {}
    progress: dict[str, tuple] = {}
    outcomes: dict[tuple[str, str], tuple] = {}

    def sighting(trace_id: str, recovery: dict[str, Any]) -> None:
        recoveries[(recovery["agency_id"], recovery["event_id"])] = recovery_row(trace_id, recovery)

    def reached(trace_id: str, stage: str, at: datetime) -> None:
        sr.keep_winner(progress, trace_id, sr.progress_row(trace_id, stage, at), sr.progress_rank)

    for incoming in batch:
        logical = topic_of[incoming.topic]
        if logical == TRACES_COMPLETED.name:
            datum = decoded(incoming, Record.TRACE_RESULT)  # remembered for the metrics observer
            traces[datum["trace_id"]] = trace_row(datum)
            for recovery in datum["recoveries"]:
                sighting(datum["trace_id"], recovery)
            reached(datum["trace_id"], sr.COMPLETED, incoming.timestamp)
        elif logical == TRACES_RECOVERIES.name:
            datum = decode(incoming.value, Record.RECOVERY_ATTACHED)
            sighting(datum["trace_id"], datum["recovery"])
        elif logical == TRACES_POSSIBLE_DUPLICATES.name:
            datum = decode(incoming.value, Record.POSSIBLE_DUPLICATE)
            links[datum["link_id"]] = tuple(datum[c] for c in LINK_COLUMNS)
        elif logical in sr.STAGE_OF_TOPIC:
            datum = decode(incoming.value, Record.TRACE_IN_FLIGHT)
            if logical in sr.OPENING_TOPICS:  # the opening sighting, before the trace completes
                sighting(datum["trace_id"], datum["recoveries"][0])
            reached(datum["trace_id"], sr.STAGE_OF_TOPIC[logical], incoming.timestamp)
        elif logical in (SEIZURES_DEAD_LETTER.name, SEIZURES_DUPLICATES.name):
            row = (sr.dead_letter_outcome(decode(incoming.value, Record.DEAD_LETTER))
                   if logical == SEIZURES_DEAD_LETTER.name
                   else sr.duplicate_outcome(decode(incoming.value, Record.ENRICHED_SEIZURE)))
            if row is not None:
                sr.keep_winner(outcomes, (row[0], row[1]), row, sr.outcome_rank)
    return {"traces": list(traces.values()), "recoveries": list(recoveries.values()),
            "possible_duplicates": list(links.values()), "trace_progress": list(progress.values()),
            "seizure_outcomes": list(outcomes.values())}


def _upsert(cur: Any, table: str, columns: tuple[str, ...], key: tuple[str, ...], rows: list[tuple],
            wins: str | None = None) -> None:
    """`INSERT ... ON CONFLICT (key) DO UPDATE` the non-key columns, only where `wins` holds if given."""
    if not rows:
        return
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    query = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s "  # noqa: S608 - names are module constants
             f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}" + (f" WHERE {wins}" if wins else ""))
    execute_values(cur, query, rows)


def write_rows(conn: Any, rows: dict[str, list[tuple]]) -> None:
    """Upsert a batch's rows in the caller's transaction."""
    with conn.cursor() as cur:
        _upsert(cur, "traces", TRACE_COLUMNS, ("trace_id",), rows["traces"])
        _upsert(cur, "recoveries", RECOVERY_COLUMNS, ("agency_id", "event_id"), rows["recoveries"])
        _upsert(cur, "possible_duplicates", LINK_COLUMNS, ("link_id",), rows["possible_duplicates"])
        _upsert(cur, "trace_progress", sr.PROGRESS_COLUMNS, ("trace_id",), rows["trace_progress"],
                sr.PROGRESS_WINS)
        _upsert(cur, "seizure_outcomes", sr.OUTCOME_COLUMNS, ("agency_id", "event_id"), rows["seizure_outcomes"],
                sr.OUTCOME_WINS)


def sink_topics(settings: Settings) -> dict[str, str]:
    """Every input of the sink, by its namespaced name: {namespaced topic: logical topic}."""
    spec = processor(NAME)
    return {settings.topic(t.name): t.name for t in (spec.reads, *spec.also_reads)}


def sink_batch(batch: list[Incoming], db: RetryingConnection, settings: Settings) -> list[list[Outgoing]]:
    """Write a batch (one transaction, retried whole); produces nothing on Kafka."""
    rows = rows_for_batch(batch, sink_topics(settings))
    db.run(lambda conn: write_rows(conn, rows))
    return [[] for _ in batch]
