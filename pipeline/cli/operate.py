"""`tracepipe worker|lag|dashboard|bench|demo`: running, watching and measuring the pipeline."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from pipeline.cli.base import STATE, app, console
from pipeline.errors import ConfigError
from pipeline.i18n import t


@app.command("worker")
def worker(processors: str = typer.Option("all", "--processors", "-p",
                                          help="comma-separated processors to run (default: all)")) -> None:
    """Run stream-processor workers (one process per processor) until interrupted."""
    from pipeline.worker.supervisor import parse_processors, supervise

    names = parse_processors(processors)
    console.print(t("workers_starting", STATE.settings.lang, names=", ".join(names)))
    raise typer.Exit(supervise(STATE.settings, names))


@app.command("lag")
def lag(group: list[str] = typer.Option(None, "--group", "-g", help="group name or PREFIX* (repeatable)"),
        as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
        watch: float = typer.Option(None, "--watch", help="refresh every SECONDS until Ctrl-C")) -> None:
    """Consumer lag per group, topic, partition and stage, in messages and in seconds."""
    from pipeline.ops.lag.cli import lag_command

    lag_command(STATE.settings, group, as_json, watch, console)


@app.command("dashboard")
def dashboard(
    host: str = typer.Option("127.0.0.1", "--host", envvar="TRACEPIPE_DASHBOARD_HOST",
                             help="address to listen on (0.0.0.0 for every interface)"),
    port: int = typer.Option(8090, "--port", min=1, max=65535, envvar="TRACEPIPE_DASHBOARD_PORT",
                             help="port of the page, /api/overview and the lag gauges on /metrics"),
    refresh: float = typer.Option(5.0, "--refresh", min=1.0, max=3600.0, help="seconds between page refreshes"),
) -> None:
    """Ops web page: throughput, lag, dead letters, outcomes and recent errors per stage (es/en)."""
    from pipeline.ops.dashboard.feed import DashboardFeed
    from pipeline.ops.dashboard.web import serve_dashboard

    console.print(t("dashboard_serving", STATE.settings.lang, host=host, port=port))
    serve_dashboard(DashboardFeed(STATE.settings), host, port, STATE.settings.lang, refresh)



BENCHES = ("codec", "dedupe-memory", "api", "pipeline")


def _bench_runner(name: str) -> Callable[[int], list[dict[str, Any]]]:
    """The function that runs benchmark `name` for n items."""
    if name == "codec":
        from pipeline.bench.codec import run_codec_bench

        return run_codec_bench
    if name == "dedupe-memory":
        from pipeline.bench.dedupe_memory import run_dedupe_memory_bench

        return run_dedupe_memory_bench
    if name == "api":
        from pipeline.bench.api_latency import run_api_bench

        return lambda n: run_api_bench(n, STATE.settings)
    raise ConfigError(t("unknown_bench", STATE.settings.lang, name=name, choices=", ".join(BENCHES)))


@app.command("bench")
def bench(
    name: str = typer.Argument(..., help=f"which benchmark: {', '.join(BENCHES)}"),
    n: int = typer.Option(None, "--n", min=10, help="records (codec), firearms (dedupe-memory), requests (api)"),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="folder for the results table"),
    parts: str = typer.Option(None, "--parts", help="pipeline: comma-separated parts of backfill, ceiling, "
                              "latency, urgent, memory, restart, scaling ('all'; default "
                              "backfill,ceiling,latency,urgent,memory)"),
    runs: int = typer.Option(3, "--runs", min=1, help="pipeline: runs of the cheap parts (ceiling, restart)"),
    pipeline_runs: int = typer.Option(1, "--pipeline-runs", min=1,
                                      help="pipeline: runs of the parts that drive the whole pipeline"),
    days: int = typer.Option(30, "--days", min=1, max=3660, help="pipeline: days of seizures in the backfill"),
    per_day: float = typer.Option(1000.0, "--per-day", min=1.0, help="pipeline: seizures a day in the backfill"),
    rates: str = typer.Option("100,200,500", "--rates", help="pipeline: offered events/s of the latency levels"),
    level_seconds: float = typer.Option(10.0, "--level-seconds", min=1.0, help="pipeline: seconds per latency level"),
    backlog: str = typer.Option("20000", "--backlog", help="pipeline: routine backlog sizes under which urgent "
                                "latency is measured (e.g. 20000,100000)"),
    restart_firearms: int = typer.Option(5000, "--restart-firearms", min=10,
                                         help="pipeline: firearms in dedupe's table when it restarts"),
    background_firearms: int = typer.Option(20_000, "--background-firearms", min=0,
                                            help="pipeline: commerce records of guns never seized, seeded as well"),
    idle_settle_seconds: float = typer.Option(45.0, "--idle-settle-seconds", min=1.0,
                                              help="pipeline: seconds the started workers idle before their "
                                              "resident memory is read"),
) -> None:
    """Run a benchmark and write its results (benchmarks/results/bench-NAME.md and .json)."""
    from pipeline.bench.report import write_results

    if name == "pipeline":
        from pipeline.bench.pipeline_run import PipelineBenchOptions, parse_parts, run_pipeline_bench

        options = PipelineBenchOptions(
            parts=parse_parts(parts), runs=runs, pipeline_runs=pipeline_runs, days=days, per_day=per_day,
            rates=_numbers(rates), level_s=level_seconds, backlogs=_numbers(backlog),
            restart_firearms=restart_firearms, background_firearms=background_firearms,
            idle_settle_s=idle_settle_seconds)
        console.print(str(run_pipeline_bench(STATE.settings, options, out, console)))
        return
    run = _bench_runner(name)
    path = write_results(name, run(n or (200 if name == "api" else 20_000)), out, console)
    console.print(str(path))


def _numbers(text: str) -> tuple[int, ...]:
    """'100,200,500' -> (100, 200, 500); anything else is a usage error."""
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated whole numbers, got {text!r}") from None
    if not values or min(values) < 1:
        raise typer.BadParameter(f"expected positive whole numbers, got {text!r}")
    return values


@app.command("demo")
def demo(
    days: int = typer.Option(30, "--days", min=1, max=365, help="days of seizures to publish"),
    seed: int = typer.Option(2024, "--seed", help="scenario and records seed"),
    report: Path = typer.Option(Path("reports/demo-report.html"), "--report", help="where the HTML report goes"),
    dashboard_port: int = typer.Option(8090, "--dashboard-port", min=0, max=65535, envvar="TRACEPIPE_DASHBOARD_PORT",
                                       help="live ops dashboard while the demo runs (0: none)"),
    api_port: int = typer.Option(8091, "--api-port", min=0, max=65535, envvar="TRACEPIPE_API_PORT",
                                 help="results API over the demo's traces (0: none)"),
    serve: bool = typer.Option(None, "--serve/--no-serve",
                               help="keep serving the results API until Ctrl-C (default: when run in a terminal)"),
) -> None:
    """The main job: a realistic month of seizures traced end to end on the local stack, summarised."""
    from pipeline.demo.run import DemoOptions, run_demo

    serve_api = sys.stdin.isatty() if serve is None else serve
    options = DemoOptions(days=days, seed=seed, report=report, dashboard_port=dashboard_port, api_port=api_port,
                          serve_api=serve_api)
    run_demo(STATE.settings, options, console)


