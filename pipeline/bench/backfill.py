"""Backfill: how fast the whole pipeline clears N events that are all waiting when it starts.

Records are seeded and every event is published before any worker runs; the clock starts when the workers
are started (their start-up is part of the figure, as after a deploy) and stops at the last completed trace
stored in PostgreSQL (`traces.stored_at`, the sink's transaction time, on the same host clock). Per processor
the run gives the records it consumed, when its group's commits last moved, its CPU seconds and its peak
memory (read from /proc just before the workers are stopped). The workers run as the demo runs them:
`WorkerSet`, one process per processor, under the `StallWatchdog`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from pipeline.bench.group_progress import ProgressSampler
from pipeline.bench.kafka_io import KeyValue, RawProducer
from pipeline.bench.procstat import Usage, usage
from pipeline.bench.sandbox import sandbox
from pipeline.errors import StackError
from pipeline.producers.scenario.truth import FirearmTruth
from pipeline.settings import Settings
from pipeline.topology import SEIZURES_RAW
from pipeline.worker.supervisor import WorkerSet, parse_processors, start_workers, stop_workers
from pipeline.worker.watchdog import StallWatchdog


@dataclass(frozen=True)
class ProcessorFigures:
    """One processor in one run: processes, records consumed, seconds from start until its commits last moved,
    CPU seconds and peak RSS summed over its processes."""

    name: str
    processes: int
    records: int
    done_s: float
    cpu_s: float
    peak_rss_mib: float


@dataclass(frozen=True)
class BackfillRun:
    """One backfill: N events, the traces stored, seconds from workers start to the last stored trace."""

    events: int
    traces: int
    seconds: float
    processors: list[ProcessorFigures] = field(default_factory=list)
    watchdog_restarts: int = 0

    @property
    def events_per_s(self) -> float:
        """Events per second from workers start to the last completed trace in PostgreSQL."""
        return self.events / self.seconds

    @property
    def records_consumed(self) -> int:
        """Records consumed by every group together (what the pipeline moved for these events)."""
        return sum(figures.records for figures in self.processors)

    def as_dict(self) -> dict[str, Any]:
        """For the JSON results."""
        return {"events": self.events, "traces": self.traces, "seconds": round(self.seconds, 2),
                "events_per_s": round(self.events_per_s, 1), "records_consumed": self.records_consumed,
                "watchdog_restarts": self.watchdog_restarts,
                "processors": [vars(figures) | {"cpu_s": round(figures.cpu_s, 2),
                                                "peak_rss_mib": round(figures.peak_rss_mib, 1),
                                                "done_s": round(figures.done_s, 1)} for figures in self.processors]}


def run_backfill(base: Settings, records: Sequence[KeyValue], firearms: Sequence[FirearmTruth], seed: int, *,
                 background_firearms: int, extra_processes: Mapping[str, int] | None = None,
                 timeout_s: float | None = None) -> BackfillRun:
    """One backfill run in a fresh sandbox; `extra_processes` adds processes to a processor's group."""
    names = parse_processors("all")
    extra = dict(extra_processes or {})
    timeout = timeout_s if timeout_s is not None else max(300.0, len(records) / 20)
    with sandbox(base, "bf", firearms=firearms, seed=seed, background_firearms=background_firearms) as box:
        settings = box.settings
        with RawProducer(settings, settings.topic(SEIZURES_RAW.name)) as producer:
            producer.send_all(records)
        env = box.worker_env()
        workers = WorkerSet(names, env)
        sampler = ProgressSampler(settings, names)
        began = time.time()
        workers.start()
        # Each extra process keeps its tables in its own directory, as faust advises for workers sharing a
        # machine: RocksDB locks a partition's database, and the group moves partitions between the processes.
        extras = {name: [start_workers([name], env | {"TRACEPIPE_TABLES_DIR": str(box.datadir / f"{name}-{i}")})[0]
                         for i in range(1, count + 1)] for name, count in extra.items()}
        watchdog = StallWatchdog(settings, names, workers.restart)
        watchdog.start()
        sampler.start()
        try:
            sampler.wait_drained(timeout)
            used = {name: [usage(proc.pid)] for name, proc in workers.procs.items()}
            for name, procs in extras.items():
                used[name] += [usage(proc.pid) for proc in procs]
        finally:
            sampler.stop()
            watchdog.stop()
            workers.stop()
            for procs in extras.values():
                stop_workers(procs)
        traces, last = _stored(settings)
        figures = [_figures(name, sampler.groups[name].committed, sampler.groups[name].moved_at, began, used[name])
                   for name in names]
        return BackfillRun(len(records), traces, last - began, figures, sum(watchdog.restarts.values()))


def _figures(name: str, committed: int, moved_at: float | None, began: float,
             used: list[Usage | None]) -> ProcessorFigures:
    alive = [u for u in used if u is not None]
    return ProcessorFigures(name, len(used), committed, (moved_at or began) - began,
                            sum(u.cpu_s for u in alive), sum(u.peak_rss_mib for u in alive))


def _stored(settings: Settings) -> tuple[int, float]:
    """Traces in the sandbox's database and the epoch time of the last one stored."""
    conn = psycopg2.connect(settings.pg_dsn())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), extract(epoch FROM max(stored_at))::float8 FROM traces")
            row = cur.fetchone()
    finally:
        conn.close()
    if row is None or not row[0]:
        raise StackError("the backfill stored no trace")
    return int(row[0]), float(row[1])
