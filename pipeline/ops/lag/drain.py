"""Wait until the pipeline has processed everything published so far: every processor's committed offsets
have reached the end of every topic it reads (the demo and the tests use this to know a run is done)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from pipeline.errors import StackError
from pipeline.kafka_access import clients, principals
from pipeline.settings import Settings
from pipeline.stack.topics import partitions_of
from pipeline.topology import PROCESSORS, SEIZURES_RAW, agency_topics_among


@dataclass(frozen=True)
class Backlog:
    """What the processors owe: every record published to their inputs (from the oldest kept), and how many
    of those their groups have not committed yet."""

    owed: int
    outstanding: int

    @property
    def done(self) -> int:
        """Records already committed."""
        return max(0, self.owed - self.outstanding)


def backlog(settings: Settings, processors: Iterable[str], admin: KafkaAdminClient,
            consumer: KafkaConsumer) -> Backlog:
    """Records published to the processors' inputs (all of them, the sink's extra inputs too), and those not yet
    committed by their groups; a group that never committed owes everything from offset 0 kept."""
    wanted = set(processors)
    owed = left = 0
    for spec in PROCESSORS:
        if spec.name not in wanted:
            continue
        group = settings.group(spec.name)
        committed = admin.list_group_offsets(group).get(group, {})
        topics = [settings.topic(topic_spec.name) for topic_spec in spec.inputs()]
        if spec.reads == SEIZURES_RAW and settings.kafka_scram:  # and the agencies' own topics intake reads
            topics += agency_topics_among(consumer.topics(), settings.namespace)
        for topic in topics:
            parts = partitions_of(consumer, topic)
            if not parts:
                raise StackError(f"no metadata for {topic} yet")  # unknown is not drained
            starts, ends = consumer.beginning_offsets(parts), consumer.end_offsets(parts)
            for tp in parts:
                done = committed.get(tp)
                position = done.offset if done is not None and done.offset >= 0 else starts[tp]
                owed += max(0, ends[tp] - starts[tp])
                left += max(0, ends[tp] - position)
    return Backlog(owed, left)


def outstanding(settings: Settings, processors: Iterable[str], admin: KafkaAdminClient,
                consumer: KafkaConsumer) -> int:
    """Records published to the processors' inputs not yet committed by their groups (see `backlog`)."""
    return backlog(settings, processors, admin, consumer).outstanding


def wait_until_drained(settings: Settings, processors: Iterable[str], timeout_s: float = 600.0,
                       settle_s: float = 3.0, on_tick: Callable[[Backlog | None], None] | None = None) -> None:
    """Block until nothing is outstanding twice in a row, `settle_s` apart (a stage may still be about to
    produce into the next stage's topic). A broker not ready to answer counts as not drained. `on_tick` gets
    each measure (None when the broker did not answer), e.g. for a progress bar of records done out of owed."""
    processors = list(processors)
    admin = clients.admin_client(settings, principals.OPS)
    consumer = clients.consumer(settings, principals.OPS)

    def measure() -> Backlog | None:
        try:
            return backlog(settings, processors, admin, consumer)
        except (KafkaError, StackError):
            return None

    def left(measured: Backlog | None) -> int | None:
        return None if measured is None else measured.outstanding

    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            measured = measure()
            if on_tick:
                on_tick(measured)
            if left(measured) == 0:
                time.sleep(settle_s)
                if left(measure()) == 0:
                    return
            time.sleep(1.0)
        raise StackError(f"the pipeline did not finish within {timeout_s:.0f} s "
                         f"({left(measure())} records outstanding)")
    finally:
        admin.close()
        consumer.close()
