"""Pure row builders for what the results API answers per seizure: which stage each trace is at
(`trace_progress`) and what became of a seizure that did not turn into a sighting (`seizure_outcomes`).

Each table's precedence rule is written twice, side by side: as a Python sort key (which row of a batch wins)
and as the SQL `WHERE` of its upsert (whether the batch's row replaces the stored one). Both are total orders
on row contents alone, so the stored row does not depend on the order the sink reads its topics in, and a
replayed record rewrites the same row. No column here can hold personal data: the possessor in a dead letter's
or a duplicate's bytes is never read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pipeline.contract.codec import decode
from pipeline.contract.registry import Record
from pipeline.errors import CodecError
from pipeline.rules.text_rules import ID_LIMIT, bad_identifier
from pipeline.topology import (
    PROCESSORS,
    TRACES_AT_DEALER,
    TRACES_AT_DEALER_OOB,
    TRACES_AT_PURCHASER,
    TRACES_AT_WHOLESALER,
    TRACES_REQUESTED,
    TRACES_URGENT,
)

PROGRESS_COLUMNS = ("trace_id", "stage", "at")
OUTCOME_COLUMNS = ("agency_id", "event_id", "outcome", "reason_code", "message_en", "message_es", "at")

COMPLETED = "completed"
DEAD_LETTER = "DEAD_LETTER"
EXACT_DUPLICATE = "EXACT_DUPLICATE"

# The topics a TraceInFlight waits on, in flow order; a trace only ever moves forward along them.
IN_FLIGHT_TOPICS = (TRACES_REQUESTED, TRACES_URGENT, TRACES_AT_WHOLESALER, TRACES_AT_DEALER, TRACES_AT_DEALER_OOB,
                    TRACES_AT_PURCHASER)
OPENING_TOPICS = frozenset({TRACES_REQUESTED.name, TRACES_URGENT.name})  # dedupe opens a trace onto these
# A trace on a topic is at the stage of the processor that reads it (traces.urgent: express).
STAGE_OF_TOPIC: dict[str, str] = {spec.reads.name: spec.name for spec in PROCESSORS if spec.reads in IN_FLIGHT_TOPICS}
STAGES: tuple[str, ...] = (*(STAGE_OF_TOPIC[topic.name] for topic in IN_FLIGHT_TOPICS), COMPLETED)

# trace_progress: the furthest stage wins, then the later record timestamp. Every path through the stages only
# moves forward (manufacturer, wholesaler, dealer, dealer_oob, purchaser; express alone), so the rank needs no
# clock: neither skew between workers' clocks nor topics read out of order can move a trace back, and a
# replayed upstream request (a newer timestamp on an earlier stage) cannot reopen a completed trace. Equal
# rank: the later `at`, which only moves the time forward for the same stage.
_RANKS = f"ARRAY[{', '.join(repr(stage) for stage in STAGES)}]::text[]"
PROGRESS_WINS = (f"(array_position({_RANKS}, trace_progress.stage), trace_progress.at)"
                 f" <= (array_position({_RANKS}, EXCLUDED.stage), EXCLUDED.at)")

# seizure_outcomes: an EXACT_DUPLICATE outranks any DEAD_LETTER, earlier or later; within one outcome the later
# `at` wins. dedupe only calls a record an exact duplicate when it already accepted a version of that agency
# event, so the seizure is a sighting (its `recoveries` row is the answer) and a dead letter for the same key
# is a rejected version of it: a bad re-send, or a bad first try later corrected. The later dead letter is
# kept among several (an agency re-sending a still-broken event sees its latest rejection). Both `at`s are
# the raw record's Kafka timestamp, stable under replays. `recoveries` stays authoritative: an event can have
# a sighting row and an outcome row.
OUTCOME_WINS = (f"(seizure_outcomes.outcome = '{EXACT_DUPLICATE}', seizure_outcomes.at)"
                f" <= (EXCLUDED.outcome = '{EXACT_DUPLICATE}', EXCLUDED.at)")


def progress_row(trace_id: str, stage: str, at: datetime) -> tuple[str, str, datetime]:
    """The `trace_progress` row: trace `trace_id` is at `stage` as of the Kafka record time `at`."""
    return (trace_id, stage, at)


def progress_rank(row: tuple[Any, ...]) -> tuple[int, datetime]:
    """The order PROGRESS_WINS applies, for the rows of one batch."""
    return (STAGES.index(row[1]), row[2])


def dead_letter_outcome(letter: dict[str, Any]) -> tuple[Any, ...] | None:
    """The DEAD_LETTER row of a DeadLetter, or None when its bytes are not a SeizureEvent naming an agency and
    an event (garbage, or another processor's record): nothing to attribute it to, it stays on the topic."""
    try:
        event = decode(letter["original_value"], Record.SEIZURE_EVENT)
    except CodecError:
        return None
    agency_id, event_id = event.get("agency_id") or "", event.get("event_id") or ""
    if not all(text.strip() and len(text) <= ID_LIMIT and not bad_identifier(text) for text in (agency_id, event_id)):
        return None  # blank, huge, or with characters PostgreSQL cannot store (NUL): no id to file it under
    return (agency_id, event_id, DEAD_LETTER, letter["reason_code"], letter["message_en"], letter["message_es"],
            letter["failed_at"])


def duplicate_outcome(enriched: dict[str, Any]) -> tuple[Any, ...]:
    """The EXACT_DUPLICATE row of an EnrichedSeizure copied to seizures.duplicates. `at` is its `received_at`
    (the re-sent raw record's timestamp): the duplicates record's own timestamp is new each time dedupe replays
    it, and dead letters' `failed_at` is a raw record's timestamp too, so the two compare."""
    event = enriched["event"]
    return (event["agency_id"], event["event_id"], EXACT_DUPLICATE, None, None, None, enriched["received_at"])


def outcome_rank(row: tuple[Any, ...]) -> tuple[bool, datetime]:
    """The order OUTCOME_WINS applies, for the rows of one batch."""
    return (row[2] == EXACT_DUPLICATE, row[6])


def keep_winner(rows: dict[Any, tuple[Any, ...]], key: Any, row: tuple[Any, ...],
                rank: Callable[[tuple[Any, ...]], Any]) -> None:
    """Put `row` under `key` unless the row already there ranks higher (a tie goes to `row`, as `<=` in SQL)."""
    held = rows.get(key)
    if held is None or rank(held) <= rank(row):
        rows[key] = row
