"""The ceiling of a backfill on this machine: the same events through pass-through hops that do no work.

The pipeline's longest path has seven consumers (intake, dedupe, manufacturer, wholesaler, dealer,
purchaser, sink) and six Kafka hops between them; a pass-through chain has the same seven consumers, one
process each, and each writes its input on to the next topic (the seventh to a last topic, where the sink
would write PostgreSQL). The events are published ahead and the clock runs from the chain's start to the
last record's timestamp on the last topic: the backfill's definition, minus every piece of work. Kafka's own
perf tools on one topic give the broker's figure with Java clients. Each chain runs in its own namespace.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.bench.kafka_io import (
    KeyValue,
    RawProducer,
    check_topics,
    create_plain_topics,
    delete_namespace,
    end_total,
    record_times,
)
from pipeline.bench.perf_tools import PerfRun, run_perf_tools
from pipeline.errors import StackError
from pipeline.kafka_access import clients, principals
from pipeline.settings import Settings
from pipeline.stack.topics import partitions_of
from pipeline.worker.lifeline import SUPERVISOR_PID_ENV
from pipeline.worker.supervisor import stop_workers

HOPS = ("intake", "dedupe", "manufacturer", "wholesaler", "dealer", "purchaser", "sink")


STALL_S = 30.0  # a hop that owes records and has committed nothing for this long is restarted


@dataclass(frozen=True)
class ChainRun:
    """One pass-through chain: events through every hop, seconds from start to the last record out, and how
    many hops had to be restarted because they stalled (as the pipeline's watchdog restarts its workers)."""

    client: str
    events: int
    seconds: float
    restarts: int = 0

    @property
    def events_per_s(self) -> float:
        """Events per second through the whole chain."""
        return self.events / self.seconds


@dataclass
class _Chain:
    """The hop processes of one chain, restartable one at a time."""

    client: str
    topics: list[str]
    groups: list[str]
    env: dict[str, str]
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, hop: int) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "pipeline.bench.passthrough", self.client,  # noqa: S603
                                 self.topics[hop], self.topics[hop + 1], self.groups[hop]],
                                env=self.env, start_new_session=True)

    def restart(self, hop: int) -> None:
        stop_workers([self.procs[hop]])
        self.procs[hop] = self.start(hop)


def run_chain(base: Settings, client: str, records: Sequence[KeyValue], timeout_s: float | None = None) -> ChainRun:
    """Publish `records` ahead, start one pass-through process per hop, time until all are out of the last."""
    settings = base.with_changes(namespace=f"benchc{client[:2]}{uuid.uuid4().hex[:8]}.")
    datadir = Path(tempfile.mkdtemp(prefix="tracepipe-bench-chain-"))
    chain = _Chain(client, [settings.topic(f"hop{i}") for i in range(len(HOPS) + 1)],
                   [settings.group(f"pass-{hop}") for hop in HOPS],
                   {**os.environ, SUPERVISOR_PID_ENV: str(os.getpid()), "APP_DATADIR": str(datadir)})
    timeout = timeout_s if timeout_s is not None else max(180.0, len(records) / 50)
    try:
        create_plain_topics(settings, chain.topics)
        with RawProducer(settings, chain.topics[0]) as producer:
            producer.send_all(records)
        began = time.time()
        chain.procs = [chain.start(hop) for hop in range(len(HOPS))]
        restarts = _wait_for(settings, chain, len(records), timeout)
        last_ms = max(ts for _, ts in record_times(settings, chain.topics[-1]))
        return ChainRun(client, len(records), last_ms / 1000 - began, restarts)
    finally:
        stop_workers(chain.procs)
        delete_namespace(settings)
        shutil.rmtree(datadir, ignore_errors=True)


def _wait_for(settings: Settings, chain: _Chain, count: int, timeout_s: float) -> int:
    """Block until `count` records are on the last topic, restarting stalled hops; returns the restarts."""
    consumer = clients.consumer(settings, principals.ADMIN)
    admin = clients.admin_client(settings, principals.ADMIN)
    try:
        parts = [partitions_of(consumer, topic) for topic in chain.topics]
        deadline, checked, restarts = time.monotonic() + timeout_s, 0.0, 0
        seen: dict[int, tuple[int, float]] = {}
        while end_total(consumer, parts[-1]) < count:
            now = time.monotonic()
            if now > deadline:
                raise StackError(f"the pass-through chain did not deliver {count} records within {timeout_s:.0f} s")
            if any(proc.poll() is not None for proc in chain.procs):
                raise StackError("a pass-through hop exited")
            if now - checked >= 5.0:
                checked = now
                check_topics(settings, chain.topics)
                for hop, group in enumerate(chain.groups):
                    offsets = admin.list_group_offsets(group).get(group, {})
                    committed = sum(max(0, meta.offset) for meta in offsets.values())
                    owed = end_total(consumer, parts[hop]) - committed
                    if owed <= 0 or seen.get(hop, (-1, now))[0] != committed:
                        seen[hop] = (committed, now)
                    elif now - seen[hop][1] >= STALL_S:
                        chain.restart(hop)
                        restarts += 1
                        seen[hop] = (committed, time.monotonic())
            time.sleep(0.5)
        return restarts
    finally:
        consumer.close()
        admin.close()


def run_kafka_perf(base: Settings, records: Sequence[KeyValue]) -> PerfRun:
    """Kafka's producer then consumer perf tool on a fresh topic: as many records, of the events' median size."""
    settings = base.with_changes(namespace=f"benchperf{uuid.uuid4().hex[:8]}.")
    topic = settings.topic("perf")
    try:
        create_plain_topics(settings, [topic])
        try:
            size = round(statistics.median(len(value) for _, value in records))
            measured = run_perf_tools(settings, topic, len(records), size)
        except StackError:
            check_topics(settings, [topic])  # a vanished topic is the likelier cause, and worth a retry
            raise
        check_topics(settings, [topic])
        return measured
    finally:
        delete_namespace(settings)
