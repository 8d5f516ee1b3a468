"""Run the real pipeline in a private namespace: start workers, publish, wait until drained, read topics."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping

from pipeline.contract.codec import decode
from pipeline.contract.registry import Record
from pipeline.db.migrate import migrate
from pipeline.ops.lag.drain import wait_until_drained
from pipeline.producers.scenario_publish import publish_scenario
from pipeline.records.seeding.seed import seed_records
from pipeline.settings import Settings
from pipeline.stack.postgres import ensure_database
from pipeline.stack.topics import ensure_topics, read_all
from pipeline.topology import SEIZURES_RAW, SEIZURES_URGENT
from pipeline.worker.supervisor import Reviver, WorkerSet
from pipeline.worker.watchdog import StallWatchdog


def seeded_records_database(settings: Settings, firearms: list, seed: int, extra_firearms: int = 2_000) -> Settings:
    """A private, migrated PostgreSQL database holding the commerce records of `firearms`; its settings."""
    private = settings.with_changes(pg_db=f"e2e_{uuid.uuid4().hex[:8]}")
    ensure_database(private)
    migrate(private)
    seed_records(private, firearms, seed, extra_firearms=extra_firearms)
    return private


def published_seizures(settings: Settings) -> dict[str, dict]:
    """Every seizure event on the namespace's shared submission topics (routine and urgent lane), decoded, by
    key: what the API or the web app published."""
    records = [record for lane in (SEIZURES_RAW, SEIZURES_URGENT)
               for record in read_all(settings, settings.topic(lane.name))]
    return {key.decode(): decode(value, Record.SEIZURE_EVENT) for key, value in records}


class PipelineHarness:
    """A namespaced copy of the pipeline (own topics and groups) on the shared real broker."""

    def __init__(self, base: Settings, processors: Iterable[str], extra_env: Mapping[str, str] | None = None) -> None:
        self.settings = base.with_changes(namespace=f"t{uuid.uuid4().hex[:10]}.")
        self.processors = list(processors)
        self.extra_env = dict(extra_env or {})  # added to the workers' environment (e.g. metrics ports)
        ensure_topics(self.settings)

    def start(self) -> None:
        """Start the workers, watched for stalls and revived when they end, like `tracepipe worker` does."""
        env = {**os.environ, **self.extra_env, "TRACEPIPE_NAMESPACE": self.settings.namespace}
        self.workers = WorkerSet(self.processors, env)
        self.workers.start()
        self.watchdog = StallWatchdog(self.settings, self.processors, self.workers.restart)
        self.watchdog.start()
        self.reviver = Reviver(self.workers)
        self.reviver.start()

    def stop(self) -> None:
        self.reviver.stop()
        self.reviver.join()  # so it cannot start a worker after the others are stopped
        self.watchdog.stop()
        self.workers.stop()

    def publish(self, events: list[dict | bytes]) -> int:
        """Publish a scenario's events in order (garbage as raw bytes); returns how many were confirmed."""
        return publish_scenario(self.settings, events)

    def wait_drained(self, timeout: float = 180.0) -> None:
        """Block until every processor has committed everything published to its inputs."""
        wait_until_drained(self.settings, self.processors, timeout_s=timeout)

    def read(self, logical_topic: str, decoded: bool = True) -> list[tuple[bytes, object]]:
        """Every record on a topic, from the beginning: [(key, value decoded or raw)]."""
        records = read_all(self.settings, self.settings.topic(logical_topic))
        return [(key, decode(value) if decoded else value) for key, value in records]
