"""Consumer lag, the public entry points: read a report from the cluster, and expose it to Prometheus.

The computation lives in lag_model (pure), the Kafka requests in lag_reader; this module joins them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence

from kafka.errors import KafkaConfigurationError, KafkaError
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from pipeline.errors import StackError
from pipeline.ops.lag.model import LagReport, build_report, pipeline_stages, select_groups
from pipeline.ops.lag.offsets import known_groups, lag_admin, read_offsets, read_record_timestamps
from pipeline.settings import Settings

__all__ = ["LagCollector", "LagReport", "lag_metric_families", "read_lag_report", "register_lag_gauges"]


def read_lag_report(
    settings: Settings, groups: Sequence[str] | None = None, *, timeout_s: float = 10.0, now_ms: int | None = None
) -> LagReport:
    """Lag of the chosen groups (None: all, plus every stage group; "PREFIX*" selects by prefix).

    Raises StackError if the cluster does not answer within the time budget.
    """
    stages = pipeline_stages(settings)
    try:
        admin = lag_admin(settings, timeout_s)
        try:
            chosen = select_groups(groups, known_groups(admin), [stage.group for stage in stages])
            offsets, states = read_offsets(admin, chosen, stages)
        finally:
            admin.close()
        targets = [(row.topic, row.partition, row.oldest_unconsumed) for row in offsets
                   if row.oldest_unconsumed is not None]
        timestamps = read_record_timestamps(settings, targets, timeout_s=min(timeout_s, 5.0))
    except KafkaConfigurationError:
        raise  # our bug, not the cluster's state
    except (KafkaError, OSError) as exc:
        raise StackError(
            f"could not read consumer lag from {settings.kafka_bootstrap}: {exc} "
            "(is the broker up? tracepipe stack status)"
        ) from exc
    now = int(time.time() * 1000) if now_ms is None else now_ms
    return build_report(offsets, timestamps, chosen, states, stages, now)


def lag_metric_families(report: LagReport | None) -> list[Metric]:
    """Gauges of one report (None: the read failed, only tracepipe_lag_up=0). Labels are groups, topics and
    partitions of the report, never record keys or trace ids."""
    partition_lag = GaugeMetricFamily("tracepipe_consumer_lag_messages", "Records a consumer group still has to "
                                      "read, per partition", labels=["group", "topic", "partition"])
    topic_seconds = GaugeMetricFamily("tracepipe_consumer_lag_seconds", "Age of the oldest record a consumer group "
                                      "has not read yet, worst partition of the topic", labels=["group", "topic"])
    stage_lag = GaugeMetricFamily("tracepipe_stage_lag_messages", "Records a processor still has to read from its "
                                  "input topic", labels=["stage"])
    up = GaugeMetricFamily("tracepipe_lag_up", "1 if the last lag read from Kafka succeeded, else 0")
    up.add_metric([], 0 if report is None else 1)
    if report is not None:
        worst: dict[tuple[str, str], list[float | None]] = {}
        for row in report.partitions:
            partition_lag.add_metric([row.group, row.topic, str(row.partition)], row.lag)
            worst.setdefault((row.group, row.topic), []).append(row.seconds_behind)
        for (group, topic), ages in worst.items():
            known = [age for age in ages if age is not None]
            if known:
                topic_seconds.add_metric([group, topic], max(known))
        for stage in report.stages:
            stage_lag.add_metric([stage.stage], stage.lag)
    return [partition_lag, topic_seconds, stage_lag, up]


class LagCollector(Collector):
    """A Prometheus collector that reads lag on scrape, at most once per `min_interval_s` (scrapes from several
    Prometheus servers, or a fast scrape interval, then share one read instead of loading the broker)."""

    def __init__(self, read: Callable[[], LagReport | None], min_interval_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._read, self._min_interval_s, self._clock = read, min_interval_s, clock
        self._lock = threading.Lock()
        self._cached: tuple[float, LagReport | None] | None = None

    def describe(self) -> Iterable[Metric]:
        """Metric names without samples, so registering does not touch Kafka."""
        return lag_metric_families(None)

    def collect(self) -> Iterable[Metric]:
        """The current gauges; a failed read reports tracepipe_lag_up 0 instead of failing the whole scrape."""
        with self._lock:
            now = self._clock()
            if self._cached is None or now - self._cached[0] >= self._min_interval_s:
                try:
                    report: LagReport | None = self._read()
                except StackError:
                    report = None
                self._cached = (now, report)
            return lag_metric_families(self._cached[1])


def register_lag_gauges(registry: CollectorRegistry, settings: Settings, min_interval_s: float = 10.0) -> LagCollector:
    """Register lag gauges for the pipeline's own stage groups (a bounded label set) on `registry`."""
    stage_groups = [stage.group for stage in pipeline_stages(settings)]
    collector = LagCollector(lambda: read_lag_report(settings, stage_groups), min_interval_s)
    registry.register(collector)
    return collector
