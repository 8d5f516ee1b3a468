"""Trafficking leads: a score per dealer or per purchaser from the evidence of the traces a caller sees (pure).

The evidence is counted by the caller of these functions over the traces in the caller's scope only (the
API's `pipeline/api/leads_queries.py`), so a score never reflects a trace its reader may not see. The
score is a triage order for an analyst, not a finding: it says which dealer or buyer to look at first.

Weights, in points (computed exactly in hundredths of a point, so equal evidence gives equal scores):

- 1 per trace: a gun recovered in crime and traced to this dealer or buyer.
- +3 per short time-to-crime trace (under 1095 days from first retail sale to recovery): ATF's strongest
  single indicator of trafficking, and the heaviest weight.
- +2 per multiple-sale report (3310.4 / 3310.12) holding the gun of one of the traces: several guns bought
  at once, and one of them turned up in crime.
- +1 per recovering agency beyond the first: guns of one source recovered by several agencies suggest
  distribution rather than one person's use.
- +1.5 per Mexican recovery state beyond the first: spread across states weighs more than several agencies
  of one state.
- up to +2 for the median time to crime: 2 × (1095 − median) / 1095 when the median is under 3 years (a
  negative median counts as 0 days), 0 at or above 3 years or when unknown.

A short time-to-crime trace therefore earns 4 points in all (1 as a trace, 3 as short). The score is never
negative, never decreases when any count grows, never increases when the median time to crime grows, and
depends on nothing but the evidence. `rank` orders leads by a key with ties broken by id (ascending), so the
same evidence always gives the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

SHORT_TIME_TO_CRIME_DAYS = 3 * 365  # 1095: "short" means strictly fewer days than this

# Weights in hundredths of a point.
TRACE = 100
SHORT_TTC = 300
MULTIPLE_SALE = 200
EXTRA_AGENCY = 100
EXTRA_STATE = 150
MEDIAN_TTC_MAX = 200

COUNT_FIELDS = ("traces", "short_ttc_traces", "multiple_sale_reports", "agencies", "recovery_states")
Factor = Literal["traces", "short_ttc_traces", "multiple_sale_reports", "extra_agencies", "extra_recovery_states",
                 "median_ttc_days"]
SortKey = Literal["score", "traces", "short_ttc_traces", "multiple_sale_reports", "median_ttc_days"]
SORT_KEYS: tuple[SortKey, ...] = ("score", "traces", "short_ttc_traces", "multiple_sale_reports", "median_ttc_days")


@dataclass(frozen=True)
class Evidence:
    """What the visible traces say about one dealer or purchaser (counts over the caller's scope only)."""

    traces: int = 0
    short_ttc_traces: int = 0  # traces with time to crime < SHORT_TIME_TO_CRIME_DAYS
    multiple_sale_reports: int = 0  # distinct multiple-sale reports holding the gun of one of those traces
    agencies: int = 0  # distinct recovering agencies (visible ones only)
    recovery_states: int = 0  # distinct Mexican states of recovery
    median_ttc_days: float | None = None  # over the traces with a known time to crime

    def __post_init__(self) -> None:
        for name in COUNT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
        median = self.median_ttc_days
        if median is not None and (isinstance(median, bool) or not isinstance(median, int | float)
                                   or not math.isfinite(median)):
            raise ValueError(f"median_ttc_days must be a finite number or None, not {median!r}")


@dataclass(frozen=True)
class ScorePart:
    """One line of a score's explanation: the factor, the evidence value it used, the points it gave."""

    factor: Factor
    value: float | None
    centipoints: int

    @property
    def points(self) -> float:
        """The part in points."""
        return self.centipoints / 100


@dataclass(frozen=True)
class Score:
    """A score and how it was made (its parts add up to it)."""

    centipoints: int
    parts: tuple[ScorePart, ...]

    @property
    def points(self) -> float:
        """The score in points."""
        return self.centipoints / 100


@dataclass(frozen=True)
class Lead:
    """A scored dealer or purchaser: its id (license or pseudonym), evidence and score."""

    lead_id: str
    evidence: Evidence
    score: Score


def median_centipoints(median_ttc_days: float | None) -> int:
    """The median time-to-crime part: 200 hundredths at 0 days, falling linearly to 0 at 1095 days."""
    if median_ttc_days is None:
        return 0
    days = max(0.0, float(median_ttc_days))
    if days >= SHORT_TIME_TO_CRIME_DAYS:
        return 0
    return math.floor(MEDIAN_TTC_MAX * (SHORT_TIME_TO_CRIME_DAYS - days) / SHORT_TIME_TO_CRIME_DAYS)


def score(evidence: Evidence) -> Score:
    """The trafficking score of one dealer or purchaser (weights: the module docstring)."""
    parts = (
        ScorePart("traces", evidence.traces, TRACE * evidence.traces),
        ScorePart("short_ttc_traces", evidence.short_ttc_traces, SHORT_TTC * evidence.short_ttc_traces),
        ScorePart("multiple_sale_reports", evidence.multiple_sale_reports,
                  MULTIPLE_SALE * evidence.multiple_sale_reports),
        ScorePart("extra_agencies", max(0, evidence.agencies - 1), EXTRA_AGENCY * max(0, evidence.agencies - 1)),
        ScorePart("extra_recovery_states", max(0, evidence.recovery_states - 1),
                  EXTRA_STATE * max(0, evidence.recovery_states - 1)),
        ScorePart("median_ttc_days", evidence.median_ttc_days, median_centipoints(evidence.median_ttc_days)),
    )
    return Score(sum(part.centipoints for part in parts), parts)


def _sort_value(lead: Lead, by: SortKey) -> float | None:
    if by == "score":
        return lead.score.centipoints
    value: float | None = getattr(lead.evidence, by)
    return value


def rank(leads: Iterable[tuple[str, Evidence]], by: SortKey = "score", descending: bool = True) -> list[Lead]:
    """Score every (id, evidence) and order by `by` (highest first when `descending`), ties by id ascending.

    An unknown median time to crime sorts last in either direction. Ids must be unique.
    """
    if by not in SORT_KEYS:
        raise ValueError(f"unknown sort key {by!r}")
    scored = [Lead(lead_id, evidence, score(evidence)) for lead_id, evidence in leads]
    if len({lead.lead_id for lead in scored}) != len(scored):
        raise ValueError("lead ids must be unique")

    def key(lead: Lead) -> tuple[bool, float, str]:
        value = _sort_value(lead, by)
        if value is None:
            return True, 0.0, lead.lead_id
        return False, -value if descending else value, lead.lead_id

    return sorted(scored, key=key)
