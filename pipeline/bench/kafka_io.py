"""The Kafka plumbing the pipeline benchmark needs beyond what the pipeline itself has: publishing pre-encoded
records fast or one by one, plain topics for pass-through chains, record timestamps, end offsets, cleanup.

Events are encoded once, before any clock starts, so publishing measures the broker and not Avro; the
producer is configured like the agencies' `SeizurePublisher` (acks=all, idempotent, linger 5 ms), and its
record timestamps (CreateTime, taken at `send`) are the publish times latency is measured from.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from pipeline.contract.codec import encode
from pipeline.contract.registry import Record
from pipeline.errors import StackError
from pipeline.kafka_access import clients, principals
from pipeline.ops.lag.drain import wait_until_drained
from pipeline.producers.publisher import event_key
from pipeline.producers.scenario_publish import GARBAGE_KEY
from pipeline.settings import Settings
from pipeline.stack.topics import admin_client, delete_topics, list_topics, partitions_of

KeyValue = tuple[bytes, bytes]


class TopicsDeleted(StackError):
    """Topics of a benchmark run vanished while it ran: the test suite's session cleanup deletes every topic
    created while a session ran, a concurrent benchmark's too. The run's figures are void; it can be retried."""


def check_topics(settings: Settings, names: Iterable[str]) -> None:
    """Raise TopicsDeleted unless every named (physical) topic still exists."""
    missing = sorted(set(names) - set(list_topics(settings)))
    if missing:
        raise TopicsDeleted(f"{len(missing)} topic(s) of {settings.namespace} were deleted while the run went on "
                            f"(e.g. {missing[0]}; a test session ending deletes every topic created while it ran)")


def drain(settings: Settings, processors: Sequence[str], timeout_s: float, topics: Sequence[str]) -> None:
    """`wait_until_drained`, checking every 30 s that the run's topics still exist (a deleted topic would
    otherwise look like a pipeline that never drains until the timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            wait_until_drained(settings, processors, timeout_s=min(30.0, max(1.0, deadline - time.monotonic())))
            return
        except StackError:
            check_topics(settings, topics)
            if time.monotonic() >= deadline:
                raise


def encoded(events: Iterable[dict[str, Any] | bytes]) -> list[KeyValue]:
    """Scenario events as the raw topic's (key, value) records; garbage stays bytes, as the scenario sends it."""
    return [(GARBAGE_KEY, event) if isinstance(event, bytes)
            else (event_key(event), encode(Record.SEIZURE_EVENT, event)) for event in events]


class RawProducer:
    """A producer of ready-made records, configured like the agencies' publisher; a context manager."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.topic = topic
        self._producer = clients.producer(settings, principals.ADMIN, client_id="tracepipe-bench", acks="all",
                                          enable_idempotence=True, linger_ms=5,
                                          max_in_flight_requests_per_connection=5)

    def __enter__(self) -> RawProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._producer.flush()
        self._producer.close()

    def send(self, record: KeyValue) -> None:
        """Queue one record (its timestamp is now)."""
        self._producer.send(self.topic, key=record[0], value=record[1])

    def send_all(self, records: Iterable[KeyValue]) -> int:
        """Send every record and wait until the broker has them all; returns how many."""
        count = 0
        for record in records:
            self.send(record)
            count += 1
        self.flush()
        return count

    def flush(self) -> None:
        """Wait until everything queued is on the broker."""
        self._producer.flush()


def create_plain_topics(settings: Settings, names: Sequence[str]) -> None:
    """Delete-policy topics with the pipeline's partition count (the pass-through chains' hops)."""
    admin = admin_client(settings)
    try:
        for name in names:
            try:
                admin.create_topics([NewTopic(name, settings.partitions, settings.replication)])
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


def end_total(consumer: KafkaConsumer, parts: list[TopicPartition]) -> int:
    """Records now on these partitions (fresh topics start at offset 0)."""
    return sum(consumer.end_offsets(parts).values()) if parts else 0


def record_times(settings: Settings, topic: str) -> list[tuple[bytes | None, int]]:
    """(key, timestamp in ms) of every record now on a topic."""
    return [(key, timestamp) for key, _value, timestamp in timed_records(settings, topic)]


def timed_records(settings: Settings, topic: str) -> list[tuple[bytes | None, bytes | None, int]]:
    """(key, value, timestamp in ms) of every record now on a topic."""
    consumer = clients.consumer(settings, principals.ADMIN, enable_auto_commit=False)
    try:
        parts = partitions_of(consumer, topic)
        if not parts:
            return []
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        found: list[tuple[bytes | None, bytes | None, int]] = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                found.extend((message.key, message.value, message.timestamp) for message in batch)
        return found
    finally:
        consumer.close()


def delete_namespace(settings: Settings) -> None:
    """Delete every topic of the settings' namespace (the pipeline's, faust's changelogs, the chains' hops)."""
    if not settings.namespace:
        raise ValueError("refusing to delete the topics of the empty namespace")
    delete_topics(settings, [name for name in list_topics(settings) if name.startswith(settings.namespace)])
