"""The dashboard's one link to Kafka: a background thread that follows `metrics.snapshots` and the dead-letter
topic, and reads consumer lag every few seconds. The page and /metrics read what it last saw, so any number of
browsers or scrapes cost the broker nothing more.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from pipeline.contract.codec import decode
from pipeline.contract.registry import Record
from pipeline.errors import CodecError, StackError
from pipeline.kafka_access import clients, principals
from pipeline.ops.dashboard.overview import KEEP_S, RECENT_ERRORS, Snapshot, SnapshotHistory, build_overview
from pipeline.ops.lag.model import LagReport, pipeline_stages
from pipeline.ops.lag.report import read_lag_report
from pipeline.settings import Settings
from pipeline.stack.topics import partitions_of
from pipeline.topology import METRICS_SNAPSHOTS, SEIZURES_DEAD_LETTER

log = logging.getLogger(__name__)

POLL_MS = 500
LAG_EVERY_S = 5.0
BOOTSTRAP_TIMEOUT_MS = 5_000  # a broker that does not answer: retry soon, and let stop() return quickly


class DashboardFeed:
    """Follows the pipeline from the moment it starts (snapshots from `keep_s` ago, the last dead letters)."""

    def __init__(self, settings: Settings, keep_s: float = KEEP_S, lag_every_s: float = LAG_EVERY_S,
                 read_lag: Callable[[Settings, list[str]], LagReport] | None = None) -> None:
        self.settings = settings
        self.keep_s = keep_s
        self.lag_every_s = lag_every_s
        self._read_lag = read_lag or (lambda s, groups: read_lag_report(s, groups, timeout_s=5.0))
        self._lock = threading.Lock()
        self._history = SnapshotHistory(keep_s)
        self._letters: deque[dict[str, Any]] = deque(maxlen=RECENT_ERRORS)
        self._lag: LagReport | None = None
        self._lag_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dashboard-feed", daemon=True)

    def start(self) -> None:
        """Start following (returns at once)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop following and close the consumer."""
        self._stop.set()
        self._thread.join(timeout=10)

    @property
    def lag(self) -> LagReport | None:
        """The last lag report read (None if the last read failed)."""
        with self._lock:
            return self._lag

    def overview(self, lang: str) -> dict[str, Any]:
        """The dashboard's figures now, in `lang`."""
        now = time.time()
        with self._lock:
            self._history.prune(now)
            return build_overview(self._history, self._lag, list(self._letters), now, lang, self._lag_error)

    def _run(self) -> None:
        consumer = None
        next_lag = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= next_lag:  # first: an unreachable broker shows as "lag unavailable" at once
                self._refresh_lag()
                next_lag = time.monotonic() + self.lag_every_s
            try:
                if consumer is None:
                    consumer = self._consumer()
                self._take(consumer.poll(timeout_ms=POLL_MS))
            except KafkaError as exc:
                log.warning("dashboard feed: %s; reconnecting", exc)
                consumer = self._close(consumer)
                self._stop.wait(2.0)
        self._close(consumer)

    def _consumer(self) -> KafkaConsumer:
        """A group-less consumer: snapshots from `keep_s` ago, the last few dead letters of each partition."""
        consumer = clients.consumer(self.settings, principals.OPS, enable_auto_commit=False, group_id=None,
                                    bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS)
        snapshots = partitions_of(consumer, self.settings.topic(METRICS_SNAPSHOTS.name))
        letters = partitions_of(consumer, self.settings.topic(SEIZURES_DEAD_LETTER.name))
        consumer.assign([*snapshots, *letters])
        since_ms = int((time.time() - self.keep_s) * 1000)
        ends = consumer.end_offsets([*snapshots, *letters])
        found = consumer.offsets_for_times(dict.fromkeys(snapshots, since_ms))
        for tp in snapshots:
            consumer.seek(tp, found[tp].offset if found.get(tp) else ends[tp])
        starts = consumer.beginning_offsets(letters)
        for tp in letters:
            consumer.seek(tp, max(starts[tp], ends[tp] - RECENT_ERRORS))
        return consumer

    def _take(self, batches: dict[TopicPartition, list[Any]]) -> None:
        snapshot_topic = self.settings.topic(METRICS_SNAPSHOTS.name)
        with self._lock:
            for tp, records in batches.items():
                for record in records:
                    try:
                        if tp.topic == snapshot_topic:
                            self._history.add(Snapshot.from_datum(decode(record.value, Record.METRICS_SNAPSHOT)))
                        else:
                            self._letters.append(decode(record.value, Record.DEAD_LETTER))
                    except CodecError as exc:
                        log.warning("dashboard feed: skipped an undecodable record on %s: %s", tp.topic, exc)

    def _refresh_lag(self) -> None:
        groups = [stage.group for stage in pipeline_stages(self.settings)]
        try:
            report, error = self._read_lag(self.settings, groups), None
        except StackError as exc:
            report, error = None, str(exc)
        with self._lock:
            self._lag, self._lag_error = report, error

    @staticmethod
    def _close(consumer: KafkaConsumer | None) -> None:
        if consumer is not None:
            consumer.close()
