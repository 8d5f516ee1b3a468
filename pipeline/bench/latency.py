"""Latency at fixed offered rates: events published at R per second for a fixed time into a running,
drained pipeline, and how long each trace took from publish to completed.

The publish time is the raw record's Kafka timestamp (the producer's CreateTime, taken at `send`), which
intake copies into the trace as `opened_at`; completed is the closing stage's `completed_at`, stamped just
before it writes the TraceResult to traces.completed; stored is the sink's `stored_at` in PostgreSQL. All
three are this host's clock. A level's traces are those opened by its events (by `opened_at`). Above the
pipeline's capacity a backlog builds during the level and the tail latencies show how long it took to clear.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.bench.kafka_io import KeyValue, RawProducer
from pipeline.bench.live import LivePipeline
from pipeline.bench.stats import percentile
from pipeline.errors import StackError


@dataclass(frozen=True)
class Paced:
    """What a paced publish did: records sent, epoch seconds of the first and the last send."""

    sent: int
    first: float
    last: float

    @property
    def achieved_per_s(self) -> float:
        """The rate actually offered."""
        return self.sent / max(self.last - self.first, 1e-6) if self.sent > 1 else float(self.sent)


def publish_paced(live: LivePipeline, records: Sequence[KeyValue], rate: float) -> Paced:
    """Send record i at start + i / rate (sleeping when ahead, catching up when behind), then flush."""
    if not records:
        raise ValueError("nothing to publish")
    with RawProducer(live.settings, live.raw_topic) as producer:
        start = time.monotonic()
        first = time.time()
        for index, record in enumerate(records):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            producer.send(record)
        last = time.time()
    return Paced(len(records), first, last)


@dataclass(frozen=True)
class LevelRun:
    """One offered rate: what was published, how many traces it opened, their latencies in ms."""

    rate: int
    seconds: float
    paced: Paced
    traces: int
    completed_ms: dict[str, float]
    stored_ms: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        """For the JSON results."""
        return {"rate": self.rate, "seconds": self.seconds, "published": self.paced.sent,
                "achieved_per_s": round(self.paced.achieved_per_s, 1), "traces": self.traces,
                "publish_to_completed_ms": self.completed_ms, "publish_to_stored_ms": self.stored_ms}


def quantiles_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of latencies given in seconds, in milliseconds."""
    return {name: round(percentile(seconds, share) * 1000, 1)
            for name, share in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))}


def run_level(live: LivePipeline, records: Sequence[KeyValue], rate: int, seconds: float,
              drain_timeout_s: float) -> LevelRun:
    """Publish `records` at `rate` into the drained pipeline, wait until drained, read the latencies."""
    paced = publish_paced(live, records, rate)
    live.drain(drain_timeout_s)
    rows = live.query(
        "SELECT extract(epoch FROM completed_at - opened_at)::float8, extract(epoch FROM stored_at - opened_at)::float8"
        " FROM traces WHERE opened_at BETWEEN to_timestamp(%s) AND to_timestamp(%s)",
        (paced.first - 0.002, paced.last + 0.002))
    if not rows:
        raise StackError(f"the {rate}/s level opened no trace")
    return LevelRun(rate, seconds, paced, len(rows), quantiles_ms([r[0] for r in rows]),
                    quantiles_ms([r[1] for r in rows]))
