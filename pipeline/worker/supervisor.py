"""Run several processors at once, one worker process each, and stop them together."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence

from pipeline.errors import ConfigError
from pipeline.settings import Settings
from pipeline.worker.app import STEPS
from pipeline.worker.lifeline import SUPERVISOR_PID_ENV
from pipeline.worker.watchdog import StallWatchdog

log = logging.getLogger(__name__)


def parse_processors(text: str | None) -> list[str]:
    """'intake,dedupe' -> ['intake', 'dedupe']; None or 'all' -> every processor; unknown names are an error."""
    if text in (None, "", "all"):
        return list(STEPS)
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in STEPS]
    if unknown:
        raise ConfigError(f"unknown processor(s): {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    return names


def start_workers(names: Sequence[str], env: Mapping[str, str] | None = None) -> list[subprocess.Popen]:
    """Start one worker process per processor name (same environment, so the same settings).

    Each worker gets its own session: a terminal's signals reach only the supervisor, which stops the
    workers itself, and a stopped worker never leaves the supervisor's process group orphaned-and-stopped
    (which the kernel answers with SIGHUP to the whole group)."""
    child_env = {**(os.environ if env is None else env), SUPERVISOR_PID_ENV: str(os.getpid())}
    return [
        subprocess.Popen([sys.executable, "-m", "pipeline.worker.run", name], env=child_env,  # noqa: S603
                         start_new_session=True)
        for name in names
    ]


def stop_workers(procs: Sequence[subprocess.Popen]) -> None:
    """Stop workers crash-only (SIGKILL).

    faust's graceful shutdown can commit the offsets of records whose outputs were never flushed (the
    restart test lost trace requests that way); a killed worker commits nothing more, so its last records are
    simply processed again by its successor, and the idempotent keys make that harmless. The group notices
    the dead member within the short session timeout set in `build_app`.
    """
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
    for proc in procs:
        proc.wait()


class WorkerSet:
    """One worker process per processor, restartable one at a time (the stall watchdog uses that)."""

    def __init__(self, names: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.names, self.env = list(names), env
        self.procs: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start every worker."""
        with self._lock:
            self.procs = dict(zip(self.names, start_workers(self.names, self.env), strict=True))

    def restart(self, name: str) -> None:
        """Kill one worker (crash-only, as `stop_workers` does) and start a fresh one in its place."""
        with self._lock:
            stop_workers([self.procs[name]])
            self.procs[name] = start_workers([name], self.env)[0]

    def stop(self) -> None:
        """Stop every worker."""
        with self._lock:
            stop_workers(list(self.procs.values()))

    def exited(self) -> list[int]:
        """Exit codes of workers that have ended on their own."""
        with self._lock:
            return [code for code in (proc.poll() for proc in self.procs.values()) if code is not None]

    def revive(self, name: str) -> int | None:
        """If worker `name` has ended (crashed, OOM-killed, kill -9), start a fresh one in its place and return
        the dead one's exit code; None if it is still running."""
        with self._lock:
            code = self.procs[name].poll()
            if code is not None:
                self.procs[name] = start_workers([name], self.env)[0]
            return code


def revival_delay(previous_delay: float, lived_s: float, first_s: float = 1.0, max_s: float = 30.0,
                  healthy_s: float = 60.0) -> float:
    """How long to wait before starting a worker again after it ended: `first_s` after a worker that had run
    for `healthy_s`, else twice the previous delay, up to `max_s` (a worker that cannot start does not spin)."""
    if lived_s >= healthy_s:
        return first_s
    return min(max_s, max(first_s, previous_delay * 2))


class Reviver(threading.Thread):
    """Start again every worker that ends on its own, after `revival_delay`: crash-only workers need nothing
    else to recover from a crash, and a worker killed mid-batch only replays its uncommitted tail."""

    def __init__(self, workers: WorkerSet, interval_s: float = 0.5) -> None:
        super().__init__(name="worker-reviver", daemon=True)
        self.workers, self.interval_s = workers, interval_s
        self.revivals: dict[str, int] = {name: 0 for name in workers.names}
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Stop reviving (returns at once; the thread ends within one interval)."""
        self._stopping.set()

    def run(self) -> None:
        """Poll the workers until stopped; schedule and perform each revival."""
        started = {name: time.monotonic() for name in self.workers.names}
        delay = dict.fromkeys(self.workers.names, 0.0)
        due: dict[str, float] = {}  # name -> when to start it again
        while not self._stopping.wait(self.interval_s):
            now = time.monotonic()
            for name in self.workers.names:
                if name not in due:
                    if self.workers.procs[name].poll() is None:
                        continue
                    delay[name] = revival_delay(delay[name], now - started[name])
                    due[name] = now + delay[name]
                if now >= due[name] and not self._stopping.is_set():
                    code = self.workers.revive(name)
                    del due[name]
                    if code is not None:  # not already restarted meanwhile (by the watchdog)
                        log.warning("worker %s ended (exit code %s); started it again", name, code)
                        self.revivals[name] += 1
                    started[name] = time.monotonic()


def supervise(settings: Settings, names: Sequence[str]) -> int:
    """Run the workers, with the stall watchdog and the reviver, until interrupted; returns the exit code."""
    workers = WorkerSet(names, dict(os.environ))
    workers.start()
    watchdog = StallWatchdog(settings, names, workers.restart)
    watchdog.start()
    reviver = Reviver(workers)
    reviver.start()
    stopping = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        reviver.stop()
        reviver.join()  # so it cannot start a worker after the others are stopped
        watchdog.stop()
        workers.stop()
    return 0
