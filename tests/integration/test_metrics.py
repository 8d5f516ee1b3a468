"""Metrics of real workers on the real broker: scraped /metrics equal the scenario's ground truth exactly, the
exposition passes `promtool check metrics`, and the snapshots on metrics.snapshots agree with the scrape."""

from __future__ import annotations

import time
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from pipeline.producers.scenario import generate_scenario
from pipeline.rules.validate import RejectReason
from pipeline.topology import METRICS_SNAPSHOTS, PROCESSORS, processor
from tests.integration.harness import PipelineHarness
from tests.integration.scraping import counter_samples, free_base_port, promtool_problems, samples, scrape
from tests.integration.test_intake_dedupe import expected_counts

NAMES = ("intake", "dedupe", "serial_linker")
INDEX = {spec.name: index for index, spec in enumerate(PROCESSORS)}


def key(name: str, processor_name: str, **labels: str) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted({"processor": processor_name, **labels}.items()))
    return f"{name}{{{inner}}}"


@pytest.fixture(scope="module")
def scenario():
    return generate_scenario(days=2, seed=4711)


def wait_for_snapshots(harness: PipelineHarness, after: datetime,
                       timeout: float = 60.0) -> tuple[dict[str, dict], dict[str, set[str]]]:
    """The first snapshot of each processor taken after `after`, and every worker identity seen per processor."""
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, dict] = {}
        workers: dict[str, set[str]] = {}
        for record_key, snapshot in harness.read(METRICS_SNAPSHOTS.name):
            assert record_key == snapshot["processor"].encode()
            workers.setdefault(snapshot["processor"], set()).add(snapshot["worker"])
            if snapshot["taken_at"] > after and snapshot["processor"] not in found:
                found[snapshot["processor"]] = snapshot
        if set(found) >= set(NAMES) or time.monotonic() > deadline:
            return found, workers
        time.sleep(1.0)


@dataclass
class Run:
    """One run of the scenario through real workers, as the metrics saw it."""

    harness: PipelineHarness
    published: int
    texts: dict[str, str]  # processor -> /metrics text scraped after the drain
    snapshots: dict[str, dict]  # processor -> first snapshot taken after the scrape


def run_scenario(settings, scenario) -> Run | None:
    """Run the scenario in a fresh namespace; None if a worker was restarted meanwhile.

    Counters live in the worker process, so they are exact only while each worker runs once ("normal
    operation"). faust workers occasionally hang without crashing and the harness' stall watchdog restarts
    them: a restarted worker counts from 0 again and re-counts what it replays. Snapshots name their worker
    (host-pid), so such a run is recognised and not used.
    """
    base = free_base_port(len(PROCESSORS))
    env = {"TRACEPIPE_METRICS_PORT": str(base), "TRACEPIPE_SNAPSHOT_SECONDS": "1"}
    harness = PipelineHarness(settings, NAMES, extra_env=env)
    harness.start()
    try:
        published = harness.publish(scenario.events)
        harness.wait_drained()
        scraped_at = datetime.now(UTC)
        texts = {name: scrape(base + INDEX[name]) for name in NAMES}
        snapshots, workers = wait_for_snapshots(harness, scraped_at)
    finally:
        harness.stop()
    watchdog_restarts = getattr(getattr(harness, "watchdog", None), "restarts", None) or {}
    if any(len(ids) > 1 for ids in workers.values()) or any(watchdog_restarts.values()):
        warnings.warn(f"a worker was restarted during the run (counters reset): {workers}", stacklevel=2)
        return None
    return Run(harness, published, texts, snapshots)


def test_scraped_metrics_equal_ground_truth(stack, settings, scenario):
    run = run_scenario(settings, scenario) or run_scenario(settings, scenario)
    assert run is not None, "workers were restarted in two runs in a row: no run to compare counters with"
    harness, published, texts, snapshots = run.harness, run.published, run.texts, run.snapshots
    assert published == len(scenario.events)
    truth = expected_counts(scenario)
    got = {name: samples(text) for name, text in texts.items()}
    intake, dedupe, linker = got["intake"], got["dedupe"], got["serial_linker"]

    # Exactly the ground truth.
    assert intake[key("tracepipe_events_in_total", "intake")] == len(scenario.events)
    dead = {reason: intake[key("tracepipe_dead_letters_total", "intake", reason=str(reason))]
            for reason in RejectReason}
    assert Counter({reason: int(n) for reason, n in dead.items() if n}) == truth["dead_letters"]
    assert dedupe[key("tracepipe_traces_opened_total", "dedupe")] == truth["traces"]
    decisions = {d: dedupe[key("tracepipe_dedupe_decisions_total", "dedupe", decision=d)]
                 for d in ("OPEN_TRACE", "ADD_RECOVERY", "EXACT_DUPLICATE")}
    assert decisions == {"OPEN_TRACE": truth["traces"], "ADD_RECOVERY": truth["recoveries"],
                         "EXACT_DUPLICATE": truth["exact_duplicates"]}

    # Every record a worker counted as produced is on its topic, and every record it read was counted.
    on_topic = {}
    for name in NAMES:
        for spec in processor(name).writes:
            on_topic[spec.name] = len(harness.read(spec.name, decoded=False))
            assert got[name][key("tracepipe_events_out_total", name, topic=spec.name)] == on_topic[spec.name], spec.name
        assert got[name][key("tracepipe_observer_errors_total", name)] == 0
        assert got[name][key("tracepipe_step_duration_seconds_count", name)] == \
            got[name][key("tracepipe_events_in_total", name)]
        assert got[name][key("tracepipe_publish_to_process_seconds_count", name)] == \
            got[name][key("tracepipe_events_in_total", name)]
    # dedupe reads both lanes intake writes: routine and urgent.
    assert dedupe[key("tracepipe_events_in_total", "dedupe")] == \
        on_topic["seizures.enriched"] + on_topic["seizures.enriched-urgent"]
    assert on_topic["seizures.enriched-urgent"] > 0, "the scenario's URGENT seizures take the urgent lane"
    assert linker[key("tracepipe_events_in_total", "serial_linker")] == on_topic["traces.serial-index"]
    assert linker[key("tracepipe_possible_duplicates_total", "serial_linker")] == on_topic["traces.possible-duplicates"]
    assert len(dict(harness.read("traces.possible-duplicates", decoded=False))) == truth["possible_duplicates"]

    # A valid exposition, by Prometheus' own linter.
    for name, text in texts.items():
        assert promtool_problems(text) == "", name

    # Snapshots: one per processor after the scrape, decoded, agreeing with it counter for counter.
    assert set(snapshots) == set(NAMES)
    for name, snapshot in snapshots.items():
        assert snapshot["worker"].rsplit("-", 1)[1].isdigit()
        assert snapshot["counters"] == counter_samples(texts[name]), name
        gauges = {k: v for k, v in samples(texts[name]).items() if k in snapshot["gauges"]}
        assert gauges == pytest.approx(snapshot["gauges"]), name
