"""The stall watchdog as a thread: it stops when asked and can be joined (it once shadowed Thread._stop,
so join() raised and every fork of a process running it printed a TypeError), and stop() does not wait
out kafka-python's 30 s bootstrap when the broker is down."""

from __future__ import annotations

import os
import time

from pipeline.settings import Settings
from pipeline.worker.watchdog import StallWatchdog


def test_watchdog_stops_and_joins_with_an_unreachable_broker():
    settings = Settings.from_env().with_changes(kafka_bootstrap_override="127.0.0.1:9")  # nothing listens on port 9
    restarted: list[str] = []
    watchdog = StallWatchdog(settings, ["intake"], restarted.append, stall_s=1, interval_s=0.05)
    watchdog.start()
    time.sleep(0.3)  # the thread is now inside an attempt to reach the broker
    pid = os.fork()
    if pid == 0:  # the child inherits the running thread's state, as a worker started by subprocess does
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    watchdog.stop()
    watchdog.join(timeout=15)
    assert not watchdog.is_alive()  # one attempt blocks for at most BOOTSTRAP_MS, not kafka-python's 30 s
    assert restarted == []  # an unreachable broker is never read as a stall
