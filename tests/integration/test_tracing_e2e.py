"""End to end on the real stack: seizures in, traces out (Kafka and PostgreSQL), matching the ground truth."""

from __future__ import annotations

from collections import Counter

import psycopg2
import pytest

from pipeline.contract.codec import decode
from pipeline.contract.registry import Record
from pipeline.errors import CodecError
from pipeline.normalize import model_family, normalize_model
from pipeline.producers.scenario import generate_scenario
from pipeline.producers.scenario.truth import InvalidReason, TraceFate, TruthKind
from pipeline.topology import SEIZURES_DEAD_LETTER, TRACES_COMPLETED
from pipeline.vocab import load_vocabulary
from pipeline.vocab.codes import SerialScope
from pipeline.worker.supervisor import parse_processors
from tests.integration.harness import PipelineHarness, seeded_records_database

SEED = 4242
FATE_REASON = {
    TraceFate.TRACEABLE: "NONE",
    TraceFate.DEALER_OUT_OF_BUSINESS_FOUND: "NONE",
    TraceFate.PRE_1968: "PRE_1968",
    TraceFate.FOREIGN_NO_US_IMPORT: "FOREIGN_NO_US_IMPORT_RECORD",
    TraceFate.NO_MANUFACTURER_RECORD: "NO_MANUFACTURER_RECORD",
    TraceFate.DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND: "DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND",
    TraceFate.REPORTED_STOLEN: "FIREARM_REPORTED_STOLEN",
    TraceFate.SERIAL_OBLITERATED: "SERIAL_OBLITERATED",
    TraceFate.INSUFFICIENT_DATA: "INSUFFICIENT_DATA",
}


def reported_family_differs(gun, event) -> str | None:
    """For makers that reuse serials across models, the model family the agency's text gives decides which
    record is asked for: None when it matches the gun's, else the reason the trace must close with."""
    if load_vocabulary().maker(gun.maker).serial_scope is not SerialScope.MODEL_FAMILY:
        return None
    reported = model_family(gun.maker, normalize_model(event["firearm"]["model"], gun.maker))
    if reported is None:
        return "INSUFFICIENT_DATA"  # no model: the serial alone does not name one gun
    return None if reported == model_family(gun.maker, gun.model) else "NO_MANUFACTURER_RECORD"


def expected_reasons(scenario) -> Counter:
    """How every trace must end, from the ground truth: the gun's fate; a sighting whose serial was mistyped
    opens its own trace, which finds no manufacturer record; a gun whose maker reuses serials across models
    needs the model to be identified."""
    guns = {gun.firearm_id: gun for gun in scenario.firearms}
    reasons = Counter()
    for row in scenario.truth:
        if row.kind not in (TruthKind.NEW_FIREARM, TruthKind.SERIAL_TYPO_SIGHTING):
            continue
        gun, event = guns[row.firearm_id], scenario.events[row.index]
        fate_reason = FATE_REASON[gun.fate]
        if fate_reason in ("SERIAL_OBLITERATED", "INSUFFICIENT_DATA"):
            reasons[fate_reason] += 1
            continue
        family_reason = reported_family_differs(gun, event)
        if family_reason == "INSUFFICIENT_DATA":
            reasons[family_reason] += 1
        elif row.kind is TruthKind.SERIAL_TYPO_SIGHTING or family_reason:
            reasons["NO_MANUFACTURER_RECORD"] += 1
        else:
            reasons[fate_reason] += 1
    return reasons


@pytest.fixture(scope="module")
def traced(stack, settings):
    """Run the whole pipeline once over a scenario, with records seeded from the same catalogue."""
    scenario = generate_scenario(days=5, seed=SEED)
    private = seeded_records_database(settings, scenario.firearms, SEED)
    harness = PipelineHarness(private, parse_processors("all"), extra_env={"TRACEPIPE_PG_DB": private.pg_db})
    harness.start()
    try:
        harness.publish(scenario.events)
        harness.wait_drained(timeout=300)
    finally:
        harness.stop()
    return scenario, harness


def test_outcomes_by_reason_equal_the_truth(traced):
    scenario, harness = traced
    results = dict(harness.read(TRACES_COMPLETED.name))
    observed = Counter(result["reason"] for result in results.values())
    assert observed == expected_reasons(scenario)
    assert all((r["outcome"] == "COMPLETED") == (r["reason"] == "NONE") for r in results.values())


def test_postgres_holds_every_trace_and_recovery(traced):
    scenario, harness = traced
    results = dict(harness.read(TRACES_COMPLETED.name))
    kinds = Counter(row.kind for row in scenario.truth)
    with psycopg2.connect(harness.settings.pg_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM traces")
        assert cur.fetchone()[0] == len(results)
        cur.execute("SELECT count(*) FROM recoveries")
        assert cur.fetchone()[0] == len(results) + kinds[TruthKind.REPEAT_SIGHTING]
        cur.execute("SELECT count(*) FROM possible_duplicates")
        assert cur.fetchone()[0] == kinds[TruthKind.SERIAL_TYPO_SIGHTING]


def test_time_to_crime_and_chain_of_custody_match_the_records(traced):
    _scenario, harness = traced
    with psycopg2.connect(harness.settings.pg_dsn()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT t.trace_id, t.time_to_crime_days, t.recovery_date - s.sale_date, t.dealer_license,"
            "       s.dealer_license, t.source_state, d.us_state, t.hops, w.wholesaler_license"
            "  FROM traces t"
            "  JOIN (SELECT firearm_key, sale_date, dealer_license FROM retail_sales"
            "        UNION ALL SELECT firearm_key, sale_date, dealer_license FROM oob_records) s"
            "    ON s.firearm_key = t.firearm_key"
            "  JOIN licensees d ON d.license = s.dealer_license"
            "  JOIN wholesale_shipments w ON w.firearm_key = t.firearm_key"
            " WHERE t.outcome = 'COMPLETED' ORDER BY t.trace_id LIMIT 40"
        )
        rows = cur.fetchall()
    assert len(rows) >= 20
    for _trace, ttc, expected_ttc, dealer, sale_dealer, source_state, dealer_state, hops, wholesaler in rows:
        assert ttc == expected_ttc and dealer == sale_dealer and source_state == dealer_state
        chain = [(hop["party_type"], hop["party_id"]) for hop in hops]
        assert ("WHOLESALER", wholesaler) in chain and ("DEALER", dealer) in chain
        assert [hop["party_type"] for hop in hops][-1] == "PURCHASER"


def attributable_dead_letters(harness) -> dict[tuple[str, str], tuple[str, str, str]]:
    """The dead letters on the topic whose original bytes are a SeizureEvent naming its agency and event:
    {(agency_id, event_id): (reason_code, message_en, message_es)}."""
    found = {}
    for _key, letter in harness.read(SEIZURES_DEAD_LETTER.name):
        try:
            event = decode(letter["original_value"], Record.SEIZURE_EVENT)
        except CodecError:
            continue
        if event["agency_id"].strip() and event["event_id"].strip():
            found[(event["agency_id"], event["event_id"])] = (
                letter["reason_code"], letter["message_en"], letter["message_es"])
    return found


def test_postgres_says_what_became_of_every_seizure(traced):
    """What the results API reads: each sighting's trace, each trace's stage, each rejected or re-sent event.
    Runs before the replay test, which re-sends every event."""
    scenario, harness = traced
    results = {r["trace_id"]: r for _k, r in harness.read(TRACES_COMPLETED.name)}
    with psycopg2.connect(harness.settings.pg_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT agency_id, event_id, trace_id FROM recoveries")
        sighting_trace = {(a, e): t for a, e, t in cur.fetchall()}
        cur.execute("SELECT trace_id FROM traces")
        stored_traces = {t for (t,) in cur.fetchall()}
        cur.execute("SELECT trace_id, stage FROM trace_progress")
        stage_of = dict(cur.fetchall())
        cur.execute("SELECT agency_id, event_id, outcome, reason_code, message_en, message_es FROM seizure_outcomes")
        outcomes = {(a, e): (o, (r, en, es)) for a, e, o, r, en, es in cur.fetchall()}

    def key(row):
        return (row.agency_id, row.event_id)

    def original(row):
        while row.kind is TruthKind.EXACT_RESEND:
            row = scenario.truth[row.duplicate_of]
        return row

    def first_sighting(row):
        """The sighting that opens the trace of `row` in publish order (a mistyped serial opens its own)."""
        while row.kind is TruthKind.REPEAT_SIGHTING:
            row = scenario.truth[row.duplicate_of]
        return row

    # Every sighting points at its gun's trace: one trace per gun (per mistyped serial), opened by one of its
    # sightings (whichever dedupe saw first: raw partitions interleave, so not always the first published).
    traced_kinds = (TruthKind.NEW_FIREARM, TruthKind.SERIAL_TYPO_SIGHTING, TruthKind.REPEAT_SIGHTING)
    sightings = [row for row in scenario.truth if row.kind in traced_kinds]
    assert all(sighting_trace.get(key(row)) in stored_traces for row in sightings)
    chains: dict[int, set] = {}
    for row in sightings:
        chains.setdefault(first_sighting(row).index, set()).add(key(row))
    trace_of_chain = {}
    for root, events in chains.items():
        [trace_of_chain[root]] = {sighting_trace[event] for event in events}
        opening = results[trace_of_chain[root]]["recoveries"][0]
        assert (opening["agency_id"], opening["event_id"]) in events
    assert len(set(trace_of_chain.values())) == len(chains) == len(results)
    # Every trace has finished, and says so.
    assert stage_of == dict.fromkeys(results, "completed")
    # Rejected events that name themselves carry their dead letter's reason, in both languages.
    letters = attributable_dead_letters(harness)
    invalid = {key(row): str(row.invalid_reason) for row in scenario.truth
               if row.kind is TruthKind.INVALID and row.event_id is not None
               and row.invalid_reason is not InvalidReason.GARBAGE}
    assert invalid and {k: reason for k, (reason, _en, _es) in letters.items()} == invalid
    assert {k: texts for k, (kind, texts) in outcomes.items() if kind == "DEAD_LETTER"} == letters
    # Exact re-sends of accepted events are recorded as such (and stay sightings).
    resent = {key(row) for row in scenario.truth
              if row.kind is TruthKind.EXACT_RESEND and original(row).kind is not TruthKind.INVALID}
    assert resent and {k for k, (kind, _texts) in outcomes.items() if kind == "EXACT_DUPLICATE"} == resent
    assert resent <= set(sighting_trace)


def test_replaying_the_scenario_adds_nothing(traced):
    scenario, harness = traced

    def counts():
        with psycopg2.connect(harness.settings.pg_dsn()) as conn, conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM traces), (SELECT count(*) FROM recoveries),"
                        " (SELECT count(*) FROM possible_duplicates), (SELECT md5(string_agg(trace_id || reason,"
                        " ',' ORDER BY trace_id)) FROM traces), (SELECT md5(string_agg(trace_id || stage,"
                        " ',' ORDER BY trace_id)) FROM trace_progress),"
                        " (SELECT count(*) FROM seizure_outcomes WHERE outcome = 'DEAD_LETTER')")
            return cur.fetchone()

    before = counts()
    harness.start()
    try:
        harness.publish(scenario.events)
        harness.wait_drained(timeout=300)
    finally:
        harness.stop()
    assert counts() == before



def test_urgent_traces_take_the_express_lane(traced):
    scenario, harness = traced
    urgent = {(e["agency_id"], e["event_id"]) for e in scenario.events
              if isinstance(e, dict) and e.get("priority") == "URGENT"}
    results = dict(harness.read(TRACES_COMPLETED.name))
    opening = {key: (r["recoveries"][0]["agency_id"], r["recoveries"][0]["event_id"]) for key, r in results.items()}
    express = [r for key, r in results.items() if opening[key] in urgent]
    assert express, "the scenario should open some urgent traces"
    for result in express:
        stages = [timing["stage"] for timing in result["stage_timings"]]
        assert stages[0] == "manufacturer"
        # one pass: every stage timing of an urgent trace shares the express worker's clock reading
        assert len({timing["left_at"] for timing in result["stage_timings"]}) == 1
