"""Smoke test of `tracepipe bench pipeline`: the harness runs end to end on a tiny input against the real
local stack and writes its results with the expected keys. No timing is asserted: figures only have to be
positive (the CPU is shared, and the full run's figures are the ones in benchmarks/results/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(240)

TRACEPIPE = str(Path(sys.executable).with_name("tracepipe"))


def _positive(spread: dict) -> bool:
    return spread["runs"] >= 1 and spread["median"] > 0 and 0 < spread["low"] <= spread["median"] <= spread["high"]


def test_tiny_pipeline_bench_writes_its_results(stack, tmp_path):
    out = tmp_path / "results"
    result = subprocess.run(
        [TRACEPIPE, "bench", "pipeline", "--parts", "backfill,ceiling,memory", "--runs", "1", "--days", "1",
         "--per-day", "100", "--background-firearms", "500", "--idle-settle-seconds", "5",
         "--out", str(out)],
        capture_output=True, text=True, timeout=200, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    markdown = (out / "bench-pipeline.md").read_text()
    for heading in ("## Backfill", "## Ceiling", "## Memory"):
        assert heading in markdown
    document = json.loads((out / "bench-pipeline.json").read_text())
    assert document["bench"] == "pipeline"
    assert document["machine"]["cores"] >= 1 and document["machine"]["memory_gib"] > 0
    assert {"python", "faust-streaming", "aiokafka", "kafka", "postgresql"} <= set(document["versions"])
    assert document["parameters"]["parts"] == "backfill,ceiling,memory"
    assert set(document["parts"]) == {"backfill", "ceiling", "memory"}

    backfill = document["parts"]["backfill"]
    assert backfill["events"] > 50 and backfill["traces"] > 0 and backfill["records_consumed"] >= backfill["events"]
    assert _positive(backfill["events_per_s"]) and _positive(backfill["seconds"])
    assert set(backfill["processors"]) == {"intake", "dedupe", "serial_linker", "manufacturer", "wholesaler", "dealer",
                                           "dealer_oob", "purchaser", "express", "sink"}
    for name in ("intake", "dedupe", "sink"):
        assert backfill["processors"][name]["records"]["median"] > 0
        assert _positive(backfill["processors"][name]["cpu_s"])

    ceiling = document["parts"]["ceiling"]
    assert set(ceiling["ceilings"]) == {"faust", "aiokafka", "kafka_producer_perf", "kafka_consumer_perf"}
    assert ceiling["ours_events_per_s"] > 0
    for figures in ceiling["ceilings"].values():
        assert _positive(figures["events_per_s"]) and figures["ours_as_share"] > 0

    memory = document["parts"]["memory"]
    assert set(memory["workers_mib"]) == set(backfill["processors"])
    assert all(_positive(spread) for spread in memory["workers_mib"].values())
    assert _positive(memory["total_mib"])
    # Idle: every worker was alive and resident when read (a worker that had died would fail the part).
    assert set(memory["idle_workers_mib"]) == set(backfill["processors"]) and memory["idle_settle_s"] == 5
    assert all(_positive(spread) for spread in memory["idle_workers_mib"].values())
    assert _positive(memory["idle_total_mib"])
    # Shared pages are counted once in PSS, ten times in the RSS sum.
    assert 0 < memory["idle_total_pss_mib"]["median"] < memory["idle_total_mib"]["median"]
