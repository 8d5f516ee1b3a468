"""Prometheus metrics of one processor worker: definitions, one private registry per worker, flattening.

Every metric is prefixed `tracepipe_` and labelled by `processor`; the other labels take values from closed
sets only (logical topic names from pipeline/topology.py, dead-letter reason codes, dedupe decisions, trace
stages, TraceResult enums), never trace ids, serials or agency event ids, so the number of series is bounded.
Values outside a closed set are counted under `OTHER` instead of creating a new series.

This module only defines and updates metrics; what a processor did is read off its outputs by the observer in
pipeline/ops/metrics/sensor.py, and pipeline/ops/metrics/snapshots.py copies the values to Kafka.

Metric names and labels (counters are exposed with the `_total` suffix):

| metric | type | labels |
|---|---|---|
| tracepipe_events_in_total | counter | processor |
| tracepipe_events_out_total | counter | processor, topic |
| tracepipe_dead_letters_total | counter | processor, reason |
| tracepipe_dedupe_decisions_total | counter | processor, decision |
| tracepipe_traces_opened_total | counter | processor |
| tracepipe_possible_duplicates_total | counter | processor |
| tracepipe_observer_errors_total | counter | processor |
| tracepipe_step_duration_seconds | histogram | processor |
| tracepipe_publish_to_process_seconds | histogram | processor |
| tracepipe_last_event_timestamp_seconds | gauge | processor |
| tracepipe_records_lookups_total | counter | processor, stage, outcome |
| tracepipe_database_errors_total | counter | processor, stage |
| tracepipe_trace_outcomes_total | counter | processor, outcome, reason |
| tracepipe_time_to_crime_seconds | histogram | processor |
| tracepipe_trace_turnaround_seconds | histogram | processor |

Publish-to-completion latency is the sum of two measured parts: intake's and dedupe's
tracepipe_publish_to_process_seconds (seizure published → trace opened) and tracepipe_trace_turnaround_seconds
(trace opened → its result, observed by the sink from the TraceResult's opened_at and completed_at).

Records lookups (`stage`: manufacturer, wholesaler, dealer, dealer_oob, purchaser; `outcome`: found, not_found)
are counted per stage a trace passed through in the step, read off the step's output (pipeline/ops/metrics/lookups.py):
the five stage processors count their own stage, the express lane every stage it walked. Closes that look
nothing up (SERIAL_OBLITERATED, INSUFFICIENT_DATA) count nothing. Database errors (`stage`: the five stages,
express, sink) are PostgreSQL connection errors met by a batch processor, one per failed attempt (each retry
that fails again counts again).

Time to crime is analysed in days, but Prometheus names carry base units (`promtool check metrics` rejects
`_days`): the histogram is in seconds, with bucket bounds at whole days (1 day ... 30 years).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.samples import Sample

from pipeline.contract.registry import Record, default_registry
from pipeline.rules.dedupe import Decision
from pipeline.rules.validate import RejectReason
from pipeline.topology import SEIZURES_DEAD_LETTER, TOPICS, TRACES_POSSIBLE_DUPLICATES, TRACES_REQUESTED, processor

PREFIX = "tracepipe"
OTHER = "OTHER"
DAY_SECONDS = 24 * 60 * 60

# The tracing stages, as they name themselves in a trace's stage_timings (and its hops): the `stage` label of
# tracepipe_records_lookups_total.
TRACE_STAGES: tuple[str, ...] = ("manufacturer", "wholesaler", "dealer", "dealer_oob", "purchaser")
EXPRESS = "express"  # the express lane walks every tracing stage in one pass
SINK = "sink"
# The `stage` label of tracepipe_database_errors_total: the batch processors that use PostgreSQL (a connection
# error of the express lane is not attributable to one of its stages, so it counts as "express").
STAGES: tuple[str, ...] = (*TRACE_STAGES, EXPRESS, SINK)
LOOKUP_OUTCOMES: tuple[str, ...] = ("found", "not_found")
# The stages whose lookups a processor counts (series created at zero in advance).
LOOKUP_STAGES_OF: dict[str, tuple[str, ...]] = {**{stage: (stage,) for stage in TRACE_STAGES}, EXPRESS: TRACE_STAGES}

STEP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# From "live" (tens of milliseconds) to a replayed backlog (a day old).
PUBLISH_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
                   6 * 3600.0, 86400.0)
# Days from first retail sale to recovery: under ~3 years is a trafficking indicator; old guns go to 30 years.
TIME_TO_CRIME_DAYS = (1, 7, 30, 90, 180, 365, 2 * 365, 3 * 365, 5 * 365, 10 * 365, 15 * 365, 20 * 365, 30 * 365)
TIME_TO_CRIME_BUCKETS = tuple(float(days * DAY_SECONDS) for days in TIME_TO_CRIME_DAYS)

TOPIC_NAMES: frozenset[str] = frozenset(spec.name for spec in TOPICS)
REASONS: frozenset[str] = frozenset(str(reason) for reason in RejectReason)
DECISIONS: frozenset[str] = frozenset(str(decision) for decision in Decision)


def _enum_symbols(record: str, field_name: str) -> tuple[str, ...]:
    """Symbols of an enum field of the latest schema of `record` (the schema is the one source of truth)."""
    field = default_registry().latest(record).avro_schema.fields_dict[field_name]
    return tuple(field.type.symbols)


def bounded(value: Any, allowed: Iterable[str]) -> str:
    """`value` as a label value if it belongs to the closed set `allowed`, else OTHER."""
    text = str(value)
    return text if text in allowed else OTHER


class ProcessorMetrics:
    """The metrics of one processor, in a registry of their own (one per worker; tests make as many as needed).

    Label combinations known in advance are created at zero, so a series exists (and `rate()` works) before
    its first event.
    """

    def __init__(self, processor_name: str, registry: CollectorRegistry | None = None) -> None:
        self.processor = processor_name
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.outcomes = _enum_symbols(Record.TRACE_RESULT, "outcome")
        self.close_reasons = _enum_symbols(Record.TRACE_RESULT, "reason")
        r = self.registry
        self.events_in = Counter(f"{PREFIX}_events_in", "Records a processor took from its input topic.",
                                 ["processor"], registry=r)
        self.events_out = Counter(f"{PREFIX}_events_out", "Records a processor produced, by logical topic.",
                                  ["processor", "topic"], registry=r)
        self.dead_letters = Counter(f"{PREFIX}_dead_letters",
                                    "Records parked on the dead-letter topic, by reason code.",
                                    ["processor", "reason"], registry=r)
        self.dedupe_decisions = Counter(f"{PREFIX}_dedupe_decisions",
                                        "Dedupe decisions: OPEN_TRACE, ADD_RECOVERY or EXACT_DUPLICATE.",
                                        ["processor", "decision"], registry=r)
        self.traces_opened = Counter(f"{PREFIX}_traces_opened", "Trace requests opened (first sighting of a firearm).",
                                     ["processor"], registry=r)
        self.possible_duplicates = Counter(f"{PREFIX}_possible_duplicates",
                                           "Possible-duplicate links found between traces (serials one typo apart).",
                                           ["processor"], registry=r)
        self.observer_errors = Counter(f"{PREFIX}_observer_errors",
                                       "Records the metrics observer could not classify (the counts may be short).",
                                       ["processor"], registry=r)
        self.step_seconds = Histogram(f"{PREFIX}_step_duration_seconds",
                                      "Seconds from the start of a record's step to its outputs being handed to the "
                                      "producer.", ["processor"], buckets=STEP_BUCKETS, registry=r)
        self.publish_to_process_seconds = Histogram(
            f"{PREFIX}_publish_to_process_seconds",
            "Seconds from a record's Kafka timestamp to the end of its processing.",
            ["processor"], buckets=PUBLISH_BUCKETS, registry=r)
        self.last_event_timestamp = Gauge(f"{PREFIX}_last_event_timestamp_seconds",
                                          "Kafka timestamp (Unix seconds) of the last record processed.",
                                          ["processor"], registry=r)
        self.records_lookups = Counter(f"{PREFIX}_records_lookups", "Industry-records lookups by trace stage.",
                                       ["processor", "stage", "outcome"], registry=r)
        self.database_errors = Counter(f"{PREFIX}_database_errors", "PostgreSQL errors by trace stage.",
                                       ["processor", "stage"], registry=r)
        self.trace_outcomes = Counter(f"{PREFIX}_trace_outcomes", "Finished traces by outcome and close reason.",
                                      ["processor", "outcome", "reason"], registry=r)
        self.time_to_crime_seconds = Histogram(
            f"{PREFIX}_time_to_crime_seconds",
            "Time from first retail sale to first recovery (bucket bounds are whole days, 1 day to 30 years).",
            ["processor"], buckets=TIME_TO_CRIME_BUCKETS, registry=r)
        self.trace_turnaround_seconds = Histogram(
            f"{PREFIX}_trace_turnaround_seconds",
            "Seconds from a trace being opened to its result (completed or closed).",
            ["processor"], buckets=PUBLISH_BUCKETS, registry=r)
        self._create_known_series()

    def _create_known_series(self) -> None:
        name = self.processor
        for metric in (self.events_in, self.observer_errors, self.step_seconds, self.publish_to_process_seconds):
            metric.labels(name)
        writes = {SEIZURES_DEAD_LETTER.name}
        try:
            writes |= {topic.name for topic in processor(name).writes}
        except KeyError:
            pass  # a processor not in the topology (tests): its series appear with its first records
        for topic in sorted(writes):
            self.events_out.labels(name, topic)
        for reason in sorted(REASONS):
            self.dead_letters.labels(name, reason)
        if TRACES_REQUESTED.name in writes:
            self.traces_opened.labels(name)
            for decision in sorted(DECISIONS):
                self.dedupe_decisions.labels(name, decision)
        if TRACES_POSSIBLE_DUPLICATES.name in writes:
            self.possible_duplicates.labels(name)
        for stage in LOOKUP_STAGES_OF.get(name, ()):
            for outcome in LOOKUP_OUTCOMES:
                self.records_lookups.labels(name, stage, outcome)
        if name in STAGES:
            self.database_errors.labels(name, name)

    # Fed by the step observer (lookups, trace results) and the batch processors' database callback (errors);
    # values are checked against closed sets.

    def record_lookup(self, stage: str, outcome: str) -> None:
        """Count one industry-records lookup of tracing stage `stage` ("found" or "not_found")."""
        self.records_lookups.labels(self.processor, bounded(stage, TRACE_STAGES),
                                    bounded(outcome, LOOKUP_OUTCOMES)).inc()

    def database_error(self, stage: str) -> None:
        """Count one PostgreSQL error met by `stage` (a tracing stage, express or sink)."""
        self.database_errors.labels(self.processor, bounded(stage, STAGES)).inc()

    def observe_trace_result(self, result: Mapping[str, Any]) -> None:
        """Count one finished trace (a decoded TraceResult datum) by outcome and reason, and its time to crime."""
        outcome = bounded(result.get("outcome"), self.outcomes)
        reason = bounded(result.get("reason") or "NONE", self.close_reasons)
        self.trace_outcomes.labels(self.processor, outcome, reason).inc()
        days = result.get("time_to_crime_days")
        if days is not None and days >= 0:
            self.time_to_crime_seconds.labels(self.processor).observe(days * DAY_SECONDS)
        opened, finished = result.get("opened_at"), result.get("completed_at")
        if opened is not None and finished is not None:
            self.trace_turnaround_seconds.labels(self.processor).observe(
                max(0.0, (finished - opened).total_seconds()))

    def exposition(self) -> bytes:
        """The Prometheus text exposition of this worker's metrics (what /metrics serves)."""
        return generate_latest(self.registry)

    def snapshot_values(self) -> tuple[dict[str, int], dict[str, float]]:
        """(counters, gauges) for a MetricsSnapshot; see `flatten`."""
        return flatten(self.registry)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def sample_key(sample: Sample) -> str:
    """A sample as it reads in the exposition, e.g. `tracepipe_events_in_total{processor="intake"}`."""
    if not sample.labels:
        return sample.name
    labels = ",".join(f'{key}="{_escape(value)}"' for key, value in sorted(sample.labels.items()))
    return f"{sample.name}{{{labels}}}"


_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_UNESCAPE = {"\\\\": "\\", "\\n": "\n", '\\"': '"'}


def parse_sample_key(key: str) -> tuple[str, dict[str, str]]:
    """The inverse of `sample_key`: (sample name, labels) of e.g. `tracepipe_events_in_total{processor="intake"}`."""
    name, brace, rest = key.partition("{")
    if not brace:
        return name, {}
    labels = {label: re.sub(r'\\[\\n"]', lambda m: _UNESCAPE[m.group(0)], value)
              for label, value in _LABEL.findall(rest)}
    return name, labels


def flatten(registry: CollectorRegistry) -> tuple[dict[str, int], dict[str, float]]:
    """Every tracepipe sample of `registry` by exposition key: monotonic ones (counter totals, histogram buckets and
    counts) as whole numbers, the rest (gauges, histogram sums) as floats. `_created` timestamps are left out.
    """
    counters: dict[str, int] = {}
    gauges: dict[str, float] = {}
    for family in registry.collect():
        if not family.name.startswith(f"{PREFIX}_"):
            continue
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            monotonic = (family.type == "counter" and sample.name.endswith("_total")) or (
                family.type == "histogram" and sample.name.endswith(("_bucket", "_count")))
            if monotonic:
                counters[sample_key(sample)] = int(sample.value)
            else:
                gauges[sample_key(sample)] = float(sample.value)
    return counters, gauges
