"""Faults done to a private local stack the way a crash does them: SIGKILL, no warning, no clean shutdown."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from pipeline.settings import Settings
from pipeline.stack import kafka, postgres
from pipeline.stack.process import wait_gone


def children_of(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _kill_and_wait(pids: list[int], timeout_s: float = 30.0) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in pids:
        assert wait_gone(pid, timeout_s), f"process {pid} survived SIGKILL"


def kill_broker(settings: Settings) -> int:
    """kill -9 the local broker (node 0, found by its pid file); returns its pid."""
    pid = kafka.kill_node(settings, 0)
    assert pid is not None, "the private broker is not running"
    return pid


def kill_postgres(settings: Settings) -> int:
    """kill -9 PostgreSQL: the postmaster and every backend at once, as a machine crash would; returns the
    postmaster's pid. Its next start runs crash recovery from the WAL."""
    lock = postgres.PostgresPaths.of(settings).data / "postmaster.pid"
    pid = int(lock.read_text().split()[0])
    _kill_and_wait([pid, *children_of(pid)])
    return pid


def restart_stack(settings: Settings) -> None:
    """Start whatever of the private stack is down again (the project's own start functions)."""
    postgres.start(settings)
    kafka.start(settings)
