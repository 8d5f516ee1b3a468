"""Idle memory: what the ten workers hold resident once started and settled with nothing to do, which is
what keeping the pipeline up costs a machine between bursts (VmRSS at that moment, not a peak).

Every processor starts in a fresh sandbox, as the demo starts them; after `settle_s` (joined, partitions
assigned, tables opened) each worker's resident set (RSS) and proportional set (PSS) are read from /proc.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pipeline.bench.procstat import proportional_mib, resident_mib
from pipeline.bench.sandbox import sandbox
from pipeline.errors import StackError
from pipeline.settings import Settings
from pipeline.worker.supervisor import WorkerSet, parse_processors


@dataclass(frozen=True)
class IdleRun:
    """Resident MiB of each worker (by processor name), `settle_s` after they started."""

    rss_mib: dict[str, float]
    settle_s: float
    pss_mib: dict[str, float]

    @property
    def total_pss_mib(self) -> float:
        """All workers together, shared pages counted once."""
        return sum(self.pss_mib.values())

    @property
    def total_mib(self) -> float:
        """All workers together."""
        return sum(self.rss_mib.values())

    def as_dict(self) -> dict[str, Any]:
        """For the JSON results."""
        return {"settle_s": self.settle_s, "total_mib": round(self.total_mib, 1),
                "workers_mib": {name: round(mib, 1) for name, mib in self.rss_mib.items()},
                "total_pss_mib": round(self.total_pss_mib, 1)}


def run_idle(base: Settings, settle_s: float) -> IdleRun:
    """Start every processor, wait `settle_s`, read each one's resident set, stop them."""
    names = parse_processors("all")
    with sandbox(base, "idle") as box:
        workers = WorkerSet(names, box.worker_env())
        workers.start()
        try:
            time.sleep(settle_s)
            rss = {name: resident_mib(proc.pid) for name, proc in workers.procs.items()}
            pss = {name: proportional_mib(proc.pid) for name, proc in workers.procs.items()}
        finally:
            workers.stop()
    gone = sorted(name for name in rss if rss[name] is None or pss[name] is None)
    if gone:
        raise StackError(f"worker(s) {', '.join(gone)} exited before their idle memory was read")
    return IdleRun({name: mib for name, mib in rss.items() if mib is not None}, settle_s,
                   {name: mib for name, mib in pss.items() if mib is not None})
