"""A worker that ends on its own (a crash, kill -9) is started again by the supervisor's reviver; one that
keeps ending waits longer each time, and one that ran long enough starts again quickly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.worker import supervisor
from pipeline.worker.supervisor import Reviver, WorkerSet, revival_delay


def sleepers(names, env=None):
    """Stand-ins for worker processes: alive until killed."""
    return [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in names]


def wait_until(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def workers(monkeypatch):
    monkeypatch.setattr(supervisor, "start_workers", sleepers)
    workers = WorkerSet(["intake", "sink"], {})
    workers.start()
    yield workers
    workers.stop()


def test_a_killed_worker_is_started_again_and_the_others_are_left_alone(workers):
    reviver = Reviver(workers, interval_s=0.05)
    reviver.start()
    try:
        killed, other = workers.procs["intake"], workers.procs["sink"]
        os.kill(killed.pid, signal.SIGKILL)
        assert wait_until(lambda: workers.procs["intake"] is not killed, timeout_s=10)
        assert workers.procs["intake"].poll() is None
        assert workers.procs["sink"] is other and other.poll() is None
        assert reviver.revivals == {"intake": 1, "sink": 0}
    finally:
        reviver.stop()
        reviver.join(timeout=5)
    assert not reviver.is_alive()


def test_a_worker_restarted_meanwhile_is_not_counted_as_revived(workers):
    before = workers.procs["sink"]
    workers.restart("sink")  # what the stall watchdog does
    assert workers.procs["sink"] is not before
    assert workers.revive("sink") is None


def test_revival_waits_longer_while_a_worker_keeps_ending():
    delays = [0.0]
    for _ in range(7):
        delays.append(revival_delay(delays[-1], lived_s=0.5))
    assert delays[1:] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert revival_delay(30.0, lived_s=600.0) == 1.0
