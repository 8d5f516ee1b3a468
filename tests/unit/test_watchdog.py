"""The stall watchdog as a thread: it stops when asked and can be joined (it once shadowed Thread._stop,
so join() raised and every fork of a process running it printed a TypeError)."""

from __future__ import annotations

import os

from pipeline.settings import Settings
from pipeline.worker.watchdog import StallWatchdog


def test_watchdog_stops_and_joins_with_an_unreachable_broker():
    settings = Settings.from_env().with_changes(kafka_bootstrap_override="127.0.0.1:9")  # nothing listens on port 9
    restarted: list[str] = []
    watchdog = StallWatchdog(settings, ["intake"], restarted.append, stall_s=1, interval_s=0.05)
    watchdog.start()
    pid = os.fork()
    if pid == 0:  # the child inherits the running thread's state, as a worker started by subprocess does
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    watchdog.stop()
    watchdog.join(timeout=30)
    assert not watchdog.is_alive()
    assert restarted == []  # an unreachable broker is never read as a stall
