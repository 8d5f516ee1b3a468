"""Periodic MetricsSnapshot records on `metrics.snapshots`, for dashboards that cannot scrape Prometheus.

Every TRACEPIPE_SNAPSHOT_SECONDS (default 10; 0 disables) each worker produces one MetricsSnapshot, keyed by
processor name, with its current values: `counters` holds counter totals and histogram buckets and counts,
`gauges` holds gauges and histogram sums, each keyed the way the sample reads in the /metrics exposition
(e.g. `tracepipe_events_in_total{processor="intake"}`), so a snapshot and a scrape compare key by key.
A last snapshot is sent when the worker shuts down, so short runs are not lost between two ticks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import faust

from pipeline.contract.codec import encode
from pipeline.contract.registry import Record
from pipeline.ops.metrics.instruments import ProcessorMetrics
from pipeline.settings import Settings
from pipeline.topology import METRICS_SNAPSHOTS

log = logging.getLogger(__name__)

FINAL_SEND_TIMEOUT_S = 5.0


def worker_identity() -> str:
    """This worker as `hostname-pid`."""
    return f"{socket.gethostname()}-{os.getpid()}"


def snapshot_datum(metrics: ProcessorMetrics, worker: str, taken_at: datetime) -> dict[str, Any]:
    """The MetricsSnapshot datum of `metrics` now."""
    counters, gauges = metrics.snapshot_values()
    return {"processor": metrics.processor, "worker": worker, "taken_at": taken_at,
            "counters": counters, "gauges": gauges}


def encode_snapshot(metrics: ProcessorMetrics, worker: str, taken_at: datetime) -> tuple[bytes, bytes]:
    """(key, value) of the snapshot record: keyed by processor, Avro single-object value."""
    return metrics.processor.encode(), encode(Record.METRICS_SNAPSHOT, snapshot_datum(metrics, worker, taken_at))


def install_snapshots(app: faust.App, settings: Settings, metrics: ProcessorMetrics, interval: float,
                      clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    """Send a snapshot every `interval` seconds (a faust timer, on every worker) and once more at shutdown."""
    topic = app.topic(settings.topic(METRICS_SNAPSHOTS.name), key_type=bytes, value_type=bytes,
                      key_serializer="raw", value_serializer="raw", partitions=settings.partitions)
    worker = worker_identity()

    async def send_snapshot() -> None:
        key, value = encode_snapshot(metrics, worker, clock())
        await topic.send(key=key, value=value)

    async def metrics_snapshot() -> None:
        try:
            await send_snapshot()
        except Exception:  # noqa: BLE001 - a lost snapshot must not stop the worker; the next tick retries
            log.exception("%s: metrics snapshot not sent", metrics.processor)

    async def final_snapshot(_sender: Any, **_kwargs: Any) -> None:
        try:
            await asyncio.wait_for(send_snapshot(), FINAL_SEND_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - shutting down: log and go on
            log.warning("%s: final metrics snapshot not sent", metrics.processor, exc_info=True)

    app.timer(interval, name=f"{metrics.processor}.metrics_snapshot")(metrics_snapshot)
    # faust awaits coroutine receivers; its signal annotations only admit plain callables.
    app.on_before_shutdown.connect(final_snapshot, weak=False)  # type: ignore[arg-type]
