"""The results of `tracepipe bench pipeline`: one Markdown file of tables (what the notes quote) and the same
figures as JSON, under benchmarks/results/, with when, where, with which versions and parameters.

Each section turns a part's runs into median-and-spread figures (`Spread`): a table row shows the median of
the runs with the lowest and highest run in brackets; the JSON keeps every run as well.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.bench.backfill import BackfillRun
from pipeline.bench.ceiling import ChainRun
from pipeline.bench.idle_memory import IdleRun
from pipeline.bench.latency import LevelRun
from pipeline.bench.perf_tools import PerfRun
from pipeline.bench.report import markdown_table
from pipeline.bench.restart import RestartRun
from pipeline.bench.scaling import ScalingRun
from pipeline.bench.stats import Spread
from pipeline.bench.urgent import UrgentRun

TITLES = {"backfill": "Backfill", "ceiling": "Ceiling", "latency": "Latency at fixed offered rates",
          "urgent": "Urgent latency under a routine backlog", "memory": "Memory", "restart": "Restart of dedupe",
          "scaling": "Scaling the bounding processor"}


@dataclass
class Section:
    """One part's Markdown (a heading, how it was measured, a table) and its JSON figures under `key`."""

    key: str
    title: str
    how: str
    rows: list[dict[str, Any]]
    figures: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """The section as Markdown."""
        parts = [f"## {self.title}", self.how, markdown_table(self.rows)] if self.rows else [f"## {self.title}",
                                                                                             self.how]
        return "\n\n".join(parts + self.notes)


def _spread(values: Sequence[float]) -> Spread:
    return Spread.of(values)


def backfill_section(runs: Sequence[BackfillRun], parameters: dict[str, Any]) -> Section:
    """Overall events/s and one row per processor."""
    rate = _spread([run.events_per_s for run in runs])
    seconds = _spread([run.seconds for run in runs])
    rows, per_processor = [], {}
    for index, first in enumerate(runs[0].processors):
        mine = [run.processors[index] for run in runs]
        figures = {
            "records": _spread([f.records for f in mine]),
            "done_s": _spread([f.done_s for f in mine]),
            "records_per_s": _spread([f.records / f.done_s if f.done_s else 0.0 for f in mine]),
            "events_per_s": _spread([run.events / f.done_s if f.done_s else 0.0 for run, f in zip(runs, mine,
                                                                                                 strict=True)]),
            "cpu_s": _spread([f.cpu_s for f in mine]),
            "records_per_cpu_s": _spread([f.records / f.cpu_s if f.cpu_s else 0.0 for f in mine]),
        }
        per_processor[first.name] = {name: spread.as_dict() for name, spread in figures.items()}
        rows.append({"processor": first.name, "records in": figures["records"].text(),
                     "done at s": figures["done_s"].text(1), "records/s": figures["records_per_s"].text(),
                     "events/s": figures["events_per_s"].text(), "CPU s": figures["cpu_s"].text(1),
                     "records per CPU s": figures["records_per_cpu_s"].text()})
    rows.append({"processor": "**whole pipeline**", "records in": f"{runs[0].records_consumed:,}",
                 "done at s": seconds.text(1), "records/s": _spread(
                     [run.records_consumed / run.seconds for run in runs]).text(),
                 "events/s": f"**{rate.text()}**", "CPU s": _spread(
                     [sum(f.cpu_s for f in run.processors) for run in runs]).text(1),
                 "records per CPU s": ""})
    how = (f"{runs[0].events:,} events ({parameters['days']} days × {parameters['per_day']:g} a day, seed "
           f"{parameters['seed']}), their commerce records seeded (plus {parameters['background_firearms']:,} "
           "background firearms), every event published ahead, then the workers started (one process per "
           "processor, under the stall watchdog). Clock: from workers start to the last completed trace stored "
           "in PostgreSQL. Per processor: the records its group consumed (all its inputs), when its committed "
           "offsets last moved (commits come every ~3 s), records/s and events/s up to then, and its CPU "
           "seconds. The whole-pipeline row's time is to the last stored trace (the serial linker and the sink "
           f"may commit a little later). {len(runs)} run(s); traces stored: {runs[0].traces:,}; watchdog restarts: "
           f"{sum(run.watchdog_restarts for run in runs)}.")
    summary: dict[str, Any] = {
        "events": runs[0].events, "traces": runs[0].traces, "records_consumed": runs[0].records_consumed,
        "events_per_s": rate.as_dict(), "seconds": seconds.as_dict(), "processors": per_processor,
        "runs": [run.as_dict() for run in runs]}
    return Section("backfill", TITLES["backfill"], how, rows, summary)


def ceiling_section(chains: dict[str, list[ChainRun]], perf: Sequence[PerfRun], ours: float | None,
                    events: int) -> Section:
    """The pass-through chains and Kafka's perf tools, with the backfill's events/s as a share of each."""
    ceilings: dict[str, tuple[str, Spread]] = {
        client: (f"{client} pass-through (7 hops)", _spread([r.events_per_s for r in runs]))
        for client, runs in chains.items()}
    if perf:
        ceilings["kafka_producer_perf"] = ("Kafka ProducerPerformance (1 topic)",
                                           _spread([p.producer_per_s for p in perf]))
        ceilings["kafka_consumer_perf"] = ("Kafka ConsumerPerformance (1 topic, fetch rate)",
                                           _spread([p.consumer_per_s for p in perf]))
    rows: list[dict[str, Any]] = []
    figures: dict[str, Any] = {"ours_events_per_s": None if ours is None else round(ours, 3), "ceilings": {}}
    if ours is not None:
        rows.append({"what": "tracepipe backfill (the pipeline)", "events/s": f"{ours:,.0f}", "ours as share": "1"})
    for key, (label, spread) in ceilings.items():
        share = None if ours is None else ours / spread.median
        rows.append({"what": label, "events/s": spread.text(),
                     "ours as share": "" if share is None else f"{share:.1%}"})
        figures["ceilings"][key] = {"label": label, "events_per_s": spread.as_dict(),
                                    "ours_as_share": None if share is None else round(share, 4)}
    how = (f"The same {events:,} raw events, published ahead, through pass-through processes with the pipeline's "
           "longest path (intake, dedupe, manufacturer, wholesaler, dealer, purchaser, sink: seven consumers, "
           "one process each, each producing its input to the next topic), on the same broker and client stack: "
           "a faust app configured like the workers, and a plain aiokafka getmany + send loop; clock from the "
           "processes' start to the last record on the last topic. Kafka's own perf tools produce then consume "
           "as many records of the events' median size on one topic. Ours as share: the backfill's events/s "
           "divided by the ceiling's median.")
    restarts = {client: sum(run.restarts for run in runs) for client, runs in chains.items()}
    figures["hop_restarts"] = restarts
    figures["runs"] = {client: [vars(run) for run in runs] for client, runs in chains.items()}
    figures["runs"]["kafka_perf"] = [vars(p) for p in perf]
    notes = ["Stalled hops restarted (one that owed records and committed nothing for 30 s, as the pipeline's "
             "watchdog does): " + ", ".join(f"{client} {count}" for client, count in restarts.items()) + "."]
    return Section("ceiling", TITLES["ceiling"], how, rows, figures, notes)


def latency_section(runs: Sequence[Sequence[LevelRun]]) -> Section:
    """One row per offered rate: publish-to-completed quantiles (median of runs)."""
    rows, levels = [], []
    for index, first in enumerate(runs[0]):
        mine = [run[index] for run in runs]
        done = {q: _spread([level.completed_ms[q] for level in mine]) for q in ("p50", "p95", "p99", "max")}
        stored = _spread([level.stored_ms["p99"] for level in mine])
        achieved = _spread([level.paced.achieved_per_s for level in mine])
        rows.append({"offered/s": first.rate, "for s": f"{first.seconds:g}", "published": first.paced.sent,
                     "achieved/s": achieved.text(), "traces": first.traces, "p50 ms": done["p50"].text(),
                     "p95 ms": done["p95"].text(), "p99 ms": done["p99"].text(), "max ms": done["max"].text(),
                     "p99 to PostgreSQL ms": stored.text()})
        levels.append({"rate": first.rate, "seconds": first.seconds, "published": first.paced.sent,
                       "traces": first.traces, "achieved_per_s": achieved.as_dict(1),
                       "publish_to_completed_ms": {q: s.as_dict(1) for q, s in done.items()},
                       "publish_to_stored_p99_ms": stored.as_dict(1)})
    how = ("A running, warmed-up, drained pipeline is sent events at a fixed rate for a fixed time; each level "
           "starts drained. Latency per trace: from the raw record's Kafka timestamp (the producer's CreateTime, "
           "which intake copies into the trace as opened_at) to the closing stage's completed_at (written with "
           "the TraceResult to traces.completed), and to the sink's stored_at in PostgreSQL for the last column. "
           "Above the pipeline's capacity a backlog builds during the level; the tail shows how long it took.")
    return Section("latency", TITLES["latency"], how, rows,
                   {"levels": levels, "runs": [[level.as_dict() for level in run] for run in runs]})


def urgent_section(runs: Sequence[Sequence[UrgentRun]], probe_rate: float) -> Section:
    """One row per backlog size (0: the baseline)."""
    rows, backlogs = [], []
    for index, first in enumerate(runs[0]):
        mine = [run[index] for run in runs]

        def q(attr: str, name: str, mine: list[UrgentRun] = mine) -> Spread:
            return _spread([getattr(u, attr)[name] for u in mine])

        phases = sorted({phase for u in mine for phase in u.by_phase_p50_ms})
        by_phase = {phase: _spread([u.by_phase_p50_ms[phase] for u in mine if phase in u.by_phase_p50_ms])
                    for phase in phases}
        rows.append({"routine backlog": f"{first.backlog:,}", "probes": first.probes, "p50 ms": q(
            "completed_ms", "p50").text(), "p95 ms": q("completed_ms", "p95").text(), "p99 ms": q(
            "completed_ms", "p99").text(), "before the lane p50 ms": q("before_lane_ms", "p50").text(),
            "intake p50 ms": q("intake_ms", "p50").text(), "dedupe p50 ms": q("dedupe_ms", "p50").text(),
            "in the lane p50 ms": q("in_lane_ms", "p50").text(), "in the lane p99 ms": q("in_lane_ms", "p99").text(),
            "p50 by backlog position ms": ", ".join(f"{p} {s.text()}" for p, s in by_phase.items()),
            "backlog drained in s": "" if not first.backlog else _spread([u.drain_s for u in mine]).text()})
        backlogs.append({"backlog": first.backlog, "probes": first.probes, "traces": first.traces,
                         "publish_to_completed_ms": {n: q("completed_ms", n).as_dict(1) for n in first.completed_ms},
                         "before_lane_ms": {n: q("before_lane_ms", n).as_dict(1) for n in first.before_lane_ms},
                         "intake_ms": {n: q("intake_ms", n).as_dict(1) for n in first.intake_ms},
                         "dedupe_ms": {n: q("dedupe_ms", n).as_dict(1) for n in first.dedupe_ms},
                         "in_lane_ms": {n: q("in_lane_ms", n).as_dict(1) for n in first.in_lane_ms},
                         "p50_by_backlog_position_ms": {p: s.as_dict(1) for p, s in by_phase.items()},
                         "drain_s": _spread([u.drain_s for u in mine]).as_dict(1),
                         "probe_pool_exhausted": any(u.pool_exhausted for u in mine)})
    how = (f"URGENT first sightings trickled at {probe_rate:g}/s into a running pipeline: with nothing else to do "
           "(backlog 0), then right after a ROUTINE backlog was published, until it had nearly drained. "
           "Publish to completed, split where the trace entered the express lane (the traces.urgent record): "
           "before it, the queue in intake and dedupe that every seizure shares (split where intake wrote the "
           "probe to seizures.enriched-urgent); in the lane, express alone. "
           "By backlog position: probes published while the backlog was still in intake/dedupe (shared) or "
           "only in the routine stages (stages).")
    return Section("urgent", TITLES["urgent"], how, rows,
                   {"backlogs": backlogs, "runs": [[u.as_dict() for u in run] for run in runs]})


def memory_section(runs: Sequence[BackfillRun], idles: Sequence[IdleRun] = ()) -> Section:
    """Peak RSS per worker and in total over the backfill runs, and the idle resident sets beside them."""
    rows, workers, idle_workers = [], {}, {}
    for index, first in enumerate(runs[0].processors):
        spread = _spread([run.processors[index].peak_rss_mib for run in runs])
        workers[first.name] = spread.as_dict(1)
        row = {"worker": first.name, "processes": first.processes, "peak RSS MiB": spread.text(1)}
        if idles:
            idle = _spread([run.rss_mib[first.name] for run in idles])
            idle_workers[first.name] = idle.as_dict(1)
            row["idle RSS MiB"] = idle.text(1)
        rows.append(row)
    total = _spread([sum(f.peak_rss_mib for f in run.processors) for run in runs])
    last = {"worker": "**all workers**", "processes": sum(f.processes for f in runs[0].processors),
            "peak RSS MiB": f"**{total.text(1)}**"}
    figures: dict[str, Any] = {"workers_mib": workers, "total_mib": total.as_dict(1)}
    how = (f"Peak: VmHWM (the kernel's peak resident set) of each worker process, read from /proc just before the "
           f"workers of a backfill of {runs[0].events:,} events were stopped; {len(runs)} run(s).")
    if idles:
        idle_total = _spread([run.total_mib for run in idles])
        idle_pss = _spread([run.total_pss_mib for run in idles])
        last["idle RSS MiB"] = f"**{idle_total.text(1)}** (PSS {idle_pss.text(1)})"
        figures |= {"idle_workers_mib": idle_workers, "idle_total_mib": idle_total.as_dict(1),
                    "idle_total_pss_mib": idle_pss.as_dict(1), "idle_settle_s": idles[0].settle_s}
        how += (f" Idle: VmRSS of each worker {idles[0].settle_s:g} s after every processor was started in a "
                f"fresh sandbox with nothing to do (one process each); {len(idles)} run(s). PSS: the same "
                "workers' proportional set, shared library pages counted once among them.")
    rows.append(last)
    return Section("memory", TITLES["memory"], how, rows, figures)


def restart_section(runs: Sequence[RestartRun]) -> Section:
    """Seconds from killing dedupe to its first output."""
    spread = _spread([run.seconds for run in runs])
    rows = [{"firearms in the table": f"{runs[0].firearms:,}", "runs": len(runs), "kill to first output s":
             spread.text(2), "table rebuilt": "yes" if all(run.table_rebuilt for run in runs) else "NO"}]
    how = ("intake and dedupe run until dedupe's table holds the firearms below (distinct keys on its "
           "changelog); then dedupe is killed and restarted (crash-only, as the watchdog does) and a known gun is "
           "published again under a new event id. Seconds from the kill to dedupe's output for it; rebuilt when "
           "that output is a recovery (a forgotten gun would open a new trace).")
    return Section("restart", TITLES["restart"], how, rows, {"seconds": spread.as_dict(2),
                                                    "runs": [run.as_dict() for run in runs]})


def scaling_section(runs: Sequence[ScalingRun]) -> Section:
    """Backfill events/s with one and two processes of the bounding processor."""
    one, two = _spread([r.one.events_per_s for r in runs]), _spread([r.two.events_per_s for r in runs])
    name = runs[0].processor
    rows = [{"processor": name, "processes": 1, "backfill events/s": one.text(), "speedup": "1"},
            {"processor": name, "processes": 2, "backfill events/s": two.text(),
             "speedup": f"{_spread([r.speedup for r in runs]).median:.2f}"}]
    how = (f"Backfills of {runs[0].one.events:,} events: one process per processor, then two processes for the "
           "processor that used the most CPU in the first (they split its group's partitions).")
    return Section("scaling", TITLES["scaling"], how, rows,
                   {"processor": name, "one_process_events_per_s": one.as_dict(), "two_processes_events_per_s":
                    two.as_dict(), "runs": [r.as_dict() for r in runs]})


def failed_section(key: str, error: str) -> Section:
    """A part that could not finish: its error instead of figures (keys joined by '+' name several parts)."""
    title = " and ".join(TITLES.get(name, name) for name in key.split("+"))
    return Section(key, title, f"**Failed:** {error}", [], {"error": error})


def write_pipeline_results(directory: Path, sections: Sequence[Section], machine: dict[str, Any],
                           versions: dict[str, str], parameters: dict[str, Any], seconds: dict[str, float]) -> Path:
    """DIRECTORY/bench-pipeline.md and .json; returns the Markdown file's path."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    listed = ", ".join(f"{name} {value}" for name, value in versions.items())
    took = ", ".join(f"{name} {value:.0f} s" for name, value in seconds.items())
    header = (f"# bench pipeline\n\nMeasured {stamp} on {machine['host']} ({machine['cores']} cores, "
              f"{machine['memory_gib']} GiB, {machine['cpu'] or 'unknown CPU'}; Linux {machine['kernel']}).\n\n"
              f"Versions: {listed}.\n\nParameters: " + ", ".join(f"{k} {v}" for k, v in parameters.items()) +
              f".\n\nWall time: {took}.\n\nFigures are the median of the runs, with the lowest and highest run in "
              "brackets when there was more than one.")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "bench-pipeline.md"
    path.write_text("\n\n".join([header, *(section.markdown() for section in sections)]) + "\n")
    document = {"bench": "pipeline", "measured_at": stamp, "machine": machine, "versions": versions,
                "parameters": parameters, "wall_seconds": {k: round(v, 1) for k, v in seconds.items()},
                "parts": {section.key: section.figures for section in sections}}
    path.with_suffix(".json").write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    return path

