"""The sink's upserts on a real PostgreSQL, as the worker role: the stored `trace_progress` and
`seizure_outcomes` rows follow the same precedence as a batch's rows, whatever order batches arrive in, and a
replayed batch changes nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from pipeline.db.migrate import migrate
from pipeline.processors.sink import rows_for_batch, write_rows
from pipeline.processors.sink_rows import DEAD_LETTER, EXACT_DUPLICATE, progress_row
from pipeline.stack.postgres import ensure_database
from tests.unit.test_sink_rows import TOPIC_OF, everything

T0 = datetime(2024, 7, 3, 12, tzinfo=UTC)
EMPTY = {"traces": [], "recoveries": [], "possible_duplicates": [], "trace_progress": [], "seizure_outcomes": []}


@pytest.fixture(scope="module")
def results_db(stack, settings):
    """A private, migrated database."""
    private = settings.with_changes(pg_db=f"sink_{datetime.now(UTC):%H%M%S%f}")
    ensure_database(private)
    migrate(private)
    return private


def write(settings, **tables) -> None:
    """One sink batch transaction, as the workers' role."""
    with psycopg2.connect(settings.pg_dsn_as("worker")) as conn:
        write_rows(conn, {**EMPTY, **tables})
    conn.close()


def stored(settings, query: str) -> list[tuple]:
    with psycopg2.connect(settings.pg_dsn_as("worker")) as conn, conn.cursor() as cur:
        cur.execute(query)
        rows = cur.fetchall()
    conn.close()
    return rows


def outcome(event_id: str, kind: str, seconds: int, reason: str | None = None) -> tuple:
    texts = (reason, f"{reason} en", f"{reason} es") if kind == DEAD_LETTER else (None, None, None)
    return ("FGR", event_id, kind, *texts, T0 + timedelta(seconds=seconds))


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_stored_progress_is_the_furthest_stage_whatever_the_batch_order(results_db, order):
    trace_id = f"TR-{''.join(map(str, order))}"
    batches = [progress_row(trace_id, "manufacturer", T0 + timedelta(seconds=1)),
               progress_row(trace_id, "dealer", T0 + timedelta(seconds=5)),
               progress_row(trace_id, "wholesaler", T0 + timedelta(seconds=9)),  # a clock running ahead
               progress_row(trace_id, "completed", T0 + timedelta(seconds=7))]
    for index in order:
        write(results_db, trace_progress=[batches[index]])
    query = f"SELECT stage, at FROM trace_progress WHERE trace_id = '{trace_id}'"  # noqa: S608 - test constant
    assert stored(results_db, query) == [("completed", T0 + timedelta(seconds=7))]
    write(results_db, trace_progress=[progress_row(trace_id, "manufacturer", T0 + timedelta(hours=1))])  # replay
    write(results_db, trace_progress=[progress_row(trace_id, "completed", T0 + timedelta(seconds=8))])
    assert stored(results_db, query) == [("completed", T0 + timedelta(seconds=8))]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_stored_outcome_prefers_an_exact_duplicate_then_the_latest(results_db, order):
    event_id = f"EV-{''.join(map(str, order))}"
    batches = [outcome(event_id, DEAD_LETTER, 1, "UNKNOWN_STATE"), outcome(event_id, DEAD_LETTER, 20, "FUTURE_DATE"),
               outcome(event_id, EXACT_DUPLICATE, 5), outcome(event_id, EXACT_DUPLICATE, 9)]
    for index in order:
        write(results_db, seizure_outcomes=[batches[index]])
    query = ("SELECT outcome, reason_code, message_en, at FROM seizure_outcomes"  # noqa: S608 - test constant
             f" WHERE agency_id = 'FGR' AND event_id = '{event_id}'")
    assert stored(results_db, query) == [(EXACT_DUPLICATE, None, None, T0 + timedelta(seconds=9))]
    dead_only = f"{event_id}-DL"
    for index in order:
        if index < 2:
            write(results_db, seizure_outcomes=[outcome(dead_only, DEAD_LETTER, 1 + 19 * index,
                                                        ("UNKNOWN_STATE", "FUTURE_DATE")[index])])
    assert stored(results_db, query.replace(event_id, dead_only)) == [
        (DEAD_LETTER, "FUTURE_DATE", "FUTURE_DATE en", T0 + timedelta(seconds=20))]


def test_a_replayed_batch_changes_nothing(results_db):
    rows = rows_for_batch(everything(), TOPIC_OF)
    snapshot = ("SELECT (SELECT json_agg(t ORDER BY trace_id)::text FROM traces t),"
                " (SELECT json_agg(r ORDER BY agency_id, event_id)::text FROM recoveries r),"
                " (SELECT json_agg(p ORDER BY trace_id)::text FROM trace_progress p),"
                " (SELECT json_agg(o ORDER BY agency_id, event_id)::text FROM seizure_outcomes o)")
    write(results_db, **rows)
    before = stored(results_db, snapshot)
    write(results_db, **rows_for_batch(everything(), TOPIC_OF))
    write(results_db, **rows_for_batch(list(reversed(everything())), TOPIC_OF))
    assert stored(results_db, snapshot) == before
    assert stored(results_db, "SELECT outcome, count(*) FROM seizure_outcomes WHERE event_id IN ('EV-1', 'EV-2')"
                              " GROUP BY outcome ORDER BY outcome") == [(DEAD_LETTER, 1), (EXACT_DUPLICATE, 1)]
