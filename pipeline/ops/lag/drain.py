"""Wait until the pipeline has processed everything published so far: every processor's committed offsets
have reached the end of every topic it reads (the demo and the tests use this to know a run is done)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from pipeline.errors import StackError
from pipeline.settings import Settings
from pipeline.stack.topics import partitions_of
from pipeline.topology import PROCESSORS


def outstanding(settings: Settings, processors: Iterable[str], admin: KafkaAdminClient,
                consumer: KafkaConsumer) -> int:
    """Records published to the processors' inputs (all of them, the sink's extra inputs too) not yet
    committed by their groups; a group that never committed owes everything from offset 0 kept."""
    wanted = set(processors)
    total = 0
    for spec in PROCESSORS:
        if spec.name not in wanted:
            continue
        group = settings.group(spec.name)
        committed = admin.list_group_offsets(group).get(group, {})
        for topic_spec in (spec.reads, *spec.also_reads):
            topic = settings.topic(topic_spec.name)
            parts = partitions_of(consumer, topic)
            if not parts:
                raise StackError(f"no metadata for {topic} yet")  # unknown is not drained
            starts, ends = consumer.beginning_offsets(parts), consumer.end_offsets(parts)
            for tp in parts:
                done = committed.get(tp)
                position = done.offset if done is not None and done.offset >= 0 else starts[tp]
                total += max(0, ends[tp] - position)
    return total


def wait_until_drained(settings: Settings, processors: Iterable[str], timeout_s: float = 600.0,
                       settle_s: float = 3.0, on_tick: Callable[[int | None], None] | None = None) -> None:
    """Block until nothing is outstanding twice in a row, `settle_s` apart (a stage may still be about to
    produce into the next stage's topic). A broker not ready to answer counts as not drained."""
    processors = list(processors)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)

    def measure() -> int | None:
        try:
            return outstanding(settings, processors, admin, consumer)
        except (KafkaError, StackError):
            return None

    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            left = measure()
            if on_tick:
                on_tick(left)
            if left == 0:
                time.sleep(settle_s)
                if measure() == 0:
                    return
            time.sleep(1.0)
        raise StackError(f"the pipeline did not finish within {timeout_s:.0f} s ({measure()} records outstanding)")
    finally:
        admin.close()
        consumer.close()
