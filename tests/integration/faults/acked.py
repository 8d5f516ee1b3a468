"""A producer with acks=all publishing continuously, remembering exactly which records the cluster
acknowledged: those are the ones the pipeline owes an outcome for, whatever broke meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from pipeline.contract.codec import encode
from pipeline.contract.registry import Record
from pipeline.producers.publisher import event_key
from pipeline.producers.scenario_publish import GARBAGE_KEY
from pipeline.producers.submissions_topic import Lanes
from tests.integration.faults.outcome import Tables


@dataclass
class Acknowledged:
    """What the cluster confirmed: {(topic without namespace, partition, offset): (agency id, event id), or
    None for garbage}, and how many sends failed (not owed: the agency was told so)."""

    records: dict[tuple[str, int, int], tuple[str, str] | None] = field(default_factory=dict)
    failed: int = 0


def encoded(event: Mapping[str, Any] | bytes) -> tuple[bytes, bytes]:
    """(key, value) as the agency SDK would send it; garbage goes as it is."""
    if isinstance(event, bytes):
        return GARBAGE_KEY, event
    return event_key(event), encode(Record.SEIZURE_EVENT, event)


class AckedPublisher(threading.Thread):
    """Send `events` one by one, `per_second` of them, each waited for (future.get), into `lanes` as the
    agency SDK does (URGENT seizures on the urgent lane); `namespace` is stripped from the topics it records.

    `connection`: the client options (bootstrap servers, SASL login) of `pipeline.kafka_access.clients`. The
    delivery timeout outlasts a leader election after a broker's loss, as an agency's producer should."""

    def __init__(self, connection: Mapping[str, Any], lanes: Lanes, namespace: str,
                 events: Sequence[Mapping[str, Any] | bytes], per_second: float) -> None:
        super().__init__(name="acked-publisher", daemon=True)
        self.lanes, self.namespace, self.events, self.per_second = lanes, namespace, list(events), per_second
        self.producer = KafkaProducer(acks="all", enable_idempotence=True, request_timeout_ms=10_000,
                                      delivery_timeout_ms=120_000, max_block_ms=60_000, **connection)
        self.acked = Acknowledged()
        self.sent = 0

    def run(self) -> None:
        """Publish everything, then close the producer."""
        began = time.monotonic()
        try:
            for index, event in enumerate(self.events):
                time.sleep(max(0.0, began + index / self.per_second - time.monotonic()))
                key, value = encoded(event)
                urgent = not isinstance(event, bytes) and event.get("priority") == "URGENT"
                topic = self.lanes.urgent_topic if urgent else self.lanes.topic
                try:
                    meta = self.producer.send(topic, key=key, value=value).get(timeout=180)
                except KafkaError:
                    self.acked.failed += 1
                    continue
                finally:
                    self.sent += 1
                named = None if isinstance(event, bytes) else (event["agency_id"], event["event_id"])
                self.acked.records[(topic.removeprefix(self.namespace), meta.partition, meta.offset)] = named
        finally:
            self.producer.close()


def without_outcome(acked: Acknowledged, tables: Tables) -> list[tuple[str, int, int]]:
    """Acknowledged records that became nothing (pure): not a sighting of a trace (opening or extra recovery),
    not an exact duplicate or dead letter the sink recorded, not a dead letter of the raw record."""
    accounted = {(agency, event) for agency, event, _trace in tables.recoveries}
    accounted |= {(agency, event) for agency, event, _outcome, _reason in tables.seizure_outcomes}
    letters = set()
    for source, _reason in tables.dead_letters:  # "topic:partition:offset", the topic without namespace
        topic, partition, offset = source.rsplit(":", 2)
        letters.add((topic, int(partition), int(offset)))
    return sorted(coords for coords, named in acked.records.items()
                  if coords not in letters and (named is None or named not in accounted))
