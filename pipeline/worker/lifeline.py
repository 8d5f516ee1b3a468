"""A worker's lifeline to the supervisor that started it: the one thing `pipeline.worker.run` needs from the
supervisor side, kept apart from it because the supervisor's stall watchdog loads kafka-python (about 7 MiB
resident), which a worker (faust on aiokafka) never uses."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Mapping

SUPERVISOR_PID_ENV = "TRACEPIPE_SUPERVISOR_PID"


def die_with_supervisor(env: Mapping[str, str], poll_s: float = 1.0) -> None:
    """In a worker, first thing: end this process (SIGKILL, like every stop) when the supervisor that started
    it is gone, so no worker is ever orphaned.

    A watcher thread polls the parent pid. Two simpler ways fail: a `preexec_fn` runs Python in a fork of a
    threaded process, which can deadlock on a lock another thread held at fork time (the new worker then
    never started, and the watchdog restarted it after its 45 s grace); and prctl's parent-death signal fires
    when the *thread* that started the worker ends, e.g. the watchdog's.
    """
    if not env.get(SUPERVISOR_PID_ENV):
        return  # started by hand, not by a supervisor
    supervisor = int(env[SUPERVISOR_PID_ENV])

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(poll_s)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="die-with-supervisor", daemon=True).start()
