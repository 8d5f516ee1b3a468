"""Summaries of repeated measurements: percentiles of one run's samples, and the median and spread of runs.

Every figure of `tracepipe bench pipeline` is reported as the median of its runs with the lowest and highest
run beside it, so a reader sees at once whether one noisy run moved the headline (the CPU is shared).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass


def percentile(samples: Iterable[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of the samples; raises ValueError on none."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Spread:
    """Median, lowest and highest of one figure over the runs."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        """The spread of the given run values (at least one)."""
        got = list(values)
        if not got:
            raise ValueError("no runs")
        return cls(statistics.median(got), min(got), max(got), len(got))

    def text(self, digits: int = 0) -> str:
        """'median (low–high)', or only the median for a single run."""
        median = f"{self.median:,.{digits}f}"
        return median if self.runs == 1 else f"{median} ({self.low:,.{digits}f}–{self.high:,.{digits}f})"

    def as_dict(self, digits: int = 3) -> dict[str, float | int]:
        """For the JSON results."""
        return {"median": round(self.median, digits), "low": round(self.low, digits),
                "high": round(self.high, digits), "runs": self.runs}
