"""Fault test: a worker that stops consuming (frozen with SIGSTOP) is restarted by the watchdog, and the
pipeline still accounts for every event exactly."""

from __future__ import annotations

import os
import signal
import uuid

from pipeline.contract.codec import decode
from pipeline.ops.lag.drain import wait_until_drained
from pipeline.producers.scenario import generate_scenario
from pipeline.producers.scenario_publish import publish_scenario
from pipeline.stack.topics import ensure_topics, read_all
from pipeline.topology import SEIZURES_DEAD_LETTER, SEIZURES_ENRICHED, SEIZURES_ENRICHED_URGENT
from pipeline.worker.supervisor import WorkerSet
from pipeline.worker.watchdog import StallWatchdog


def test_frozen_worker_is_restarted_and_nothing_is_lost(stack, settings):
    ns = settings.with_changes(namespace=f"t{uuid.uuid4().hex[:10]}.")
    ensure_topics(ns)
    workers = WorkerSet(["intake"], {**os.environ, "TRACEPIPE_NAMESPACE": ns.namespace,
                                     "TRACEPIPE_METRICS_PORT": "0", "TRACEPIPE_SNAPSHOT_SECONDS": "0"})
    workers.start()
    watchdog = StallWatchdog(ns, ["intake"], workers.restart, stall_s=10, interval_s=1)
    watchdog.start()
    scenario = generate_scenario(days=1, seed=5)
    try:
        frozen = workers.procs["intake"]
        os.kill(frozen.pid, signal.SIGSTOP)  # alive, holds its partitions, consumes nothing
        publish_scenario(ns, scenario.events)
        wait_until_drained(ns, ["intake"], timeout_s=240)
        assert watchdog.restarts["intake"] >= 1
        assert workers.procs["intake"].pid != frozen.pid
    finally:
        watchdog.stop()
        for proc in list(workers.procs.values()) + [frozen]:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
        workers.stop()
    sources = set()
    for topic in (SEIZURES_ENRICHED, SEIZURES_ENRICHED_URGENT, SEIZURES_DEAD_LETTER):
        for _key, value in read_all(ns, ns.topic(topic.name)):
            record = decode(value)
            sources.add((record["source_topic"], record["source_partition"], record["source_offset"]))
    assert len(sources) == len(scenario.events)  # every published event was enriched or dead-lettered
