"""The sink's rows for the results API (no broker, no database): each input topic's rows, the precedence of
`trace_progress` and `seizure_outcomes` rows, replays, and no personal data. Records come from the real intake
and dedupe steps, so the sink reads what they really write."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from pipeline.contract.codec import decode, encode
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record, default_registry, sample_datum
from pipeline.processors import sink_rows
from pipeline.processors.dedupe import dedupe_step
from pipeline.processors.intake import intake_record
from pipeline.processors.sink import recovery_row, rows_for_batch, sink_topics
from pipeline.settings import Settings
from pipeline.topology import (
    SEIZURES_DEAD_LETTER,
    SEIZURES_DUPLICATES,
    TRACES_AT_DEALER,
    TRACES_AT_DEALER_OOB,
    TRACES_AT_PURCHASER,
    TRACES_AT_WHOLESALER,
    TRACES_COMPLETED,
    TRACES_POSSIBLE_DUPLICATES,
    TRACES_RECOVERIES,
    TRACES_REQUESTED,
    TRACES_URGENT,
    processor,
)
from pipeline.worker.app import poison

T0_MS = 1_720_000_000_000
SECRET_NAME = "Persona Secreta Ejemplo"
SECRET_BIRTH = date(1987, 6, 5)
TOPIC_OF = sink_topics(Settings.from_env({}).with_changes(namespace="ns."))


def raw_event(event_id: str = "EV-1", **changes: Any) -> dict[str, Any]:
    """A valid SeizureEvent from agency FGR, with a possessor (personal data that must not reach the rows)."""
    event = sample_datum(default_registry().latest(Record.SEIZURE_EVENT))
    event.update(
        agency_id="FGR", event_id=event_id, state="Jalisco", crime_type="portación ilegal", priority="ROUTINE",
        reported_at=datetime(2024, 7, 3, 12, tzinfo=UTC), recovery_date=date(2024, 7, 2),
        possessor={"full_name": SECRET_NAME, "birth_date": SECRET_BIRTH, "sex": "M"},
    )
    event["firearm"].update(manufacturer="Glock", model="19", caliber="9mm", serial="ABC123")
    event.update(changes)
    return event


def record(topic: str, value: bytes, *, offset: int = 0, ts_ms: int = T0_MS, key: bytes | None = b"k") -> Incoming:
    """A record on logical `topic` as the sink's consumer hands it over (namespaced topic name)."""
    return Incoming(f"ns.{topic}", 0, offset, key, value, ts_ms)


def delivered(out: Outgoing, *, offset: int = 0, ts_ms: int = T0_MS) -> Incoming:
    """A processor's output as read back from its topic."""
    return record(out.topic, out.value, offset=offset, ts_ms=ts_ms, key=out.key)


def intake(event: dict[str, Any] | bytes, *, offset: int = 0, ts_ms: int = T0_MS) -> Outgoing:
    """The one record intake writes for a raw record (an enriched seizure or a dead letter)."""
    value = event if isinstance(event, bytes) else encode(Record.SEIZURE_EVENT, event)
    [out] = intake_record(Incoming("ns.seizures.raw", 0, offset, b"FGR:EV", value, ts_ms))
    return out


def dedupe(enriched: Outgoing, memory: dict | None = None) -> tuple[dict, Outgoing]:
    """Dedupe's memory after a sighting and the record that answers it (request, recovery or duplicate)."""
    memory, outputs = dedupe_step(memory, delivered(enriched))
    return memory, outputs[0]


def opened(priority: str = "ROUTINE") -> Outgoing:
    """The trace request dedupe writes for a first sighting."""
    return dedupe(intake(raw_event(priority=priority)))[1]


def trace_result(trace_id: str, opening: dict[str, Any]) -> bytes:
    result = sample_datum(default_registry().latest(Record.TRACE_RESULT))
    result.update(trace_id=trace_id, recoveries=[opening], outcome="COMPLETED", reason="NONE")
    return encode(Record.TRACE_RESULT, result)


def request_fields(request: Outgoing) -> tuple[str, dict[str, Any]]:
    """A trace request's id and opening sighting."""
    datum = decode(request.value, Record.TRACE_IN_FLIGHT)
    return datum["trace_id"], datum["recoveries"][0]


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# ---------------------------------------------------------------------------------------------------- inputs


def test_the_sink_reads_every_trace_topic_the_dead_letters_and_the_resends():
    spec = processor("sink")
    inputs = {spec.reads, *spec.also_reads}
    assert inputs == {TRACES_COMPLETED, TRACES_RECOVERIES, TRACES_POSSIBLE_DUPLICATES, TRACES_REQUESTED,
                      TRACES_URGENT, TRACES_AT_WHOLESALER, TRACES_AT_DEALER, TRACES_AT_DEALER_OOB,
                      TRACES_AT_PURCHASER, SEIZURES_DEAD_LETTER, SEIZURES_DUPLICATES}
    assert len(spec.also_reads) == len(set(spec.also_reads))
    assert sorted(TOPIC_OF.values()) == sorted(t.name for t in inputs)
    assert all(physical == f"ns.{logical}" for physical, logical in TOPIC_OF.items())


@pytest.mark.parametrize(("topic", "stage"), [
    (TRACES_REQUESTED, "manufacturer"), (TRACES_URGENT, "express"), (TRACES_AT_WHOLESALER, "wholesaler"),
    (TRACES_AT_DEALER, "dealer"), (TRACES_AT_DEALER_OOB, "dealer_oob"), (TRACES_AT_PURCHASER, "purchaser"),
])
def test_a_trace_in_flight_is_at_the_stage_that_reads_its_topic(topic, stage):
    assert sink_rows.STAGE_OF_TOPIC[topic.name] == stage == processor(stage).name
    assert processor(stage).reads == topic
    request = opened()
    trace_id, _ = request_fields(request)
    rows = rows_for_batch([record(topic.name, request.value, ts_ms=T0_MS + 5)], TOPIC_OF)
    assert rows["trace_progress"] == [(trace_id, stage, at(T0_MS + 5))]
    assert rows["seizure_outcomes"] == [] and rows["traces"] == []


# ------------------------------------------------------------------------------------- opening and progress


@pytest.mark.parametrize(("priority", "topic", "stage"), [
    ("ROUTINE", TRACES_REQUESTED, "manufacturer"), ("URGENT", TRACES_URGENT, "express"),
])
def test_an_opened_trace_records_its_opening_sighting_and_first_stage(priority, topic, stage):
    request = opened(priority)
    assert request.topic == topic.name
    trace_id, opening = request_fields(request)
    rows = rows_for_batch([delivered(request, ts_ms=T0_MS + 7)], TOPIC_OF)
    assert rows["recoveries"] == [recovery_row(trace_id, opening)]
    assert rows["recoveries"][0][:3] == ("FGR", "EV-1", trace_id)
    assert rows["trace_progress"] == [(trace_id, stage, at(T0_MS + 7))]


def test_later_stages_move_progress_without_touching_the_sightings():
    request = opened()
    rows = rows_for_batch([record(TRACES_AT_DEALER.name, request.value)], TOPIC_OF)
    assert rows["recoveries"] == []
    assert [row[1] for row in rows["trace_progress"]] == ["dealer"]


def test_a_completed_trace_is_at_stage_completed_with_its_record_time():
    trace_id, opening = request_fields(opened())
    rows = rows_for_batch([record(TRACES_COMPLETED.name, trace_result(trace_id, opening), ts_ms=T0_MS + 9)], TOPIC_OF)
    assert rows["trace_progress"] == [(trace_id, "completed", at(T0_MS + 9))]
    assert rows["recoveries"] == [recovery_row(trace_id, opening)]
    assert [row[0] for row in rows["traces"]] == [trace_id]


def test_in_a_batch_the_furthest_stage_wins_whatever_order_the_topics_were_read_in():
    request = opened()
    trace_id, opening = request_fields(request)
    requested = record(TRACES_REQUESTED.name, request.value, ts_ms=T0_MS)
    wholesaler = record(TRACES_AT_WHOLESALER.name, request.value, ts_ms=T0_MS + 1000)
    # the dealer's worker clock runs behind: its record is older, yet the trace is further along
    dealer = record(TRACES_AT_DEALER.name, request.value, ts_ms=T0_MS + 500)
    completed = record(TRACES_COMPLETED.name, trace_result(trace_id, opening), ts_ms=T0_MS + 2000)
    # a replayed request (dedupe restarted) after the trace completed: newer timestamp, earlier stage
    replayed = record(TRACES_REQUESTED.name, request.value, ts_ms=T0_MS + 3000, offset=1)
    for batch, stage in (([requested, wholesaler], "wholesaler"), ([wholesaler, requested], "wholesaler"),
                         ([wholesaler, dealer], "dealer"), ([dealer, wholesaler], "dealer"),
                         ([completed, requested, dealer], "completed"), ([completed, replayed], "completed"),
                         ([replayed, completed], "completed")):
        assert [row[1] for row in rows_for_batch(batch, TOPIC_OF)["trace_progress"]] == [stage]


def test_the_same_stage_again_keeps_its_latest_time():
    request = opened()
    first = record(TRACES_AT_DEALER.name, request.value, ts_ms=T0_MS)
    again = record(TRACES_AT_DEALER.name, request.value, ts_ms=T0_MS + 60_000, offset=1)
    for batch in ([first, again], [again, first]):
        [(_trace, stage, when)] = rows_for_batch(batch, TOPIC_OF)["trace_progress"]
        assert (stage, when) == ("dealer", at(T0_MS + 60_000))


def test_progress_rank_and_its_sql_list_the_stages_in_flow_order():
    assert sink_rows.STAGES == ("manufacturer", "express", "wholesaler", "dealer", "dealer_oob", "purchaser",
                                "completed")
    assert all(f"'{stage}'" in sink_rows.PROGRESS_WINS for stage in sink_rows.STAGES)
    early, late = at(T0_MS), at(T0_MS + 1)
    assert sink_rows.progress_rank(("t", "completed", early)) > sink_rows.progress_rank(("t", "purchaser", late))
    assert sink_rows.progress_rank(("t", "dealer", late)) > sink_rows.progress_rank(("t", "dealer", early))


# --------------------------------------------------------------------------------------------- dead letters


@pytest.mark.parametrize(("changes", "reason"), [
    ({"state": "Texas"}, "UNKNOWN_STATE"), ({"recovery_date": date(1985, 1, 1)}, "ANCIENT_DATE"),
    ({"crime_type": " "}, "MISSING_FIELD"),
])
def test_a_dead_letter_of_an_event_is_attributed_to_it(changes, reason):
    letter = intake(raw_event("EV-9", **changes), ts_ms=T0_MS + 3)
    assert letter.topic == SEIZURES_DEAD_LETTER.name
    [row] = rows_for_batch([delivered(letter, ts_ms=T0_MS + 99)], TOPIC_OF)["seizure_outcomes"]
    agency_id, event_id, outcome, reason_code, message_en, message_es, when = row
    assert (agency_id, event_id, outcome, reason_code) == ("FGR", "EV-9", "DEAD_LETTER", reason)
    assert message_en and message_es and message_en != message_es
    assert when == at(T0_MS + 3)  # failed_at: the raw record's time, not the dead letter's


def test_dead_letters_that_name_no_event_are_skipped():
    garbage = intake(b'{"agency_id": "FGR", "event_id": "EV-1"', offset=1)  # not Avro: DECODE_CORRUPT
    blank_id = intake(raw_event(" "), offset=2)  # MISSING_FIELD, but no event to pin it on
    enriched = delivered(intake(raw_event()))
    other_record = poison(enriched, RuntimeError("boom"), "dedupe")[0]  # holds an EnrichedSeizure, not an event
    unknown = intake(b"\xc3\x01" + bytes(8) + b"body", offset=3)  # DECODE_UNKNOWN_SCHEMA
    letters = [garbage, blank_id, other_record, unknown]
    assert {letter.topic for letter in letters} == {SEIZURES_DEAD_LETTER.name}
    rows = rows_for_batch([delivered(letter, offset=i) for i, letter in enumerate(letters)], TOPIC_OF)
    assert rows == {"traces": [], "recoveries": [], "possible_duplicates": [], "trace_progress": [],
                    "seizure_outcomes": []}


# ----------------------------------------------------------------------------------------- exact duplicates


def resend() -> tuple[Outgoing, Outgoing]:
    """The same event published twice: dedupe's trace request for the first, its duplicate copy for the second
    (published 60 s later)."""
    memory, request = dedupe(intake(raw_event(), offset=0, ts_ms=T0_MS))
    _memory, duplicate = dedupe(intake(raw_event(), offset=1, ts_ms=T0_MS + 60_000), memory)
    return request, duplicate


def test_an_exact_resend_is_recorded_as_such_at_its_publication_time():
    _request, duplicate = resend()
    assert duplicate.topic == SEIZURES_DUPLICATES.name
    rows = rows_for_batch([delivered(duplicate, ts_ms=T0_MS + 90_000)], TOPIC_OF)
    assert rows["seizure_outcomes"] == [("FGR", "EV-1", "EXACT_DUPLICATE", None, None, None, at(T0_MS + 60_000))]
    assert rows["recoveries"] == [] and rows["trace_progress"] == []


def test_an_exact_duplicate_outranks_a_dead_letter_of_the_same_event_in_either_order():
    _request, duplicate = resend()
    early_letter = delivered(intake(raw_event(state="Texas"), offset=5, ts_ms=T0_MS - 1000))
    late_letter = delivered(intake(raw_event(state="Texas"), offset=6, ts_ms=T0_MS + 120_000))
    dup = delivered(duplicate)
    for batch in ([early_letter, dup], [dup, early_letter], [late_letter, dup], [dup, late_letter]):
        [row] = rows_for_batch(batch, TOPIC_OF)["seizure_outcomes"]
        assert row[2] == "EXACT_DUPLICATE"
    assert sink_rows.outcome_rank(rows_for_batch([dup], TOPIC_OF)["seizure_outcomes"][0]) > \
        sink_rows.outcome_rank(rows_for_batch([late_letter], TOPIC_OF)["seizure_outcomes"][0])


def test_of_several_dead_letters_for_one_event_the_latest_wins():
    first = delivered(intake(raw_event(state="Texas"), offset=1, ts_ms=T0_MS), offset=0)
    second = delivered(intake(raw_event(recovery_date=date(1985, 1, 1)), offset=2, ts_ms=T0_MS + 1), offset=1)
    for batch in ([first, second], [second, first]):
        [row] = rows_for_batch(batch, TOPIC_OF)["seizure_outcomes"]
        assert row[3] == "ANCIENT_DATE"


# ---------------------------------------------------------------------------------------- replays, privacy


def everything() -> list[Incoming]:
    """One of every record kind the sink reads."""
    request, duplicate = resend()
    trace_id, opening = request_fields(request)
    return [
        delivered(request), record(TRACES_AT_WHOLESALER.name, request.value, ts_ms=T0_MS + 10),
        record(TRACES_COMPLETED.name, trace_result(trace_id, opening), ts_ms=T0_MS + 20),
        delivered(duplicate, ts_ms=T0_MS + 30),
        delivered(intake(raw_event("EV-2", state="Texas"), offset=7), ts_ms=T0_MS + 40),
        delivered(intake(b"garbage", offset=8), ts_ms=T0_MS + 50),
    ]


def comparable(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Rows with the JSON columns' values instead of their (identity-compared) psycopg2 wrappers."""
    return {table: [tuple(getattr(v, "adapted", v) for v in row) for row in table_rows]
            for table, table_rows in rows.items()}


def test_replayed_records_give_the_same_rows():
    batch = everything()
    rows = rows_for_batch(batch, TOPIC_OF)
    assert comparable(rows_for_batch(batch + batch, TOPIC_OF)) == comparable(rows)
    backwards = rows_for_batch(list(reversed(batch)), TOPIC_OF)
    for table in ("trace_progress", "seizure_outcomes"):  # the same rows whatever the read order
        assert sorted(backwards[table]) == sorted(rows[table])
    # dedupe replaying the re-send copies it again with a new Kafka timestamp: the row does not change
    duplicate = batch[3]
    replayed = Incoming(duplicate.topic, 0, 1, duplicate.key, duplicate.value, T0_MS + 999_999)
    assert rows_for_batch([replayed], TOPIC_OF)["seizure_outcomes"] == rows_for_batch([duplicate], TOPIC_OF)[
        "seizure_outcomes"]
    assert [len(rows[table]) for table in ("traces", "recoveries", "trace_progress", "seizure_outcomes")] == [
        1, 1, 1, 2]


def test_no_personal_data_reaches_any_row():
    batch = everything()
    assert SECRET_NAME.encode() in b"".join(incoming.value for incoming in batch)  # it is in the input...
    rows = rows_for_batch(batch, TOPIC_OF)
    values = [value for table in rows.values() for row in table for value in row]
    assert not any(SECRET_NAME in str(value) or value == SECRET_BIRTH for value in values)  # ...not in the rows
    assert not any(isinstance(value, bytes | dict) for value in values)
    assert "possessor" not in sink_rows.OUTCOME_COLUMNS + sink_rows.PROGRESS_COLUMNS


def test_records_are_spread_over_the_right_tables():
    rows = rows_for_batch(everything(), TOPIC_OF)
    assert {row[2] for row in rows["seizure_outcomes"]} == {"EXACT_DUPLICATE", "DEAD_LETTER"}
    assert [row[1] for row in rows["trace_progress"]] == ["completed"]
    assert rows["possible_duplicates"] == []
