"""Run several processors at once, one worker process each, and stop them together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from pipeline.errors import ConfigError
from pipeline.processors.app import STEPS


def parse_processors(text: str | None) -> list[str]:
    """'intake,dedupe' -> ['intake', 'dedupe']; None or 'all' -> every processor; unknown names are an error."""
    if text in (None, "", "all"):
        return list(STEPS)
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in STEPS]
    if unknown:
        raise ConfigError(f"unknown processor(s): {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    return names


def start_workers(names: Sequence[str], env: dict[str, str] | None = None) -> list[subprocess.Popen]:
    """Start one worker process per processor name (same environment, so the same settings)."""
    return [
        subprocess.Popen([sys.executable, "-m", "pipeline.processors.run", name], env=env)  # noqa: S603
        for name in names
    ]


def stop_workers(procs: Sequence[subprocess.Popen], timeout: float = 60.0) -> None:
    """Ask every worker to stop (SIGTERM: faust commits and leaves the group), then kill stragglers."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def supervise(names: Sequence[str]) -> int:
    """Run the workers until interrupted or until one exits; returns the exit code to use."""
    procs = start_workers(names, dict(os.environ))
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        while not stopping and all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
    finally:
        stop_workers(procs)
    failed = [proc.returncode for proc in procs if proc.returncode not in (0, -signal.SIGTERM)]
    return 0 if stopping or not failed else 1
