"""Follow every processor's consumer group while a run drains: what it has committed, what it still owes,
and when it last moved, so one run gives the overall figure and each processor's.

One request for the end offsets of every input partition and one offsets request per group each tick: the
sampler shares two cores with the workers it measures, so it asks as little as `wait_until_drained` does.
Committed offsets move once per faust commit (about every 3 s), which bounds the resolution of "done at".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from pipeline.bench.kafka_io import TopicsDeleted, check_topics
from pipeline.errors import StackError
from pipeline.kafka_access import clients, principals
from pipeline.settings import Settings
from pipeline.stack.topics import partitions_of
from pipeline.topology import processor


@dataclass
class GroupState:
    """One processor's group: records committed and owed at the last tick, and when its commits last moved."""

    committed: int = 0
    owed: int = 0
    moved_at: float | None = None  # time.time() of the tick at which `committed` last grew


@dataclass
class ProgressSampler:
    """Samples the processors' groups every `interval_s` on a thread until stopped; `wait_drained` blocks until
    no group owes anything on two ticks at least `settle_s` apart (a stage may be about to produce more)."""

    settings: Settings
    processors: Sequence[str]
    interval_s: float = 1.0
    settle_s: float = 3.0
    groups: dict[str, GroupState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.groups = {name: GroupState() for name in self.processors}
        self._stop = threading.Event()
        self._drained = threading.Event()
        self._zero_since: float | None = None
        self._thread = threading.Thread(target=self._run, name="bench-progress", daemon=True)
        self.error: str | None = None
        self.deleted: TopicsDeleted | None = None

    def start(self) -> None:
        """Begin sampling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling (returns once the thread has ended)."""
        self._stop.set()
        self._thread.join(timeout=30)

    def wait_drained(self, timeout_s: float) -> None:
        """Block until drained; StackError if it did not happen within `timeout_s`."""
        drained = self._drained.wait(timeout_s)
        if self.deleted is not None:
            raise self.deleted
        if not drained:
            owed = sum(state.owed for state in self.groups.values())
            raise StackError(f"the run did not drain within {timeout_s:.0f} s ({owed} records outstanding)")

    def _run(self) -> None:
        admin = clients.admin_client(self.settings, principals.ADMIN)
        consumer = clients.consumer(self.settings, principals.ADMIN)
        try:
            inputs = {name: self._inputs(consumer, name) for name in self.processors}
            topics = sorted({tp.topic for parts in inputs.values() for tp in parts})
            ticks = 0
            while not self._stop.is_set():
                try:
                    self._tick(admin, consumer, inputs)
                    ticks += 1
                    if ticks % 10 == 0:
                        check_topics(self.settings, topics)
                except TopicsDeleted as exc:
                    self.deleted = exc
                    self._drained.set()  # wakes the waiter, which raises it
                    return
                except (KafkaError, StackError) as exc:  # a slow broker answer is a skipped tick, not a failure
                    self.error = type(exc).__name__
                self._stop.wait(self.interval_s)
        finally:
            admin.close()
            consumer.close()

    def _inputs(self, consumer: KafkaConsumer, name: str) -> list[TopicPartition]:
        spec = processor(name)
        parts: list[TopicPartition] = []
        for topic in spec.inputs():
            parts += partitions_of(consumer, self.settings.topic(topic.name))
        return parts

    def _tick(self, admin: KafkaAdminClient, consumer: KafkaConsumer,
              inputs: dict[str, list[TopicPartition]]) -> None:
        every = sorted({tp for parts in inputs.values() for tp in parts})
        ends = consumer.end_offsets(every)
        now = time.time()
        for name, parts in inputs.items():
            group = self.settings.group(name)
            offsets = admin.list_group_offsets(group).get(group, {})
            committed = owed = 0
            for tp in parts:
                meta = offsets.get(tp)
                position = meta.offset if meta is not None and meta.offset >= 0 else 0
                committed += position
                owed += max(0, ends[tp] - position)
            state = self.groups[name]
            if committed > state.committed:
                state.moved_at = now
            state.committed, state.owed = committed, owed
        if any(state.owed for state in self.groups.values()):
            self._zero_since = None
        elif self._zero_since is None:
            self._zero_since = now
        elif now - self._zero_since >= self.settle_s:
            self._drained.set()
