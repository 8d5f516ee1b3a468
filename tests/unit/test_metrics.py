"""Metrics observer, definitions, snapshots and the /metrics server, on in-memory records (no broker)."""

from __future__ import annotations

import asyncio
import logging
import socket
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString

from pipeline.contract.codec import decode, encode
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record, default_registry, sample_datum
from pipeline.errors import ConfigError
from pipeline.ops.metrics.instruments import (
    DAY_SECONDS,
    TIME_TO_CRIME_BUCKETS,
    TRACE_STAGES,
    ProcessorMetrics,
    flatten,
    sample_key,
)
from pipeline.ops.metrics.lookups import NO_LOOKUP_REASONS, NOT_FOUND_REASONS, closing_outcome, step_lookups
from pipeline.ops.metrics.sensor import MetricsServerSensor, StepObserver, install_metrics, metrics_port
from pipeline.ops.metrics.snapshots import encode_snapshot, worker_identity
from pipeline.processors import (
    dealer,
    dealer_oob,
    dedupe,
    express,
    intake,
    manufacturer,
    purchaser,
    serial_linker,
    wholesaler,
)
from pipeline.processors.dead_letters import dead_letter
from pipeline.processors.stage_runner import Stage, decide_batch
from pipeline.producers.publisher import event_key
from pipeline.producers.scenario import generate_scenario
from pipeline.records.model import LicenseKind, LicenseStatus, OobRecord, RetailSale, TheftReport, WholesaleShipment
from pipeline.rules.validate import Rejection, RejectReason
from pipeline.settings import Settings
from pipeline.topology import (
    PROCESSORS,
    SEIZURES_DEAD_LETTER,
    SEIZURES_ENRICHED,
    SEIZURES_ENRICHED_URGENT,
    TRACES_AT_DEALER,
    TRACES_AT_DEALER_OOB,
    TRACES_AT_PURCHASER,
    TRACES_AT_WHOLESALER,
    TRACES_COMPLETED,
    TRACES_POSSIBLE_DUPLICATES,
    TRACES_REQUESTED,
    TRACES_SERIAL_INDEX,
    TRACES_URGENT,
    processor,
)
from tests.integration.test_intake_dedupe import expected_counts
from tests.unit.rules.test_tracing import KEY, licensee, made
from tests.unit.rules.test_tracing import trace as routine_trace

NOW_MS = 1_720_000_000_000


def value(metrics: ProcessorMetrics, name: str, **labels: str) -> float | None:
    """One sample's value from the registry (None if the series does not exist)."""
    return metrics.registry.get_sample_value(name, {"processor": metrics.processor, **labels})


def incoming(value: bytes = b"x", *, topic: str = "ns.seizures.raw", offset: int = 0, ts_ms: int = NOW_MS) -> Incoming:
    return Incoming(topic, 0, offset, b"k", value, ts_ms)


def observer(name: str, **kwargs) -> StepObserver:
    return StepObserver(ProcessorMetrics(name), clock=lambda: NOW_MS / 1000 + 2.5, **kwargs)


# The observer on the real steps: counters equal the scenario's ground truth.

class InMemoryPipeline:
    """intake -> dedupe -> serial_linker in one process, offsets in order, each step watched by its observer."""

    def __init__(self) -> None:
        self.observers = {name: observer(name) for name in ("intake", "dedupe", "serial_linker")}
        self.tables: dict[str, dict] = {"dedupe": {}}
        self.linker = serial_linker.SerialTable({})
        self.topics: dict[str, list[Outgoing]] = {}
        self.produced: Counter = Counter()  # (processor, topic) -> records
        self.offsets: Counter = Counter()

    def _deliver(self, name: str, source_topic: str, key: bytes | None, payload: bytes) -> None:
        record = Incoming(f"ns.{source_topic}", 0, self.offsets[source_topic], key, payload, NOW_MS)
        self.offsets[source_topic] += 1
        if name == "intake":
            outputs = intake.intake_record(record)
        elif name == "dedupe":
            table = self.tables[name]
            table[key], outputs = dedupe.dedupe_step(table.get(key), record)
        else:
            outputs = serial_linker.serial_linker_step(self.linker, record)
        self.observers[name](record, outputs, 0.001)
        for out in outputs:
            self.produced[name, out.topic] += 1
            self.topics.setdefault(out.topic, []).append(out)
            if out.topic in (SEIZURES_ENRICHED.name, SEIZURES_ENRICHED_URGENT.name):  # both lanes
                self._deliver("dedupe", out.topic, out.key, out.value)
            elif out.topic == TRACES_SERIAL_INDEX.name:
                self._deliver("serial_linker", out.topic, out.key, out.value)

    def publish(self, event: dict | bytes) -> None:
        if isinstance(event, bytes):
            self._deliver("intake", "seizures.raw", b"unparseable", event)
        else:
            self._deliver("intake", "seizures.raw", event_key(event), encode(Record.SEIZURE_EVENT, event))


def test_observer_counts_equal_ground_truth():
    scenario = generate_scenario(days=2, seed=11)
    pipeline = InMemoryPipeline()
    for event in scenario.events:
        pipeline.publish(event)
    truth = expected_counts(scenario)
    ingest = pipeline.observers["intake"].metrics
    dd = pipeline.observers["dedupe"].metrics
    linker = pipeline.observers["serial_linker"].metrics

    assert value(ingest, "tracepipe_events_in_total") == len(scenario.events)
    reasons = {reason: value(ingest, "tracepipe_dead_letters_total", reason=str(reason)) for reason in RejectReason}
    assert {reason: n for reason, n in reasons.items() if n} == dict(truth["dead_letters"])
    assert value(dd, "tracepipe_traces_opened_total") == truth["traces"]
    assert value(dd, "tracepipe_dedupe_decisions_total", decision="OPEN_TRACE") == truth["traces"]
    assert value(dd, "tracepipe_dedupe_decisions_total", decision="ADD_RECOVERY") == truth["recoveries"]
    assert value(dd, "tracepipe_dedupe_decisions_total", decision="EXACT_DUPLICATE") == truth["exact_duplicates"]
    enriched = pipeline.topics[SEIZURES_ENRICHED.name] + pipeline.topics[SEIZURES_ENRICHED_URGENT.name]
    assert value(dd, "tracepipe_events_in_total") == len(enriched)
    links = pipeline.topics.get(TRACES_POSSIBLE_DUPLICATES.name, [])
    assert value(linker, "tracepipe_possible_duplicates_total") == len(links)
    assert len({out.key for out in links}) == truth["possible_duplicates"]
    # Every record a step produced is counted once, under its logical topic.
    for name, obs in pipeline.observers.items():
        for topic in {spec.name for spec in processor(name).writes} | {SEIZURES_DEAD_LETTER.name}:
            counted = value(obs.metrics, "tracepipe_events_out_total", topic=topic)
            assert counted == pipeline.produced[name, topic], (name, topic)
        assert value(obs.metrics, "tracepipe_observer_errors_total") == 0
    assert value(ingest, "tracepipe_step_duration_seconds_count") == len(scenario.events)


# Classification of single records.

def test_dead_letter_reason_is_read_from_the_payload():
    obs = observer("intake")
    record = incoming()
    letters = [dead_letter(record, Rejection(RejectReason.FUTURE_DATE, "en", "es"), "intake"),
               dead_letter(record, Rejection(RejectReason.PROCESSING_ERROR, "en", "es"), "intake")]
    obs(record, letters, 0.01)
    assert value(obs.metrics, "tracepipe_dead_letters_total", reason="FUTURE_DATE") == 1
    assert value(obs.metrics, "tracepipe_dead_letters_total", reason="PROCESSING_ERROR") == 1
    assert value(obs.metrics, "tracepipe_events_out_total", topic=SEIZURES_DEAD_LETTER.name) == 2
    assert value(obs.metrics, "tracepipe_events_in_total") == 1


def test_unreadable_dead_letter_and_unknown_values_stay_bounded():
    obs = observer("intake")
    odd = encode(Record.DEAD_LETTER, {**decode(dead_letter(incoming(), Rejection(RejectReason.MISSING_FIELD, "e", "s"),
                                                             "intake").value), "reason_code": "TR-123456"})
    obs(incoming(), [Outgoing(SEIZURES_DEAD_LETTER.name, b"k", b"not avro"),
                     Outgoing(SEIZURES_DEAD_LETTER.name, b"k", odd),
                     Outgoing("somewhere.else", b"k", b"v")], 0.0)
    assert value(obs.metrics, "tracepipe_dead_letters_total", reason="OTHER") == 2
    assert value(obs.metrics, "tracepipe_events_out_total", topic="OTHER") == 1
    assert value(obs.metrics, "tracepipe_observer_errors_total") == 1
    exposition = obs.metrics.exposition().decode()
    assert "TR-123456" not in exposition and "somewhere.else" not in exposition


def test_dedupe_decision_follows_the_output_topic():
    obs = observer("dedupe")
    obs(incoming(), [Outgoing(TRACES_REQUESTED.name, b"TR-1", b"v"), Outgoing(TRACES_SERIAL_INDEX.name, b"b", b"v"),
                     Outgoing(TRACES_SERIAL_INDEX.name, b"c", b"v")], 0.0)
    obs(incoming(offset=1), [Outgoing("traces.recoveries", b"TR-1", b"v")], 0.0)
    obs(incoming(offset=2), [Outgoing("seizures.duplicates", b"0:2", b"v")], 0.0)
    m = obs.metrics
    assert [value(m, "tracepipe_dedupe_decisions_total", decision=d)
            for d in ("OPEN_TRACE", "ADD_RECOVERY", "EXACT_DUPLICATE")] == [1, 1, 1]
    assert value(m, "tracepipe_traces_opened_total") == 1
    assert value(m, "tracepipe_events_out_total", topic=TRACES_SERIAL_INDEX.name) == 2
    assert value(m, "tracepipe_events_in_total") == 3


def test_latencies_and_last_event_time():
    obs = observer("serial_linker")
    obs(incoming(ts_ms=NOW_MS), [], 0.003)
    obs(incoming(ts_ms=NOW_MS + 10_000, offset=1), [], -1.0)  # a clock step back is clamped, never negative
    m = obs.metrics
    assert value(m, "tracepipe_step_duration_seconds_count") == 2
    assert value(m, "tracepipe_step_duration_seconds_sum") == pytest.approx(0.003)
    assert value(m, "tracepipe_step_duration_seconds_bucket", le="0.005") == 2
    assert value(m, "tracepipe_publish_to_process_seconds_sum") == pytest.approx(2.5)  # 2.5 s, then 0 (future)
    assert value(m, "tracepipe_last_event_timestamp_seconds") == (NOW_MS + 10_000) / 1000


def test_observer_never_raises_into_the_agent(caplog):
    obs = observer("intake")
    with caplog.at_level(logging.ERROR):
        obs(incoming(), [Outgoing(SEIZURES_ENRICHED.name, b"k", b"v")], "not a number")  # type: ignore[arg-type]
    assert value(obs.metrics, "tracepipe_observer_errors_total") == 1
    assert "metrics observer failed" in caplog.text


# Metrics fed later by the trace stages and the sink.

def trace_result(**changes) -> dict:
    return {**sample_datum(default_registry().latest(Record.TRACE_RESULT)), **changes}


def test_trace_results_by_outcome_reason_and_time_to_crime():
    m = ProcessorMetrics("sink")
    m.observe_trace_result(trace_result(outcome="COMPLETED", reason="NONE", time_to_crime_days=400))
    m.observe_trace_result(trace_result(outcome="CLOSED", reason="PRE_1968", time_to_crime_days=None))
    m.observe_trace_result(trace_result(outcome="CLOSED", reason="SOMETHING_NEW", time_to_crime_days=20 * 365))
    assert value(m, "tracepipe_trace_outcomes_total", outcome="COMPLETED", reason="NONE") == 1
    assert value(m, "tracepipe_trace_outcomes_total", outcome="CLOSED", reason="PRE_1968") == 1
    assert value(m, "tracepipe_trace_outcomes_total", outcome="CLOSED", reason="OTHER") == 1
    assert value(m, "tracepipe_time_to_crime_seconds_count") == 2
    assert value(m, "tracepipe_time_to_crime_seconds_bucket", le=floatToGoString(2 * 365 * DAY_SECONDS)) == 1
    assert TIME_TO_CRIME_BUCKETS[-1] == 30 * 365 * DAY_SECONDS


def test_trace_turnaround_from_opened_to_result():
    m = ProcessorMetrics("sink")
    opened = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    for seconds in (0.4, 42.0, 7200.0):
        m.observe_trace_result(trace_result(opened_at=opened, completed_at=opened + timedelta(seconds=seconds)))
    assert value(m, "tracepipe_trace_turnaround_seconds_count") == 3
    assert value(m, "tracepipe_trace_turnaround_seconds_sum") == pytest.approx(7242.4)
    assert value(m, "tracepipe_trace_turnaround_seconds_bucket", le="60.0") == 2


def test_sink_observer_counts_the_trace_results_it_reads():
    obs = observer("sink", reads_results=True)
    payload = encode(Record.TRACE_RESULT, trace_result(outcome="COMPLETED", reason="NONE", time_to_crime_days=30))
    obs(incoming(payload, topic="ns.traces.completed"), [], 0.01)
    obs(incoming(b"garbage", topic="ns.traces.completed", offset=1),
        [dead_letter(incoming(b"garbage"), Rejection(RejectReason.DECODE_CORRUPT, "e", "s"), "sink")], 0.01)
    # The sink's other inputs are not trace results.
    attached = {"trace_id": "TR-1", "firearm_key": "k",
                "recovery": sample_datum(default_registry().latest(Record.RECOVERY_ATTACHED))["recovery"]}
    obs(incoming(encode(Record.RECOVERY_ATTACHED, attached), topic="ns.traces.recoveries", offset=2), [], 0.01)
    assert value(obs.metrics, "tracepipe_trace_outcomes_total", outcome="COMPLETED", reason="NONE") == 1
    assert value(obs.metrics, "tracepipe_time_to_crime_seconds_count") == 1
    assert value(obs.metrics, "tracepipe_observer_errors_total") == 0
    assert value(obs.metrics, "tracepipe_events_in_total") == 3


def test_install_metrics_counts_results_only_where_traces_completed_is_read(settings_for_build):
    import faust

    quiet = settings_for_build.with_changes(metrics_base_port=0, snapshot_seconds=0)
    for name, expected in (("sink", True), ("dedupe", False), ("purchaser", False)):
        app = faust.App(f"t-metrics-{name}", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=False)
        assert install_metrics(app, quiet, processor(name)).reads_results is expected


def test_install_metrics_counts_lookups_only_where_a_trace_topic_is_read(settings_for_build):
    import faust

    quiet = settings_for_build.with_changes(metrics_base_port=0, snapshot_seconds=0)
    readers = {spec.name: False for spec in PROCESSORS}
    readers.update(dict.fromkeys((*TRACE_STAGES, "express"), True))
    for name, expected in readers.items():
        app = faust.App(f"t-lookups-{name}", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=False)
        assert install_metrics(app, quiet, processor(name)).reads_traces is expected, name


def test_lookups_and_database_errors_by_stage():
    m = ProcessorMetrics("dealer")
    assert value(m, "tracepipe_records_lookups_total", stage="dealer", outcome="found") == 0  # series pre-created
    m.record_lookup("dealer", "found")
    m.record_lookup("dealer_oob", "not_found")
    m.record_lookup("TR-ABC", "maybe")
    m.database_error("dealer")
    assert value(m, "tracepipe_records_lookups_total", stage="dealer", outcome="found") == 1
    assert value(m, "tracepipe_records_lookups_total", stage="dealer_oob", outcome="not_found") == 1
    assert value(m, "tracepipe_records_lookups_total", stage="OTHER", outcome="OTHER") == 1
    assert value(m, "tracepipe_database_errors_total", stage="dealer") == 1


# Records lookups of the tracing stages, read off real stage outputs (real decisions and encoders, canned records).

TRACE_NOW = datetime(2024, 7, 10, 12, tzinfo=UTC)
SALE = RetailSale(KEY, "D-7", date(2021, 7, 1), "P-9")
FOUND = {  # what each stage's batched lookup returns, keyed as the stages' gather functions key it
    "manufacturer": {"records": {KEY: made()}, "wholesalers": {"W-1": licensee("W-1", LicenseKind.WHOLESALER)}},
    "wholesaler": {"shipments": {KEY: WholesaleShipment(KEY, "W-1", "D-7", date(2019, 6, 1))},
                   "dealers": {"D-7": licensee("D-7")}},
    "dealer": {"dealers": {"D-7": licensee("D-7")}, "sales": {KEY: SALE}, "thefts": {}},
    "dealer_oob": {"records": {}},
    "purchaser": {"sales": {KEY: SALE}, "dealers": {"D-7": licensee("D-7")}},
}
NOTHING = {"records": {}, "wholesalers": {}}
CHAIN = ((manufacturer.STAGE, TRACES_REQUESTED), (wholesaler.STAGE, TRACES_AT_WHOLESALER),
         (dealer.STAGE, TRACES_AT_DEALER), (purchaser.STAGE, TRACES_AT_PURCHASER))


def lookup_counts(metrics: ProcessorMetrics) -> dict[tuple[str, str], int]:
    """Non-zero tracepipe_records_lookups_total series as {(stage, outcome): count}."""
    return {(s.labels["stage"], s.labels["outcome"]): int(s.value) for family in metrics.registry.collect()
            if family.name == "tracepipe_records_lookups" for s in family.samples
            if s.name.endswith("_total") and s.value}


def run_stage(stage: Stage, payload: bytes, topic: str, found: dict, obs: StepObserver,
              offset: int = 0) -> list[Outgoing]:
    """One record through a stage's real decision and encoding, watched by `obs`; its outputs."""
    record = incoming(payload, topic=f"ns.{topic}", offset=offset)
    [outputs] = decide_batch(stage, [record], found, [decode(payload, Record.TRACE_IN_FLIGHT)], TRACE_NOW)
    obs(record, outputs, 0.001)
    return outputs


def requested(the_trace: dict | None = None) -> bytes:
    return encode(Record.TRACE_IN_FLIGHT, the_trace or routine_trace())


def test_stage_forward_counts_one_found_lookup_per_stage_not_per_hop():
    obs = observer("manufacturer", reads_traces=True)
    [out] = run_stage(manufacturer.STAGE, requested(), TRACES_REQUESTED.name, FOUND["manufacturer"], obs)
    assert out.topic == TRACES_AT_WHOLESALER.name
    assert len(decode(out.value, Record.TRACE_IN_FLIGHT)["hops"]) == 2  # importer and wholesaler: one lookup
    assert lookup_counts(obs.metrics) == {("manufacturer", "found"): 1}
    assert value(obs.metrics, "tracepipe_observer_errors_total") == 0


def test_stage_close_for_a_missing_record_counts_not_found():
    obs = observer("manufacturer", reads_traces=True)
    [out] = run_stage(manufacturer.STAGE, requested(), TRACES_REQUESTED.name, NOTHING, obs)
    assert decode(out.value, Record.TRACE_RESULT)["reason"] == "NO_MANUFACTURER_RECORD"
    assert lookup_counts(obs.metrics) == {("manufacturer", "not_found"): 1}


def test_stage_close_without_a_lookup_counts_nothing():
    obs = observer("manufacturer", reads_traces=True)
    [out] = run_stage(manufacturer.STAGE, requested(routine_trace("OBLITERATED")), TRACES_REQUESTED.name,
                      FOUND["manufacturer"], obs)
    assert decode(out.value, Record.TRACE_RESULT)["reason"] == "SERIAL_OBLITERATED"
    assert lookup_counts(obs.metrics) == {}
    assert value(obs.metrics, "tracepipe_events_out_total", topic=TRACES_COMPLETED.name) == 1
    assert value(obs.metrics, "tracepipe_observer_errors_total") == 0


def test_each_stage_counts_its_own_lookup_down_to_the_completed_purchaser_step():
    payload, observers = requested(), {}
    for stage, topic in CHAIN:
        observers[stage.name] = observer(stage.name, reads_traces=True)
        [out] = run_stage(stage, payload, topic.name, FOUND[stage.name], observers[stage.name])
        payload = out.value
    assert out.topic == TRACES_COMPLETED.name
    result = decode(payload, Record.TRACE_RESULT)
    assert (result["outcome"], result["reason"]) == ("COMPLETED", "NONE")
    for name, obs in observers.items():
        assert lookup_counts(obs.metrics) == {(name, "found"): 1}, name
        assert value(obs.metrics, "tracepipe_observer_errors_total") == 0


def test_dealer_routes_and_closes_count_as_their_records_say():
    payload = requested()
    for stage, topic in CHAIN[:2]:
        [out] = run_stage(stage, payload, topic.name, FOUND[stage.name], observer(stage.name))
        payload = out.value
    assert out.topic == TRACES_AT_DEALER.name
    dealer_observer = observer("dealer", reads_traces=True)
    closed = licensee("D-7", status=LicenseStatus.OUT_OF_BUSINESS)
    [to_oob] = run_stage(dealer.STAGE, payload, TRACES_AT_DEALER.name,
                         {**FOUND["dealer"], "dealers": {"D-7": closed}, "sales": {}}, dealer_observer)
    theft = TheftReport(KEY, date(2020, 1, 1), "D-7", "burglary")
    [stolen] = run_stage(dealer.STAGE, payload, TRACES_AT_DEALER.name,
                         {**FOUND["dealer"], "thefts": {KEY: theft}}, dealer_observer, offset=1)
    [missing] = run_stage(dealer.STAGE, payload, TRACES_AT_DEALER.name, {**FOUND["dealer"], "sales": {}},
                          dealer_observer, offset=2)
    assert to_oob.topic == TRACES_AT_DEALER_OOB.name
    assert [decode(out.value, Record.TRACE_RESULT)["reason"] for out in (stolen, missing)] == [
        "FIREARM_REPORTED_STOLEN", "DISTRIBUTION_RECORD_NOT_FOUND"]
    # The out-of-business route found the (closed) dealer; a theft report is a record found.
    assert lookup_counts(dealer_observer.metrics) == {("dealer", "found"): 2, ("dealer", "not_found"): 1}
    oob = observer("dealer_oob", reads_traces=True)
    run_stage(dealer_oob.STAGE, to_oob.value, TRACES_AT_DEALER_OOB.name, {"records": {}}, oob)
    run_stage(dealer_oob.STAGE, to_oob.value, TRACES_AT_DEALER_OOB.name,
              {"records": {KEY: OobRecord(KEY, "D-7", date(2015, 1, 1), "P-1")}}, oob, offset=1)
    assert lookup_counts(oob.metrics) == {("dealer_oob", "not_found"): 1, ("dealer_oob", "found"): 1}


class CannedRecords:
    """A RetryingConnection stand-in for the express lane: runs the work on no connection (gathers are canned)."""

    def run(self, work):
        return work(None)


def test_express_counts_every_stage_it_walked(monkeypatch):
    key_oob, key_lost, key_bad = "GLOCK|OOB1", "GLOCK|LOST1", "GLOCK|BAD1"
    closed = licensee("D-8", status=LicenseStatus.OUT_OF_BUSINESS)
    oob_sale = OobRecord(key_oob, "D-8", date(2016, 2, 1), "P-3")
    found = {
        "manufacturer": {"records": {k: made(firearm_key=k) for k in (KEY, key_oob, key_lost)},
                         "wholesalers": FOUND["manufacturer"]["wholesalers"]},
        "wholesaler": {"shipments": {KEY: WholesaleShipment(KEY, "W-1", "D-7", date(2019, 6, 1)),
                                     key_oob: WholesaleShipment(key_oob, "W-1", "D-8", date(2019, 6, 1)),
                                     key_lost: WholesaleShipment(key_lost, "W-1", "D-7", date(2019, 6, 1))},
                       "dealers": {"D-7": licensee("D-7"), "D-8": closed}},
        "dealer": {"dealers": {"D-7": licensee("D-7"), "D-8": closed}, "sales": {KEY: SALE}, "thefts": {}},
        "dealer_oob": {"records": {key_oob: oob_sale}},
        "purchaser": {"sales": {KEY: SALE, key_oob: oob_sale}, "dealers": {"D-7": licensee("D-7"), "D-8": closed}},
    }
    canned = {topic: Stage(stage.name, lambda _conn, _traces, f=found[stage.name]: f, stage.decide)
              for topic, stage in express.STAGE_READING.items()}
    monkeypatch.setattr(express, "STAGE_READING", canned)
    urgent = [{**routine_trace(key=KEY), "trace_id": "TR-1", "priority": "URGENT"},
              {**routine_trace(key=key_oob), "trace_id": "TR-2", "priority": "URGENT"},
              {**routine_trace(key=key_lost), "trace_id": "TR-3", "priority": "URGENT"},
              {**routine_trace("OBLITERATED", key=key_bad), "trace_id": "TR-4", "priority": "URGENT"}]
    batch = [incoming(encode(Record.TRACE_IN_FLIGHT, t), topic=f"ns.{TRACES_URGENT.name}", offset=i)
             for i, t in enumerate(urgent)]
    produced = express.express_batch(batch, CannedRecords(), None)  # type: ignore[arg-type]
    obs = observer("express", reads_traces=True)
    for record, outputs in zip(batch, produced, strict=True):
        obs(record, outputs, 0.001)
    results = [decode(out.value, Record.TRACE_RESULT) for outputs in produced for out in outputs]
    assert [(r["reason"], len(r["hops"])) for r in results] == [
        ("NONE", 4), ("NONE", 4), ("DISTRIBUTION_RECORD_NOT_FOUND", 3), ("SERIAL_OBLITERATED", 0)]
    assert [t["stage"] for t in results[1]["stage_timings"]] == list(TRACE_STAGES)
    assert lookup_counts(obs.metrics) == {
        ("manufacturer", "found"): 3, ("wholesaler", "found"): 3, ("dealer", "found"): 2,
        ("dealer", "not_found"): 1, ("dealer_oob", "found"): 1, ("purchaser", "found"): 2}
    assert value(obs.metrics, "tracepipe_observer_errors_total") == 0


def test_lookups_skip_dead_letters_and_count_unreadable_traces_as_observer_errors():
    obs = observer("wholesaler", reads_traces=True)
    record = incoming(b"not avro", topic=f"ns.{TRACES_AT_WHOLESALER.name}")
    obs(record, [dead_letter(record, Rejection(RejectReason.PROCESSING_ERROR, "e", "s"), "wholesaler")], 0.0)
    assert value(obs.metrics, "tracepipe_observer_errors_total") == 0  # a failed step: nothing to decode
    obs(record, [Outgoing(TRACES_AT_DEALER.name, b"TR-1", requested())], 0.0)  # unreadable input
    good = incoming(requested(), topic=f"ns.{TRACES_AT_WHOLESALER.name}", offset=1)
    obs(good, [Outgoing(TRACES_COMPLETED.name, b"TR-1", b"not avro")], 0.0)  # unreadable output
    assert value(obs.metrics, "tracepipe_observer_errors_total") == 2
    assert lookup_counts(obs.metrics) == {}
    assert value(obs.metrics, "tracepipe_events_in_total") == 3 and value(
        obs.metrics, "tracepipe_step_duration_seconds_count") == 3


def test_lookups_are_counted_only_by_trace_readers():
    obs = observer("manufacturer")  # reads_traces off: trace outputs are not decoded
    run_stage(manufacturer.STAGE, requested(), TRACES_REQUESTED.name, FOUND["manufacturer"], obs)
    assert lookup_counts(obs.metrics) == {}


def test_every_close_reason_is_classified():
    reasons = set(ProcessorMetrics("sink").close_reasons)
    assert NOT_FOUND_REASONS <= reasons and NO_LOOKUP_REASONS <= reasons
    assert not NOT_FOUND_REASONS & NO_LOOKUP_REASONS
    assert {r: closing_outcome(r) for r in sorted(reasons)} == {
        "DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND": "not_found", "DISTRIBUTION_RECORD_NOT_FOUND": "not_found",
        "FIREARM_REPORTED_STOLEN": "found", "FOREIGN_NO_US_IMPORT_RECORD": "found", "INSUFFICIENT_DATA": None,
        "NONE": "found", "NO_MANUFACTURER_RECORD": "not_found", "PRE_1968": "found", "SERIAL_OBLITERATED": None}
    assert closing_outcome(None) == "found"  # forwarded


def test_step_lookups_reads_the_new_stage_timings():
    def timed(*stages):
        return {"stage_timings": [{"stage": s} for s in stages]}

    assert step_lookups(timed("manufacturer"), timed("manufacturer", "wholesaler")) == [("wholesaler", "found")]
    assert step_lookups(timed(), {**timed("manufacturer", "wholesaler"), "reason": "DISTRIBUTION_RECORD_NOT_FOUND"}) \
        == [("manufacturer", "found"), ("wholesaler", "not_found")]
    assert step_lookups(timed(), {**timed("manufacturer"), "reason": "INSUFFICIENT_DATA"}) == []
    assert step_lookups(timed("manufacturer"), timed("manufacturer")) == []  # no stage ran


def test_lookup_and_database_error_series_exist_at_zero_where_they_can_happen():
    express_metrics, sink_metrics = ProcessorMetrics("express"), ProcessorMetrics("sink")
    for stage in TRACE_STAGES:
        for outcome in ("found", "not_found"):
            assert value(express_metrics, "tracepipe_records_lookups_total", stage=stage, outcome=outcome) == 0
    assert value(express_metrics, "tracepipe_database_errors_total", stage="express") == 0
    assert value(sink_metrics, "tracepipe_database_errors_total", stage="sink") == 0
    assert lookup_counts(sink_metrics) == {} and value(
        sink_metrics, "tracepipe_records_lookups_total", stage="sink", outcome="found") is None
    assert value(ProcessorMetrics("dedupe"), "tracepipe_database_errors_total", stage="dedupe") is None
    m = ProcessorMetrics("express")
    m.record_lookup("express", "found")  # not a tracing stage
    m.database_error("express")
    assert value(m, "tracepipe_records_lookups_total", stage="OTHER", outcome="found") == 1
    assert value(m, "tracepipe_database_errors_total", stage="express") == 1


def test_every_metric_is_prefixed_and_labelled_by_processor():
    m = ProcessorMetrics("dedupe")
    families = list(text_string_to_metric_families(m.exposition().decode()))
    assert len({f.name for f in families if f.type != "gauge" or not f.name.endswith("_created")}) >= 14
    for family in families:
        assert family.name.startswith("tracepipe_")
        for sample in family.samples:
            assert sample.labels["processor"] == "dedupe"
            assert set(sample.labels) <= {"processor", "topic", "reason", "outcome", "decision", "stage", "le"}
    # Known series exist at zero before the first record.
    assert value(m, "tracepipe_dedupe_decisions_total", decision="EXACT_DUPLICATE") == 0
    assert value(m, "tracepipe_events_out_total", topic="traces.serial-index") == 0


# Settings read from the environment.

def test_metrics_port_is_base_plus_topology_index():
    names = [spec.name for spec in PROCESSORS]
    assert metrics_port("intake", Settings.from_env({}).metrics_base_port) == 9100
    assert metrics_port("dedupe", 9200) == 9200 + names.index("dedupe")
    assert metrics_port("sink", 20000) == 20000 + len(names) - 1
    assert metrics_port("intake", 0) is None
    with pytest.raises(ConfigError):
        metrics_port("sink", 65535)  # the last processors would get no port
    with pytest.raises(ConfigError):
        metrics_port("nonesuch", 9100)


def test_metrics_settings_are_validated_at_the_entry_point():
    assert Settings.from_env({"TRACEPIPE_METRICS_PORT": "9200"}).metrics_base_port == 9200
    assert Settings.from_env({"TRACEPIPE_METRICS_PORT": "0"}).metrics_base_port == 0
    for bad in ("abc", "-1", "65536"):
        with pytest.raises(ConfigError, match="TRACEPIPE_METRICS_PORT"):
            Settings.from_env({"TRACEPIPE_METRICS_PORT": bad})


def test_snapshot_seconds():
    assert Settings.from_env({}).snapshot_seconds == 10.0
    assert Settings.from_env({"TRACEPIPE_SNAPSHOT_SECONDS": "2.5"}).snapshot_seconds == 2.5
    assert Settings.from_env({"TRACEPIPE_SNAPSHOT_SECONDS": "0"}).snapshot_seconds == 0
    for bad in ("soon", "-1", "nan", "86401"):
        with pytest.raises(ConfigError, match="TRACEPIPE_SNAPSHOT_SECONDS"):
            Settings.from_env({"TRACEPIPE_SNAPSHOT_SECONDS": bad})


# Snapshots.

def scraped_counters(text: str) -> dict[str, int]:
    return {sample_key(s): int(s.value) for f in text_string_to_metric_families(text) for s in f.samples
            if (f.type == "counter" and s.name.endswith("_total"))
            or (f.type == "histogram" and s.name.endswith(("_bucket", "_count")))}


def test_snapshot_decodes_and_matches_the_exposition():
    obs = observer("intake")
    obs(incoming(), [dead_letter(incoming(), Rejection(RejectReason.UNKNOWN_STATE, "e", "s"), "intake")], 0.02)
    taken = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    key, payload = encode_snapshot(obs.metrics, worker_identity(), taken)
    snapshot = decode(payload, Record.METRICS_SNAPSHOT)
    assert key == b"intake"
    assert snapshot["processor"] == "intake" and snapshot["taken_at"] == taken
    assert snapshot["worker"].endswith(f"-{__import__('os').getpid()}")
    assert snapshot["counters"] == scraped_counters(obs.metrics.exposition().decode())
    assert snapshot["counters"]['tracepipe_dead_letters_total{processor="intake",reason="UNKNOWN_STATE"}'] == 1
    assert snapshot["gauges"]['tracepipe_step_duration_seconds_sum{processor="intake"}'] == pytest.approx(0.02)
    assert not any(name.endswith("_created") or "_created{" in name for name in snapshot["gauges"])
    assert flatten(obs.metrics.registry) == (snapshot["counters"], snapshot["gauges"])


# The HTTP endpoint and the hook in build_app.

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_sensor_serves_metrics_and_tolerates_a_busy_port(caplog):
    metrics = ProcessorMetrics("intake")
    metrics.events_in.labels("intake").inc(3)
    port = free_port()

    async def run() -> tuple[str, str]:
        sensor, rival = MetricsServerSensor(metrics.registry, port), MetricsServerSensor(metrics.registry, port)
        await sensor.on_start()
        try:
            with caplog.at_level(logging.ERROR):
                await rival.on_start()  # port taken: logged, not raised
            body = await asyncio.to_thread(
                lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode())
        finally:
            await rival.on_stop()
            await sensor.on_stop()
        return body, caplog.text

    body, logged = asyncio.run(run())
    assert 'tracepipe_events_in_total{processor="intake"} 3.0' in body
    assert f"cannot serve /metrics on port {port}" in logged
    with socket.socket() as sock:  # stopped: the port can be bound again (as the server binds it: reuse-address)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))


def test_install_metrics_wires_the_server_and_the_snapshot_timer(settings_for_build):
    import faust

    app = faust.App("t-metrics-install", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=False)
    spec = processor("dedupe")
    observe = install_metrics(app, settings_for_build.with_changes(metrics_base_port=30000, snapshot_seconds=5), spec)
    servers = [s for s in app.sensors if isinstance(s, MetricsServerSensor)]
    assert [s.port for s in servers] == [30000 + [p.name for p in PROCESSORS].index("dedupe")]
    assert len(app._app_tasks) == 1  # the snapshot timer
    assert isinstance(observe, StepObserver) and observe.metrics.processor == "dedupe"

    quiet = faust.App("t-metrics-off", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=False)
    install_metrics(quiet, settings_for_build.with_changes(metrics_base_port=0, snapshot_seconds=0), spec)
    assert not [s for s in quiet.sensors if isinstance(s, MetricsServerSensor)] and not quiet._app_tasks


def test_build_app_calls_the_hook(monkeypatch, settings_for_build):
    from pipeline.worker import app as app_module

    seen = []

    def fake_install(app, settings, spec):
        seen.append(spec.name)
        return lambda *args: None

    monkeypatch.setattr(app_module, "install_metrics", fake_install)
    app_module.build_app(settings_for_build, "serial_linker")
    assert seen == ["serial_linker"]


@pytest.fixture
def settings_for_build():
    from pipeline.settings import Settings

    return Settings.from_env({})
