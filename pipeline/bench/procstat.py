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
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    peak_kib = 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            peak_kib = int(line.split()[1])
    # Fields after the command (which may hold spaces) start after the last ')': utime and stime are 14 and 15.
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])
    return Usage(peak_kib / 1024, ticks / os.sysconf("SC_CLK_TCK"))


def resident_mib(pid: int) -> float | None:
    """The process's resident set now (VmRSS), or None when it is gone."""
    return _kib_field(f"/proc/{pid}/status", "VmRSS:")


def proportional_mib(pid: int) -> float | None:
    """The process's proportional set now (Pss: each shared page divided among the processes mapping it, so
    the workers' sum is the memory they really take; their RSS sum counts the shared libraries ten times)."""
    return _kib_field(f"/proc/{pid}/smaps_rollup", "Pss:")


def _kib_field(path: str, name: str) -> float | None:
    try:
        text = Path(path).read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in text.splitlines():
        if line.startswith(name):
            return int(line.split()[1]) / 1024
    return None
