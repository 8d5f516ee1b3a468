"""A worker ends when the supervisor that started it is gone, and lives while it is there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.worker.lifeline import SUPERVISOR_PID_ENV

# Stands in for a worker: arms the watcher, then would run for a minute.
WORKER = ("import os, time\n"
          "from pipeline.worker.lifeline import die_with_supervisor\n"
          "die_with_supervisor(os.environ, poll_s=0.05)\n"
          "time.sleep(60)\n")
# Stands in for a supervisor that dies at once: starts the worker, prints its pid, exits.
SUPERVISOR = ("import os, subprocess, sys\n"
              f"env = {{**os.environ, {SUPERVISOR_PID_ENV!r}: str(os.getpid())}}\n"
              f"print(subprocess.Popen([sys.executable, '-c', {WORKER!r}], env=env).pid, flush=True)\n")


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (a container's init may not reap orphans)."""
    try:
        state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                     if line.startswith("State:"))
    except FileNotFoundError:
        return False
    return " Z " not in state and "zombie" not in state


def wait_until(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_worker_dies_when_its_supervisor_is_gone():
    out = subprocess.run([sys.executable, "-c", SUPERVISOR], capture_output=True, text=True, check=True,
                         timeout=30)
    worker = int(out.stdout.strip())
    assert wait_until(lambda: not running(worker), timeout_s=20)


def test_worker_lives_while_its_supervisor_does():
    env = {**os.environ, SUPERVISOR_PID_ENV: str(os.getpid())}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env)
    try:
        time.sleep(2.0)  # long past the watcher's first polls
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
