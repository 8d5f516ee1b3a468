"""A pipeline kept running across several measurements (the latency levels, then urgent probes under a
backlog): every processor started once, as the demo starts them, in a private sandbox seeded for all the
events it will be sent, and warmed up so no measurement includes worker start-up.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg2

from pipeline.bench.kafka_io import KeyValue, RawProducer, drain
from pipeline.bench.sandbox import declared_topics, sandbox
from pipeline.producers.scenario.truth import FirearmTruth
from pipeline.settings import Settings
from pipeline.topology import SEIZURES_RAW, SEIZURES_URGENT
from pipeline.worker.supervisor import WorkerSet, parse_processors
from pipeline.worker.watchdog import StallWatchdog


@dataclass(frozen=True)
class LivePipeline:
    """The running pipeline's settings (namespace, database) and processors."""

    settings: Settings
    processors: list[str]
    watchdog: StallWatchdog

    def restarts(self) -> int:
        """Workers the stall watchdog has restarted so far (a restart shows in the latencies around it)."""
        return sum(self.watchdog.restarts.values())

    @property
    def raw_topic(self) -> str:
        """Where agencies publish."""
        return self.settings.topic(SEIZURES_RAW.name)

    @property
    def urgent_topic(self) -> str:
        """Where agencies publish URGENT seizures (the urgent lane, ahead of any routine backlog)."""
        return self.settings.topic(SEIZURES_URGENT.name)

    def publish(self, records: Sequence[KeyValue]) -> None:
        """Publish as fast as the producer goes; returns once the broker has every record."""
        with RawProducer(self.settings, self.raw_topic) as producer:
            producer.send_all(records)

    def drain(self, timeout_s: float) -> None:
        """Block until every processor has committed everything published so far."""
        drain(self.settings, self.processors, timeout_s, declared_topics(self.settings))

    def query(self, statement: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one query on the sandbox's database."""
        conn = psycopg2.connect(self.settings.pg_dsn())
        try:
            with conn.cursor() as cur:
                cur.execute(statement, tuple(args))
                return list(cur.fetchall())
        finally:
            conn.close()


@contextmanager
def live_pipeline(base: Settings, firearms: Sequence[FirearmTruth], seed: int, background_firearms: int,
                  warmup: Sequence[KeyValue], timeout_s: float = 300.0) -> Iterator[LivePipeline]:
    """Start every processor in a fresh sandbox, send the warm-up and wait for it; stop everything on exit."""
    names = parse_processors("all")
    with sandbox(base, "live", firearms=firearms, seed=seed, background_firearms=background_firearms) as box:
        workers = WorkerSet(names, box.worker_env())
        workers.start()
        watchdog = StallWatchdog(box.settings, names, workers.restart)
        watchdog.start()
        try:
            live = LivePipeline(box.settings, names, watchdog)
            live.publish(warmup)
            live.drain(timeout_s)
            yield live
        finally:
            watchdog.stop()
            workers.stop()
