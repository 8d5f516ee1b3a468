"""`tracepipe demo`: stack up, seed records, start every processor, publish a month of seizures, wait until
each event is accounted for, then print a summary and write a report with charts.

Each run gets its own topic namespace and its own database (`tracepipe_demo`, recreated), so a rerun is a
clean, comparable run and never mixes with the tests' or an operator's data.
"""

from __future__ import annotations

import os
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pipeline.accounts.registry import register_agencies
from pipeline.contract.codec import decode
from pipeline.db.migrate import migrate
from pipeline.demo.api_tour import api_tour, print_leads
from pipeline.demo.report import write_report
from pipeline.demo.summary import RunSummary, read_database_figures, reason_counts
from pipeline.i18n import t
from pipeline.ops.dashboard.feed import DashboardFeed
from pipeline.ops.dashboard.web import DashboardThread
from pipeline.ops.lag.drain import Backlog, wait_until_drained
from pipeline.producers.scenario import generate_scenario
from pipeline.producers.scenario_publish import publish_scenario
from pipeline.records.seeding.seed import seed_records
from pipeline.settings import Settings
from pipeline.stack import local
from pipeline.stack.postgres import SUPERUSER
from pipeline.stack.process import port_open
from pipeline.stack.topics import ensure_topics, read_all
from pipeline.topology import SEIZURES_DEAD_LETTER, SEIZURES_DUPLICATES
from pipeline.worker.supervisor import WorkerSet, parse_processors
from pipeline.worker.watchdog import StallWatchdog

DEMO_DATABASE = "tracepipe_demo"


@dataclass(frozen=True)
class DemoOptions:
    """What to run: days of seizures, the seed (scenario and records share it), where the report goes."""

    days: int = 30
    seed: int = 2024
    report: Path = Path("reports/demo-report.html")
    background_firearms: int = 20_000
    dashboard_port: int = 8090  # 0: no live dashboard
    api_port: int = 8091  # 0: no results API tour
    serve_api: bool = False  # keep serving the results API after the summary, until Ctrl-C


def live_dashboard(demo: Settings, options: DemoOptions, console: Console) -> AbstractContextManager[object]:
    """The ops dashboard on the demo's namespace while it runs (its URL printed), or nothing if it cannot start."""
    lang = demo.lang
    if not options.dashboard_port:
        return nullcontext()
    if port_open(options.dashboard_port):
        console.print(t("demo_dashboard_port_taken", lang, port=options.dashboard_port))
        return nullcontext()
    console.print(t("demo_dashboard", lang, url=f"http://127.0.0.1:{options.dashboard_port}/?lang={lang}"))
    return DashboardThread(DashboardFeed(demo, lag_every_s=2.0), "127.0.0.1", options.dashboard_port, lang, 2.0)


def recreate_database(settings: Settings) -> Settings:
    """A fresh demo database with every migration applied; returns settings pointing at it."""
    conn = psycopg2.connect(settings.pg_dsn(dbname="postgres", user=SUPERUSER))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DEMO_DATABASE)))
            cur.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DEMO_DATABASE),
                                                                      sql.Identifier(settings.pg_user)))
    finally:
        conn.close()
    demo = settings.with_changes(pg_db=DEMO_DATABASE)
    migrate(demo)
    register_agencies(demo)
    return demo


def show_backlog(progress: Progress, task: TaskID, owed: Backlog | None, lang: str) -> None:
    """The waiting line: records the processors have committed out of every record published to their inputs.

    The total grows while the stages produce into the next stage's topics; it is final once all is drained."""
    if owed is None:
        return  # the broker did not answer this time: keep the last figures
    progress.update(task, total=max(owed.owed, owed.outstanding), completed=owed.done,
                    description=t("demo_step_wait", lang, left=owed.outstanding))


def run_demo(settings: Settings, options: DemoOptions, console: Console) -> RunSummary:
    """The whole demo; returns the summary it printed."""
    lang, began = settings.lang, time.monotonic()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        step = progress.add_task(t("demo_step_stack", lang), total=None)
        local.up(settings)
        progress.update(step, description=t("demo_step_records", lang))
        scenario = generate_scenario(days=options.days, seed=options.seed)
        demo = recreate_database(settings).with_changes(namespace=f"demo{int(time.time())}.")
        seed_records(demo, scenario.firearms, options.seed, extra_firearms=options.background_firearms)
        ensure_topics(demo)
        progress.update(step, description=t("demo_step_workers", lang))
        processors = parse_processors("all")
        env = {"TRACEPIPE_SNAPSHOT_SECONDS": "2", **os.environ, "TRACEPIPE_NAMESPACE": demo.namespace,
               "TRACEPIPE_PG_DB": DEMO_DATABASE}
        workers = WorkerSet(processors, env)
        workers.start()
        watchdog = StallWatchdog(demo, processors, workers.restart)
        watchdog.start()
        try:
            with live_dashboard(demo, options, console):
                progress.remove_task(step)
                publishing = progress.add_task(t("demo_step_publish", lang), total=len(scenario.events))
                publish_scenario(demo, scenario.events, lambda n: progress.advance(publishing, n))
                waiting = progress.add_task(t("demo_step_wait", lang, left="?"), total=None)
                wait_until_drained(demo, processors, on_tick=lambda owed: show_backlog(progress, waiting, owed, lang))
        finally:
            watchdog.stop()
            workers.stop()
    summary = RunSummary(events=len(scenario.events))
    read_database_figures(demo.pg_dsn(), summary)
    dead = read_all(demo, demo.topic(SEIZURES_DEAD_LETTER.name))
    summary.dead_letters = reason_counts([(key, decode(value)) for key, value in dead])
    summary.exact_duplicates = len(dict(read_all(demo, demo.topic(SEIZURES_DUPLICATES.name))))
    summary.seconds = time.monotonic() - began
    path = write_report(summary, lang, options.report)
    print_summary(summary, lang, console, path)
    print_leads(demo, console)
    api_tour(demo, options.api_port, options.serve_api, console)
    return summary


def print_summary(summary: RunSummary, lang: str, console: Console, report: Path) -> None:
    """The summary tables, in the chosen language."""
    table = Table(title=t("summary_title", lang), show_header=False)
    ttc = summary.median_time_to_crime_years
    rows = [
        ("summary_events", summary.events),
        ("summary_traces", summary.traces),
        ("summary_recoveries", summary.recoveries_added),
        ("summary_possible", summary.possible_duplicates),
        ("summary_exact", summary.exact_duplicates),
        ("summary_dead", f"{sum(summary.dead_letters.values())} " + ", ".join(
            f"{reason} {n}" for reason, n in summary.dead_letters.most_common())),
        ("summary_accounted", f"{summary.accounted} / {summary.events}"),
        ("summary_completion", f"{summary.completion_rate:.1%}"),
        ("summary_ttc", "-" if ttc is None else f"{ttc:.1f} " + t("years_word", lang).split()[0]),
        ("short_ttc_word", summary.short_time_to_crime),
        ("top_states", ", ".join(f"{s} {n}" for s, n in summary.source_states.most_common(3))),
        ("top_dealers", ", ".join(f"{d} ({n})" for d, n in summary.dealers.most_common(3))),
        ("summary_stage_seconds", ", ".join(f"{s} {v:.2f}" for s, v in sorted(summary.stage_seconds.items()))),
        ("summary_took", f"{summary.seconds:.0f} s"),
        ("summary_report", str(report)),
    ]
    for key, value in rows:
        table.add_row(t(key, lang), str(value))
    console.print(table)
    outcomes = Table(t("summary_outcomes", lang), t("traces_word", lang), "%")
    for reason, count in summary.reasons.most_common():
        outcomes.add_row(t("reason_" + reason.lower(), lang), str(count), f"{count / summary.traces:.0%}")
    console.print(outcomes)
