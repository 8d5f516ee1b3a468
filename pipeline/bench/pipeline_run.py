"""`tracepipe bench pipeline`: the pipeline's throughput, its ceiling, latency, memory, restart and scaling on
the local stack, written to benchmarks/results/bench-pipeline.md and .json.

Each part is selectable (`--parts`) so a run fits the time at hand; the defaults (backfill, ceiling, latency,
urgent, memory) take about a quarter of an hour on a 2-core machine, most of it spent by the pipeline itself
on the 30,000-event backfill and the 20,000-event urgent backlog. Cheap parts (the ceiling, restart) repeat
`runs` times; the parts that push tens of thousands of events through the whole pipeline repeat
`pipeline_runs` times (1 by default). Every run has its own topic namespace and database, removed after it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from pipeline.bench.backfill import BackfillRun, run_backfill
from pipeline.bench.ceiling import ChainRun, run_chain, run_kafka_perf
from pipeline.bench.idle_memory import IdleRun, run_idle
from pipeline.bench.kafka_io import KeyValue, TopicsDeleted, encoded
from pipeline.bench.latency import LevelRun, run_level
from pipeline.bench.live import live_pipeline
from pipeline.bench.machine import machine, versions
from pipeline.bench.passthrough import CLIENTS
from pipeline.bench.perf_tools import PerfRun
from pipeline.bench.pipeline_report import (
    Section,
    backfill_section,
    ceiling_section,
    failed_section,
    latency_section,
    memory_section,
    restart_section,
    scaling_section,
    urgent_section,
    write_pipeline_results,
)
from pipeline.bench.restart import run_restarts
from pipeline.bench.scaling import run_scaling
from pipeline.bench.urgent import UrgentRun, run_urgent
from pipeline.bench.workload import live_workload, scenario_for
from pipeline.errors import ConfigError, StackError
from pipeline.producers.scenario import FirearmTruth, generate_scenario
from pipeline.settings import Settings
from pipeline.stack import local

PARTS = ("backfill", "ceiling", "latency", "urgent", "memory", "restart", "scaling")
DEFAULT_PARTS = ("backfill", "ceiling", "latency", "urgent", "memory")
ATTEMPTS = 3  # a run whose topics a test session deleted is void and runs again
T = TypeVar("T")


@dataclass(frozen=True)
class PipelineBenchOptions:
    """What to measure and how much of it."""

    parts: tuple[str, ...] = DEFAULT_PARTS
    runs: int = 3  # cheap parts: ceiling, restart
    pipeline_runs: int = 1  # backfill (and memory), latency, urgent, scaling
    days: int = 30  # backfill scenario: days x per_day events (about 31,000 by default)
    per_day: float = 1000.0
    seed: int = 2024
    background_firearms: int = 20_000  # commerce records of guns never seized, as the demo seeds
    rates: tuple[int, ...] = (100, 200, 500)  # latency: offered events/s
    level_s: float = 10.0  # latency: seconds per rate
    backlogs: tuple[int, ...] = (20_000,)  # urgent: routine backlog sizes (add 100000 for the long one)
    probe_rate: float = 2.0  # urgent probes per second
    idle_s: float = 10.0  # urgent baseline: seconds of probes with no backlog
    restart_firearms: int = 5_000
    idle_settle_s: float = 45.0  # memory: seconds from workers start to reading their idle resident sets
    scale_events: int = 10_000
    scale_processor: str | None = None  # None: the processor that used the most CPU

    def __post_init__(self) -> None:
        unknown = [part for part in self.parts if part not in PARTS]
        if unknown or not self.parts:
            raise ConfigError(f"unknown part(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(PARTS)}")
        if self.runs < 1 or self.pipeline_runs < 1:
            raise ConfigError("runs must be at least 1")


def parse_parts(text: str | None) -> tuple[str, ...]:
    """'backfill,ceiling' -> ('backfill', 'ceiling'); None or 'default' -> the defaults; 'all' -> every part."""
    if text in (None, "", "default"):
        return DEFAULT_PARTS
    if text == "all":
        return PARTS
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass
class _Bench:
    """One invocation: its options, the backfill's events, the runs made so far, the sections and timings."""

    settings: Settings
    options: PipelineBenchOptions
    console: Console
    records: list[KeyValue] = field(default_factory=list)
    firearms: list[FirearmTruth] = field(default_factory=list)
    backfills: list[BackfillRun] = field(default_factory=list)
    idles: list[IdleRun] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    retries: int = 0

    def say(self, text: str) -> None:
        self.console.print(f"[bold]bench pipeline[/bold] {text}")

    def retrying(self, what: str, measure: Callable[[], T]) -> T:
        """One run of a measurement, run again (up to twice) when its topics were deleted under it."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return measure()
            except TopicsDeleted as exc:
                if attempt == ATTEMPTS:
                    raise
                self.say(f"[yellow]{what}: {exc}; running it again[/yellow]")
                self.retries += 1
        raise AssertionError("unreachable")

    def part(self, key: str, work: Callable[[_Bench], list[Section]]) -> None:
        """Run one part, timed; a part that fails is recorded as failed and the others still run."""
        started = time.monotonic()
        try:
            self.sections += work(self)
        except (StackError, ConfigError) as exc:
            self.say(f"[red]{key} failed:[/red] {exc}")
            self.sections.append(failed_section(key, str(exc)))
        finally:
            self.seconds[key] = time.monotonic() - started


def run_pipeline_bench(settings: Settings, options: PipelineBenchOptions, out: Path, console: Console) -> Path:
    """Run the selected parts in flow order and write the results; returns the Markdown file's path."""
    began = time.monotonic()
    local.up(settings)
    bench = _Bench(settings, options, console)
    scenario = generate_scenario(days=options.days, seed=options.seed, events_per_day=options.per_day)
    bench.records, bench.firearms = encoded(scenario.events), scenario.firearms
    wanted = set(options.parts)
    if wanted & {"backfill", "memory"}:
        bench.part("backfill", _backfill)
    if "ceiling" in wanted:
        bench.part("ceiling", _ceiling)
    if wanted & {"latency", "urgent"}:
        bench.part("+".join(sorted(wanted & {"latency", "urgent"})), _live_parts)
    if "memory" in wanted:
        bench.part("memory", _memory)
    if "restart" in wanted:
        bench.part("restart", _restart)
    if "scaling" in wanted:
        bench.part("scaling", _scaling)
    bench.seconds["total"] = time.monotonic() - began
    parameters = _parameters(options) | {"runs_retried_after_topics_deleted": bench.retries,
                                         "table_store": settings.table_store}
    path = write_pipeline_results(out, bench.sections, machine(), versions(settings), parameters, bench.seconds)
    bench.say(f"results in {path} and {path.with_suffix('.json')}")
    return path


def _backfill(bench: _Bench) -> list[Section]:
    """The backfill runs (one just for memory when only memory is asked for)."""
    measured = "backfill" in bench.options.parts
    count = bench.options.pipeline_runs if measured else 1
    for run in range(count):
        bench.say(f"backfill {run + 1}/{count}: {len(bench.records):,} events published ahead, then every worker "
                  "started")
        bench.backfills.append(bench.retrying("backfill", lambda: run_backfill(
            bench.settings, bench.records, bench.firearms, bench.options.seed,
            background_firearms=bench.options.background_firearms)))
        bench.say(f"  {bench.backfills[-1].events_per_s:,.0f} events/s ({bench.backfills[-1].seconds:.0f} s)")
    return [backfill_section(bench.backfills, _parameters(bench.options))] if measured else []


def _memory(bench: _Bench) -> list[Section]:
    """Idle resident sets (every worker started, nothing to do), beside the backfills' peaks."""
    if not bench.backfills:  # the backfill part failed: no peaks to set the idle sets beside
        return []
    for run in range(bench.options.pipeline_runs):
        bench.say(f"memory {run + 1}/{bench.options.pipeline_runs}: every worker started, idle for "
                  f"{bench.options.idle_settle_s:g} s")
        bench.idles.append(bench.retrying("idle memory", lambda: run_idle(bench.settings,
                                                                            bench.options.idle_settle_s)))
        bench.say(f"  {bench.idles[-1].total_mib:,.0f} MiB resident in all")
    return [memory_section(bench.backfills, bench.idles)]


def _ceiling(bench: _Bench) -> list[Section]:
    """Both pass-through chains and Kafka's perf tools, `runs` times, on the backfill's events."""
    runs, records = bench.options.runs, bench.records
    chains: dict[str, list[ChainRun]] = {client: [] for client in CLIENTS}
    perf: list[PerfRun] = []
    for run in range(runs):
        for client in CLIENTS:
            bench.say(f"ceiling {run + 1}/{runs}: {client} pass-through chain, {len(records):,} events")
            chains[client].append(bench.retrying(client, partial(run_chain, bench.settings, client, records)))
        bench.say(f"ceiling {run + 1}/{runs}: Kafka's producer and consumer perf tools")
        perf.append(bench.retrying("kafka perf", lambda: run_kafka_perf(bench.settings, records)))
    measured = "backfill" in bench.options.parts and bench.backfills
    ours = statistics.median(run.events_per_s for run in bench.backfills) if measured else None
    return [ceiling_section(chains, perf, ours, len(records))]


def _restart(bench: _Bench) -> list[Section]:
    options = bench.options
    bench.say(f"restart: dedupe with about {options.restart_firearms:,} firearms in its table, {options.runs} "
              "restarts")
    return [restart_section(bench.retrying("restart", lambda: run_restarts(
        bench.settings, options.restart_firearms, options.runs, options.seed)))]


def _scaling(bench: _Bench) -> list[Section]:
    options = bench.options
    small = scenario_for(options.scale_events, options.seed)
    records = encoded(small.events[:options.scale_events])
    runs = []
    for run in range(options.pipeline_runs):
        bench.say(f"scaling {run + 1}/{options.pipeline_runs}: backfills of {len(records):,} events, 1 then 2 "
                  "processes of the bounding processor")
        runs.append(bench.retrying("scaling", lambda: run_scaling(
            bench.settings, records, small.firearms, options.seed, options.background_firearms,
            options.scale_processor)))
    return [scaling_section(runs)]


def _live_parts(bench: _Bench) -> list[Section]:
    """Latency levels, then urgent probes under each backlog, in one running pipeline per run."""
    options, say = bench.options, bench.say
    rates = options.rates if "latency" in options.parts else ()
    backlogs = options.backlogs if "urgent" in options.parts else ()
    work = live_workload(options.seed + 1, rates, options.level_s, backlogs, options.probe_rate, options.idle_s)
    levels: list[list[LevelRun]] = []
    urgent: list[list[UrgentRun]] = []
    restarts = 0

    def one_run() -> tuple[list[LevelRun], list[UrgentRun], int]:
        mine: list[LevelRun] = []
        probed: list[UrgentRun] = []
        with live_pipeline(bench.settings, work.scenario.firearms, options.seed + 1, options.background_firearms,
                           work.warmup) as live:
            for rate, records in zip(rates, work.levels, strict=True):
                say(f"  latency: {rate}/s for {options.level_s:g} s")
                mine.append(run_level(live, records, rate, options.level_s, _drain_timeout(len(records))))
                say(f"    p50 {mine[-1].completed_ms['p50']:,.0f} ms, p99 {mine[-1].completed_ms['p99']:,.0f} ms")
            if backlogs:
                say(f"  urgent: {options.probe_rate:g} probes/s for {options.idle_s:g} s with no backlog")
                probed.append(run_urgent(live, [], work.idle_probes, options.probe_rate, idle_s=options.idle_s))
                for records, probes in work.backlogs:
                    say(f"  urgent: probes while a routine backlog of {len(records):,} drains")
                    probed.append(run_urgent(live, records, probes, options.probe_rate,
                                             timeout_s=_drain_timeout(len(records))))
                    say(f"    p50 {probed[-1].completed_ms['p50']:,.0f} ms, "
                        f"in the lane p50 {probed[-1].in_lane_ms['p50']:,.0f} ms")
            return mine, probed, live.restarts()

    for run in range(options.pipeline_runs):
        say(f"live pipeline {run + 1}/{options.pipeline_runs}: seeding, starting every worker, warming up")
        mine, probed, restarted = bench.retrying("live pipeline", one_run)
        levels.append(mine)
        urgent.append(probed)
        restarts += restarted
    sections = []
    if rates:
        sections.append(latency_section(levels))
    if backlogs:
        sections.append(urgent_section(urgent, options.probe_rate))
    for section in sections:
        section.figures["watchdog_restarts"] = restarts
        section.notes.append(f"Stall-watchdog restarts in the running pipeline: {restarts}.")
    return sections


def _drain_timeout(events: int) -> float:
    """Generous: a pipeline ten times slower than this machine's still finishes."""
    return max(300.0, events / 10)


def _parameters(options: PipelineBenchOptions) -> dict[str, Any]:
    found = asdict(options)
    found["parts"] = ",".join(options.parts)
    for name in ("rates", "backlogs"):
        found[name] = ",".join(str(v) for v in found[name])
    return found
