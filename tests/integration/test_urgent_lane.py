"""Priority from the first hop: URGENT seizures published behind a routine backlog pass intake and dedupe ahead
of it (their own topics, a second agent in each app), and an urgent sighting of a gun already traced is still
an extra recovery of that trace."""

from __future__ import annotations

import copy

import pytest

from pipeline.kafka_access import clients, principals
from pipeline.producers.scenario import generate_scenario
from pipeline.producers.scenario.truth import TruthKind
from pipeline.stack.topics import partitions_of
from pipeline.topology import (
    SEIZURES_ENRICHED,
    SEIZURES_ENRICHED_URGENT,
    SEIZURES_URGENT,
    TRACES_RECOVERIES,
    TRACES_REQUESTED,
    TRACES_URGENT,
)
from tests.integration.harness import PipelineHarness

PROCESSORS = ("intake", "dedupe")
URGENT_NEW_GUNS = 3


def write_times(harness: PipelineHarness, logical_topic: str) -> list[int]:
    """The broker timestamps (ms, the time each record was produced) of every record on a topic."""
    settings = harness.settings
    consumer = clients.consumer(settings, principals.ADMIN, enable_auto_commit=False)
    try:
        parts = partitions_of(consumer, settings.topic(logical_topic))
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        times: list[int] = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                times += [message.timestamp for message in batch]
        return times
    finally:
        consumer.close()


def with_priority(event: dict, priority: str, event_id: str, serial: str | None = None) -> dict:
    changed = copy.deepcopy(event)
    changed.update(priority=priority, event_id=event_id)
    if serial is not None:
        changed["firearm"]["serial"] = serial
    return changed


@pytest.fixture(scope="module")
def lanes(stack, settings):
    """A routine backlog of a few thousand seizures, then URGENT ones for new guns published right after it."""
    scenario = generate_scenario(days=60, seed=777)  # about 4,300 events
    valid = [scenario.events[row.index] for row in scenario.truth if row.kind is TruthKind.NEW_FIREARM]
    backlog = [with_priority(e, "ROUTINE", e["event_id"]) for e in scenario.events if isinstance(e, dict)]
    urgent = [with_priority(valid[i], "URGENT", f"URG-{i}", serial=f"ZQURGENT{i:04d}") for i in range(URGENT_NEW_GUNS)]
    harness = PipelineHarness(settings, PROCESSORS)
    harness.start()
    try:
        harness.publish(backlog)
        harness.publish(urgent)
        harness.wait_drained(timeout=300)
        yield harness, backlog, urgent, valid
    finally:
        harness.stop()


def test_urgent_seizures_travel_their_own_topics_up_to_dedupe(lanes):
    harness, _backlog, urgent, _valid = lanes
    assert len(harness.read(SEIZURES_URGENT.name)) == len(urgent)
    assert len(harness.read(SEIZURES_ENRICHED_URGENT.name)) == len(urgent)
    assert all(record["event"]["priority"] == "ROUTINE" for _k, record in harness.read(SEIZURES_ENRICHED.name))
    opened = {record["seizure"]["event_id"] for _k, record in harness.read(TRACES_URGENT.name)}
    assert opened == {event["event_id"] for event in urgent}


def test_urgent_seizures_published_after_a_backlog_are_traced_ahead_of_most_of_it(lanes):
    harness, _backlog, urgent, _valid = lanes
    urgent_done = max(write_times(harness, TRACES_URGENT.name))
    routine = write_times(harness, TRACES_REQUESTED.name)
    assert len(routine) > 1_000
    # Without the lane they would wait behind every routine record at intake and at dedupe (all routine
    # openings written first); with it, most of the routine backlog is still ahead when they are done.
    still_queued = sum(when > urgent_done for when in routine)
    assert still_queued > len(routine) / 2, (still_queued, len(routine))


def test_an_urgent_sighting_of_a_gun_already_traced_is_a_recovery_of_its_trace(lanes):
    harness, _backlog, _urgent, valid = lanes
    known = valid[len(valid) // 2]  # a new gun of the backlog: it opened a routine trace
    harness.publish([with_priority(known, "URGENT", "URG-AGAIN")])
    harness.wait_drained(timeout=120)
    recoveries = [r for _k, r in harness.read(TRACES_RECOVERIES.name) if r["recovery"]["event_id"] == "URG-AGAIN"]
    assert len(recoveries) == 1
    assert "URG-AGAIN" not in {r["seizure"]["event_id"] for _k, r in harness.read(TRACES_URGENT.name)}
    traces = {r["trace_id"] for _k, r in harness.read(TRACES_REQUESTED.name)}
    assert recoveries[0]["trace_id"] in traces  # the routine trace the gun already had
