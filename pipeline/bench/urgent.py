"""Urgent latency while a routine backlog drains: does the express lane keep its promise?

URGENT first sightings ("probes") are trickled at a low rate into a running pipeline, first with nothing
else to do (the baseline), then right after a ROUTINE backlog of B events has been published, until that
backlog has almost drained. Each probe's trace gives publish-to-completed, split at the moment it entered
the express lane (its first stage timing's `entered_at`, the traces.urgent record's timestamp): before the
lane is the queue it shared with the backlog in intake and dedupe, which every seizure crosses; inside the
lane is what no routine backlog should slow. Probes are also grouped by where the backlog was when they were
published: still in intake/dedupe ("shared"), or only in the routine stages ("stages"). The time before the
lane is split once more where intake wrote the probe to seizures.enriched-urgent: intake's share, then dedupe's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kafka.errors import KafkaError

from pipeline.bench.kafka_io import KeyValue, RawProducer, timed_records
from pipeline.bench.latency import quantiles_ms
from pipeline.bench.live import LivePipeline
from pipeline.contract.codec import decode
from pipeline.contract.registry import Record
from pipeline.errors import StackError
from pipeline.kafka_access import clients, principals
from pipeline.ops.lag.drain import backlog
from pipeline.topology import SEIZURES_ENRICHED_URGENT

SHARED = ("intake", "dedupe")  # every seizure crosses these before the lanes part


@dataclass(frozen=True)
class UrgentRun:
    """One backlog size (0: the baseline): probes sent, their traces' latencies in ms, drain seconds."""

    backlog: int
    probes: int
    traces: int
    completed_ms: dict[str, float]
    before_lane_ms: dict[str, float]
    intake_ms: dict[str, float]  # publish to the probe's record on seizures.enriched-urgent
    dedupe_ms: dict[str, float]  # from there to the traces.urgent record (the rest of before_lane_ms)
    in_lane_ms: dict[str, float]
    by_phase_p50_ms: dict[str, float]
    drain_s: float
    pool_exhausted: bool

    def as_dict(self) -> dict[str, Any]:
        """For the JSON results."""
        return dict(vars(self), drain_s=round(self.drain_s, 1))


class _Owed:
    """What the shared processors and the whole pipeline still owe (one pair of clients, reused)."""

    def __init__(self, live: LivePipeline) -> None:
        self.live = live
        self.admin = clients.admin_client(live.settings, principals.ADMIN)
        self.consumer = clients.consumer(live.settings, principals.ADMIN)

    def now(self) -> tuple[int, int] | None:
        try:
            shared = backlog(self.live.settings, SHARED, self.admin, self.consumer).outstanding
            everything = backlog(self.live.settings, self.live.processors, self.admin, self.consumer).outstanding
        except (KafkaError, StackError):
            return None
        return shared, everything

    def close(self) -> None:
        self.admin.close()
        self.consumer.close()


def run_urgent(live: LivePipeline, backlog_records: Sequence[KeyValue], probes: Sequence[KeyValue], rate: float,
               *, idle_s: float = 0.0, timeout_s: float = 1800.0) -> UrgentRun:
    """Publish the backlog (none for the baseline), trickle probes at `rate` until it has nearly drained (or for
    `idle_s` without one), wait for every probe's trace, and drain."""
    owed = _Owed(live)
    phases: dict[str, str] = {}
    exhausted = False
    try:
        began = time.time()
        live.publish(backlog_records)
        threshold = max(50, len(backlog_records) // 200)
        phase, checked = "idle" if not backlog_records else "shared", 0.0
        with RawProducer(live.settings, live.urgent_topic) as producer:
            start = time.monotonic()
            for index, probe in enumerate(probes):
                delay = start + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if backlog_records and time.monotonic() - checked >= 2.0:
                    checked, measured = time.monotonic(), owed.now()
                    if measured is not None:
                        if measured[1] < threshold:
                            break  # the backlog has drained
                        phase = "shared" if measured[0] > threshold else "stages"
                if not backlog_records and time.monotonic() - start >= idle_s:
                    break
                if time.monotonic() - start > timeout_s:
                    raise StackError(f"the backlog of {len(backlog_records)} did not drain within {timeout_s:.0f} s")
                producer.send(probe)
                producer.flush()  # a probe's publish time is when it was sent, not when a batch filled
                phases[probe[0].decode().split(":", 1)[1]] = phase
            else:
                exhausted = bool(backlog_records)
        drained = time.time() - began
    finally:
        owed.close()
    live.drain(timeout_s)
    rows = live.query(
        "SELECT r.event_id, extract(epoch FROM t.completed_at - t.opened_at)::float8,"
        " extract(epoch FROM (t.stage_timings->0->>'entered_at')::timestamptz - t.opened_at)::float8"
        " FROM recoveries r JOIN traces t ON t.trace_id = r.trace_id WHERE r.event_id = ANY(%s)",
        (list(phases),))
    if not rows:
        raise StackError("no urgent probe became a trace")
    intake_s = _intake_seconds(live, set(phases))
    split = [(intake_s[event_id], before - intake_s[event_id]) for event_id, _, before in rows if event_id in intake_s]
    if not split:
        raise StackError("no urgent probe was found on seizures.enriched-urgent: did intake take the lane?")
    by_phase: dict[str, list[float]] = {}
    for event_id, total, _ in rows:
        by_phase.setdefault(phases[event_id], []).append(total)
    return UrgentRun(len(backlog_records), len(phases), len(rows), quantiles_ms([r[1] for r in rows]),
                     quantiles_ms([r[2] for r in rows]), quantiles_ms([i for i, _ in split]),
                     quantiles_ms([d for _, d in split]), quantiles_ms([r[1] - r[2] for r in rows]),
                     {name: quantiles_ms(values)["p50"] for name, values in sorted(by_phase.items())},
                     drained, exhausted)


def _intake_seconds(live: LivePipeline, event_ids: set[str]) -> dict[str, float]:
    """Per probe, seconds from its publish (the enriched seizure's received_at: the raw record's timestamp) to
    intake's write of it on seizures.enriched-urgent (that record's timestamp)."""
    found: dict[str, float] = {}
    for _key, value, timestamp in timed_records(live.settings, live.settings.topic(SEIZURES_ENRICHED_URGENT.name)):
        enriched = decode(value, Record.ENRICHED_SEIZURE) if value else None
        if enriched and enriched["event"]["event_id"] in event_ids:
            found[enriched["event"]["event_id"]] = timestamp / 1000 - enriched["received_at"].timestamp()
    return found
