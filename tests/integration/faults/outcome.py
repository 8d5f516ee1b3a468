"""What a pipeline run ended with, reduced to counts and digests that two runs of one scenario can compare.

Traces are named by their firearm key, not their trace id. The trace id hashes the opening sighting, and the
opening sighting of a gun seen twice is whichever dedupe reads first; raw partitions interleave differently
from one run to the next (and a restarted intake reads them in another order). The firearm key is the gun's
identity, one trace each, in every run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg2

from pipeline.contract.codec import decode
from pipeline.settings import Settings
from pipeline.stack.topics import read_all
from pipeline.topology import SEIZURES_DEAD_LETTER, TRACES_COMPLETED


@dataclass(frozen=True)
class Tables:
    """The rows an outcome is made of, as read from the sink's tables and the dead-letter topic."""

    traces: list[tuple[str, str, str, str | None]]  # (trace id, firearm key, reason, purchaser id)
    recoveries: list[tuple[str, str, str]]  # (agency id, event id, trace id)
    links: list[tuple[str, str]]  # possible duplicates: (trace id, candidate trace id)
    seizure_outcomes: list[tuple[str, str, str, str | None]]  # (agency, event, DEAD_LETTER|EXACT_DUPLICATE, reason)
    dead_letters: list[tuple[str, str]]  # distinct (source coordinates without namespace, reason code)
    stages: list[str]  # trace_progress.stage of every trace


@dataclass(frozen=True)
class Outcome:
    """Counts and sha256 digests of everything a run decided; equal outcomes mean equal results."""

    traces: int
    recoveries: int
    possible_duplicates: int
    seizure_outcomes: int
    dead_letters: int
    unfinished: int  # traces whose progress is not 'completed'
    traces_digest: str
    recoveries_digest: str
    links_digest: str
    seizure_outcomes_digest: str
    dead_letters_digest: str


def _digest(rows: Iterable[tuple[object, ...]]) -> str:
    return hashlib.sha256(json.dumps(sorted(rows), separators=(",", ":")).encode()).hexdigest()


def outcome_of(tables: Tables) -> Outcome:
    """Reduce a run's rows to an `Outcome` (pure): trace ids are replaced by the traced gun's firearm key."""
    gun = {trace_id: key for trace_id, key, _reason, _purchaser in tables.traces}
    links = {tuple(sorted((gun.get(a, a), gun.get(b, b)))) for a, b in tables.links}
    return Outcome(
        traces=len(tables.traces),
        recoveries=len(tables.recoveries),
        possible_duplicates=len(tables.links),
        seizure_outcomes=len(tables.seizure_outcomes),
        dead_letters=len(tables.dead_letters),
        unfinished=sum(stage != "completed" for stage in tables.stages),
        traces_digest=_digest((key, reason, purchaser or "") for _t, key, reason, purchaser in tables.traces),
        recoveries_digest=_digest((agency, event, gun.get(trace, trace)) for agency, event, trace in tables.recoveries),
        links_digest=_digest(links),
        seizure_outcomes_digest=_digest((a, e, o, r or "") for a, e, o, r in tables.seizure_outcomes),
        dead_letters_digest=_digest(tables.dead_letters),
    )


def read_tables(settings: Settings) -> Tables:
    """The run's rows: the sink's tables in the settings' database, dead letters from its namespace's topic."""
    with psycopg2.connect(settings.pg_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT trace_id, firearm_key, reason, purchaser_id FROM traces")
        traces = cur.fetchall()
        cur.execute("SELECT agency_id, event_id, trace_id FROM recoveries")
        recoveries = cur.fetchall()
        cur.execute("SELECT trace_id, candidate_trace_id FROM possible_duplicates")
        links = cur.fetchall()
        cur.execute("SELECT agency_id, event_id, outcome, reason_code FROM seizure_outcomes")
        outcomes = cur.fetchall()
        cur.execute("SELECT stage FROM trace_progress")
        stages = [stage for (stage,) in cur.fetchall()]
    letters = {(key.decode().removeprefix(settings.namespace), decode(value)["reason_code"])
               for key, value in read_all(settings, settings.topic(SEIZURES_DEAD_LETTER.name)) if key}
    return Tables(traces, recoveries, links, outcomes, sorted(letters), stages)


def redeliveries(settings: Settings) -> int:
    """Records on traces.completed beyond one per trace: results written again by a replayed stage (the topic
    is compacted, but not within a short run), absorbed by the sink's upsert."""
    records = read_all(settings, settings.topic(TRACES_COMPLETED.name))
    return len(records) - len({key for key, _value in records})
