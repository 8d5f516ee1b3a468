"""Run the real pipeline in a private namespace: start workers, publish, wait until drained, read topics."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Mapping

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from pipeline.codec import decode
from pipeline.processors.supervisor import start_workers, stop_workers
from pipeline.producers.scenario_publish import publish_scenario
from pipeline.settings import Settings
from pipeline.topics import ensure_topics
from pipeline.topology import PROCESSORS


class PipelineHarness:
    """A namespaced copy of the pipeline (own topics and groups) on the shared real broker."""

    def __init__(self, base: Settings, processors: Iterable[str], extra_env: Mapping[str, str] | None = None) -> None:
        self.settings = base.with_changes(namespace=f"t{uuid.uuid4().hex[:10]}.")
        self.processors = list(processors)
        self.extra_env = dict(extra_env or {})  # added to the workers' environment (e.g. metrics ports)
        self.procs: list = []
        ensure_topics(self.settings)

    def start(self) -> None:
        env = {**os.environ, **self.extra_env, "TRACEPIPE_NAMESPACE": self.settings.namespace}
        self.procs = start_workers(self.processors, env)

    def stop(self) -> None:
        stop_workers(self.procs)
        self.procs = []

    def publish(self, events: list[dict | bytes]) -> int:
        """Publish a scenario's events in order (garbage as raw bytes); returns how many were confirmed."""
        return publish_scenario(self.settings, events)

    def _lag(self, admin: KafkaAdminClient, consumer: KafkaConsumer) -> int:
        total = 0
        for spec in PROCESSORS:
            if spec.name not in self.processors:
                continue
            topic = self.settings.topic(spec.reads.name)
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            ends = consumer.end_offsets(parts)
            committed = admin.list_group_offsets(self.settings.group(spec.name)).get(self.settings.group(spec.name), {})
            for tp in parts:
                done = committed.get(tp)
                total += ends[tp] - (done.offset if done is not None and done.offset >= 0 else 0)
        return total

    def _lag_or_none(self, admin: KafkaAdminClient, consumer: KafkaConsumer) -> int | None:
        """Lag, or None while the broker is not ready to say (a fresh broker creates its offsets topic and
        group coordinators lazily, answering CoordinatorNotAvailable meanwhile)."""
        try:
            return self._lag(admin, consumer)
        except KafkaError:
            return None

    def wait_drained(self, timeout: float = 180.0, settle: float = 3.0) -> None:
        """Block until every processor's committed offsets reach the end of its input, twice in a row."""
        admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
        consumer = KafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self._lag_or_none(admin, consumer) == 0:
                    time.sleep(settle)
                    if self._lag_or_none(admin, consumer) == 0:
                        return
                time.sleep(1.0)
            raise AssertionError(f"pipeline not drained after {timeout:.0f} s (lag {self._lag(admin, consumer)})")
        finally:
            admin.close()
            consumer.close()

    def read(self, logical_topic: str, decoded: bool = True) -> list[tuple[bytes, object]]:
        """Every record on a topic, from the beginning: [(key, value decoded or raw)]."""
        consumer = KafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap, enable_auto_commit=False)
        topic = self.settings.topic(logical_topic)
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        records = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend((m.key, decode(m.value) if decoded else m.value) for m in batch)
        consumer.close()
        return records

