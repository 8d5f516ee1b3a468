"""Deterministic synthetic scenarios: agency seizure traffic, its ground truth and the gun catalogue.

`generate_scenario(days, seed)` gives the events agencies would publish (messy raw text, repeats,
resends, mistyped serials, invalid events) with one TruthRow per event and the FirearmTruth
catalogue a records seeder builds consistent trace records from. Same arguments, same bytes.
"""

from pipeline.producers.scenario.firearms import DEFAULT_AS_OF, FirearmFactory, generate_firearms
from pipeline.producers.scenario.generator import DEFAULT_EVENTS_PER_DAY, DEFAULT_START, generate_scenario
from pipeline.producers.scenario.io import (
    EVENTS_FILE,
    FIREARMS_FILE,
    MANIFEST_FILE,
    TRUTH_FILE,
    event_line,
    parse_event_line,
    read_firearms_csv,
    read_jsonl,
    read_scenario,
    read_truth_csv,
    write_firearms_csv,
    write_jsonl,
    write_scenario,
    write_truth_csv,
)
from pipeline.producers.scenario.truth import (
    FirearmTruth,
    ImperfectionRates,
    InvalidReason,
    Scenario,
    TraceFate,
    TruthKind,
    TruthRow,
)

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_EVENTS_PER_DAY",
    "DEFAULT_START",
    "EVENTS_FILE",
    "FIREARMS_FILE",
    "MANIFEST_FILE",
    "TRUTH_FILE",
    "FirearmFactory",
    "FirearmTruth",
    "ImperfectionRates",
    "InvalidReason",
    "Scenario",
    "TraceFate",
    "TruthKind",
    "TruthRow",
    "event_line",
    "generate_firearms",
    "generate_scenario",
    "parse_event_line",
    "read_firearms_csv",
    "read_jsonl",
    "read_scenario",
    "read_truth_csv",
    "write_firearms_csv",
    "write_jsonl",
    "write_scenario",
    "write_truth_csv",
]
