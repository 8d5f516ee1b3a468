"""Restart a worker that has stalled: its consumer group owes records but has committed nothing for a while.

faust workers occasionally stop consuming after a rebalance or a recovery (see faust-streaming issues about
hung recovery and paused partitions), without crashing. Because processing is at-least-once with idempotent
keys end to end, restarting such a worker is always safe; this watchdog does it automatically.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from pipeline.errors import StackError
from pipeline.kafka_access import clients, principals
from pipeline.ops.lag.drain import outstanding
from pipeline.settings import Settings

log = logging.getLogger(__name__)
BOOTSTRAP_MS = 3_000  # how long one attempt to reach the broker may block the watchdog's thread


def committed_total(settings: Settings, name: str, admin: KafkaAdminClient) -> int:
    """Sum of the processor group's committed offsets (it grows whenever the worker makes progress)."""
    group = settings.group(name)
    return sum(max(0, meta.offset) for meta in admin.list_group_offsets(group).get(group, {}).values())


class StallWatchdog(threading.Thread):
    """Every `interval_s`, per processor: if records are outstanding and the committed total has not moved
    for `stall_s`, call `restart(name)` (then give the new worker the same grace before judging it)."""

    def __init__(self, settings: Settings, names: Sequence[str], restart: Callable[[str], None],
                 stall_s: float = 45.0, interval_s: float = 5.0) -> None:
        super().__init__(name="stall-watchdog", daemon=True)
        self.settings, self.names, self.restart = settings, list(names), restart
        self.stall_s, self.interval_s = stall_s, interval_s
        self.restarts: dict[str, int] = {name: 0 for name in self.names}
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Stop watching (returns at once; the thread ends within one interval)."""
        self._stopping.set()

    def run(self) -> None:
        """Watch until stopped; a broker that does not answer is skipped, never fatal."""
        last: dict[str, tuple[int, float]] = {}
        admin = consumer = None
        while not self._stopping.wait(self.interval_s):
            try:
                if admin is None:  # a short bootstrap: stop() must not wait out kafka-python's 30 s default
                    admin = clients.admin_client(self.settings, principals.OPS, bootstrap_timeout_ms=BOOTSTRAP_MS)
                    consumer = clients.consumer(self.settings, principals.OPS, bootstrap_timeout_ms=BOOTSTRAP_MS)
                now = time.monotonic()
                for name in self.names:
                    owed = outstanding(self.settings, [name], admin, consumer)
                    total = committed_total(self.settings, name, admin)
                    seen_total, since = last.get(name, (-1, now))
                    if owed == 0 or total != seen_total:
                        last[name] = (total, now)
                    elif now - since >= self.stall_s:
                        log.warning("%s owes %d records and committed nothing for %.0f s: restarting it",
                                    name, owed, now - since)
                        self.restarts[name] += 1
                        self.restart(name)
                        last[name] = (total, time.monotonic())
            except (KafkaError, StackError) as exc:
                log.warning("watchdog could not read lag (%s); will try again", type(exc).__name__)
        for client in (admin, consumer):
            if client is not None:
                client.close()
