"""Scaling: does a second process for the bounding processor make the backfill faster on this machine?

A backfill with one process per processor names the bounding processor: the one that used the most CPU
(on a shared 2-core machine the busiest process, not the last to finish, is the one a second process could
relieve). The same backfill then runs with two processes in that processor's consumer group, which splits
its partitions between them. Both runs use the same events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.bench.backfill import BackfillRun, run_backfill
from pipeline.bench.kafka_io import KeyValue
from pipeline.producers.scenario.truth import FirearmTruth
from pipeline.settings import Settings


@dataclass(frozen=True)
class ScalingRun:
    """The bounding processor and the backfill with one and with two processes of it."""

    processor: str
    one: BackfillRun
    two: BackfillRun

    @property
    def speedup(self) -> float:
        """Events/s with two processes over events/s with one."""
        return self.two.events_per_s / self.one.events_per_s

    def as_dict(self) -> dict[str, Any]:
        """For the JSON results."""
        return {"processor": self.processor, "one_process": self.one.as_dict(), "two_processes": self.two.as_dict(),
                "speedup": round(self.speedup, 3)}


def bounding_processor(run: BackfillRun) -> str:
    """The processor that used the most CPU in the run."""
    return max(run.processors, key=lambda figures: figures.cpu_s).name


def run_scaling(base: Settings, records: Sequence[KeyValue], firearms: Sequence[FirearmTruth], seed: int,
                background_firearms: int, name: str | None = None) -> ScalingRun:
    """One process per processor, then two of `name` (default: the bounding processor of the first run)."""
    one = run_backfill(base, records, firearms, seed, background_firearms=background_firearms)
    chosen = name or bounding_processor(one)
    two = run_backfill(base, records, firearms, seed, background_firearms=background_firearms,
                       extra_processes={chosen: 1})
    return ScalingRun(chosen, one, two)
