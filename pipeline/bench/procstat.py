"""What a worker process cost: its peak (and current) resident memory and its CPU time, read from /proc.

Peak RSS is the kernel's high-water mark (VmHWM), so a reading taken just before the worker is stopped is its
peak over its whole life; CPU seconds (user + system, all threads) say which processor eats the shared cores,
which wall-clock rates on a 2-core machine cannot tell apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Usage:
    """Peak resident memory (MiB) and CPU time (s) of one process so far."""

    peak_rss_mib: float
    cpu_s: float


def usage(pid: int) -> Usage | None:
    """The process's usage, or None when it is gone."""
    status, stat = _read(f"/proc/{pid}/status"), _read(f"/proc/{pid}/stat")
    if status is None or stat is None:
        return None
    # Fields after the command (which may hold spaces) start after the last ')': utime and stime are 14 and 15.
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])
    return Usage(_mib_field(status, "VmHWM:") or 0.0, ticks / os.sysconf("SC_CLK_TCK"))


def resident_mib(pid: int) -> float | None:
    """The process's resident set now (VmRSS), or None when it is gone."""
    status = _read(f"/proc/{pid}/status")
    return None if status is None else _mib_field(status, "VmRSS:")


def proportional_mib(pid: int) -> float | None:
    """The process's proportional set now (Pss: each shared page divided among the processes mapping it, so
    the workers' sum is the memory they really take; their RSS sum counts the shared libraries ten times)."""
    rollup = _read(f"/proc/{pid}/smaps_rollup")
    return None if rollup is None else _mib_field(rollup, "Pss:")


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _mib_field(text: str, name: str) -> float | None:
    """A `Name:   1234 kB` line of a /proc file, in MiB."""
    for line in text.splitlines():
        if line.startswith(name):
            return int(line.split()[1]) / 1024
    return None
