"""Restart: how long a dedupe worker takes, after a crash, to rebuild its `firearms` table and resume.

intake and dedupe run until dedupe remembers F firearms (its table lives in memory and is rebuilt from the
compacted changelog on start). Then, per run, dedupe is killed and started again (`WorkerSet.restart`, the
watchdog's own crash-only restart) and a probe is published at once: a known gun seen again under a new
event id. The time from the kill to the probe's output record is the restart; the output's topic proves the
table was rebuilt, since only a remembered gun becomes a recovery (a forgotten one would open a new trace).
No stall watchdog runs here: its restarts would be measured as ours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pipeline.bench.kafka_io import RawProducer, drain, encoded, end_total, record_times
from pipeline.bench.sandbox import declared_topics, sandbox
from pipeline.bench.workload import first_sightings, resighting, scenario_for
from pipeline.errors import StackError
from pipeline.kafka_access import clients, principals
from pipeline.producers.scenario import Scenario
from pipeline.producers.scenario.truth import TruthKind
from pipeline.settings import Settings
from pipeline.stack.topics import partitions_of
from pipeline.topology import SEIZURES_RAW, TRACES_RECOVERIES, TRACES_REQUESTED, TRACES_URGENT, processor
from pipeline.worker.supervisor import WorkerSet

NAMES = ["intake", "dedupe"]


@dataclass(frozen=True)
class RestartRun:
    """One crash and restart of dedupe with `firearms` in its table."""

    firearms: int
    seconds: float
    table_rebuilt: bool

    def as_dict(self) -> dict[str, Any]:
        """For the JSON results."""
        return {"firearms": self.firearms, "seconds": round(self.seconds, 2), "table_rebuilt": self.table_rebuilt}


def run_restarts(base: Settings, firearms: int, runs: int, seed: int, timeout_s: float = 180.0) -> list[RestartRun]:
    """Fill dedupe's table with about `firearms` guns, then crash and restart it `runs` times."""
    scenario, count = _scenario_with(firearms, seed)
    events = scenario.events[:count]
    known = first_sightings(scenario, 0, len(events))
    if len(known) < runs:
        raise StackError("too few known guns to probe the restarted table with")
    with sandbox(base, "rs", database=False) as box:
        settings = box.settings
        workers = WorkerSet(NAMES, box.worker_env())
        workers.start()
        try:
            with RawProducer(settings, settings.topic(SEIZURES_RAW.name)) as producer:
                producer.send_all(encoded(events))
            drain(settings, NAMES, max(timeout_s, len(events) / 20), declared_topics(settings))
            remembered = len({key for key, _ in record_times(settings, _changelog(settings))})
            results = []
            for run in range(runs):
                probe = encoded([resighting(known[run * len(known) // runs], f"R{run}")])
                results.append(_one_restart(settings, workers, probe[0], remembered, timeout_s))
                drain(settings, NAMES, timeout_s, declared_topics(settings))
            return results
        finally:
            workers.stop()


def _scenario_with(firearms: int, seed: int) -> tuple[Scenario, int]:
    """A scenario and how many of its events hold about `firearms` new guns. The share of events that are new
    guns falls as an archive grows (more repeats of guns seen before): 0.87 at 100,000 events, 0.70 at 1.15
    million, so the count is corrected from the scenario itself."""
    count = round(firearms / 0.87)
    while True:
        scenario = scenario_for(count, seed)
        new = sum(1 for row in scenario.truth[:count] if row.kind is TruthKind.NEW_FIREARM)
        if new >= firearms * 0.98:
            return scenario, count
        count = round(count * firearms / max(new, 1) * 1.02)


def _changelog(settings: Settings) -> str:
    """faust's changelog topic of the dedupe table: `<app id>-<table>-changelog`."""
    return f"{settings.group('dedupe')}-{processor('dedupe').table}-changelog"


def _one_restart(settings: Settings, workers: WorkerSet, probe: tuple[bytes, bytes], remembered: int,
                 timeout_s: float) -> RestartRun:
    consumer = clients.consumer(settings, principals.ADMIN)
    try:
        watched = {topic: partitions_of(consumer, settings.topic(topic.name))
                   for topic in (TRACES_RECOVERIES, TRACES_REQUESTED, TRACES_URGENT)}
        before = {topic: end_total(consumer, parts) for topic, parts in watched.items()}
        began = time.time()
        workers.restart("dedupe")
        with RawProducer(settings, settings.topic(SEIZURES_RAW.name)) as producer:
            producer.send_all([probe])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            grown = [topic for topic, parts in watched.items() if end_total(consumer, parts) > before[topic]]
            if grown:
                newest = max(ts for _, ts in record_times(settings, settings.topic(grown[0].name)))
                return RestartRun(remembered, newest / 1000 - began, grown[0] is TRACES_RECOVERIES)
            time.sleep(0.2)
        raise StackError(f"the restarted dedupe worker produced nothing within {timeout_s:.0f} s")
    finally:
        consumer.close()
