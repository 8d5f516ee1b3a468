"""The scenario's realistic shares and name pools, loaded once from the JSON files in `data/`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from random import Random
from typing import Any, Generic, TypeVar

from pipeline.producers.scenario.truth import TraceFate
from pipeline.vocab import FirearmType, load_data

T = TypeVar("T")
_PACKAGE = "pipeline.producers.scenario"


@dataclass(frozen=True)
class Weighted(Generic[T]):
    """A weighted categorical distribution drawn from a caller's Random (never the global one)."""

    values: tuple[T, ...]
    cum_weights: tuple[float, ...]

    @classmethod
    def of(cls, weights: Mapping[T, float]) -> Weighted[T]:
        """From a value -> relative weight mapping (order preserved, so draws are reproducible)."""
        if not weights or any(w < 0 for w in weights.values()):
            raise ValueError("weights must be non-empty and non-negative")
        return cls(tuple(weights), tuple(accumulate(float(w) for w in weights.values())))

    def pick(self, rng: Random) -> T:
        """One value, drawn with its weight's probability."""
        return rng.choices(self.values, cum_weights=self.cum_weights)[0]


@dataclass(frozen=True)
class ScenarioShares:
    """Everything the generator draws from besides the vocabularies (see data/shares.json for sources)."""

    agencies: Weighted[str]
    fgr_states: Weighted[str]
    crimes: Weighted[str]
    types: Weighted[FirearmType]
    us_sourced_share: float
    us_fates: Weighted[TraceFate]
    source_states: Weighted[str]
    ttc_mean_years: float
    ttc_shape: float
    group_start_share: float
    group_sizes: Weighted[int]
    group_spread_days: int
    seizure_sizes: Weighted[int]
    report_lags: Weighted[tuple[int, int]]
    double_submission_share: float
    double_submission_delay_days: tuple[int, int]
    fgr_takes_over_share: float
    urgent_share: float
    business_hours_share: float
    business_hours_local: tuple[int, int]
    utc_offset_hours: int
    present: Mapping[str, float]
    blank: Mapping[str, float]
    jitter_degrees: float
    case_styles: Weighted[str]
    strip_accents_share: float
    unknown_states: tuple[str, ...]
    male_share: float
    age_years: tuple[int, int]
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]
    surnames: tuple[str, ...]
    sex_conventions: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]


def _int_keys(weights: Mapping[str, float]) -> dict[int, float]:
    return {int(k): v for k, v in weights.items()}


def _build(raw: dict[str, Any], people: dict[str, Any]) -> ScenarioShares:
    ttc, group = raw["time_to_crime_years"], raw["purchase_group"]
    return ScenarioShares(
        agencies=Weighted.of(raw["agency_weights"]),
        fgr_states=Weighted.of(raw["fgr_state_weights"]),
        crimes=Weighted.of(raw["crime_weights"]),
        types=Weighted.of({FirearmType(k): v for k, v in raw["type_weights"].items()}),
        us_sourced_share=raw["us_sourced_share"],
        us_fates=Weighted.of({TraceFate(k): v for k, v in raw["us_fate_weights"].items()}),
        source_states=Weighted.of(raw["us_source_state_weights"]),
        ttc_mean_years=ttc["mean"],
        ttc_shape=ttc["shape"],
        group_start_share=group["start_share"],
        group_sizes=Weighted.of(_int_keys(group["size_weights"])),
        group_spread_days=group["max_spread_days"],
        seizure_sizes=Weighted.of(_int_keys(raw["seizure_size_weights"])),
        report_lags=Weighted.of({(low, high): w for low, high, w in raw["report_lag_days"]}),
        double_submission_share=raw["double_submission_share"],
        double_submission_delay_days=tuple(raw["double_submission_delay_days"]),
        fgr_takes_over_share=raw["fgr_takes_over_share"],
        urgent_share=raw["urgent_share"],
        business_hours_share=raw["business_hours_share"],
        business_hours_local=tuple(raw["business_hours_local"]),
        utc_offset_hours=raw["utc_offset_hours"],
        present=dict(raw["present_shares"]),
        blank=dict(raw["blank_shares"]),
        jitter_degrees=raw["coordinate_jitter_degrees"],
        case_styles=Weighted.of(raw["agency_case_weights"]),
        strip_accents_share=raw["agency_strip_accents_share"],
        unknown_states=tuple(raw["unknown_states"]),
        male_share=raw["possessor_male_share"],
        age_years=tuple(raw["possessor_age_years"]),
        male_given=tuple(people["male_given"]),
        female_given=tuple(people["female_given"]),
        surnames=tuple(people["surnames"]),
        sex_conventions=tuple(tuple(pair) for pair in people["sex_conventions"]),
        notes=tuple(people["notes"]),
    )


@lru_cache(maxsize=1)
def load_shares() -> ScenarioShares:
    """The scenario shares, parsed once per process."""
    return _build(load_data("data/shares.json", _PACKAGE), load_data("data/people.json", _PACKAGE))
