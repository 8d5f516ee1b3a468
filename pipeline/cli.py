"""The `tracepipe` command line: one entry point, settings read once here, errors shown as one line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
import typer
from rich.console import Console
from rich.table import Table

from pipeline.accounts import cli as accounts_cli
from pipeline.accounts.store import AccountError
from pipeline.errors import ConfigError, TracepipeError
from pipeline.i18n import t
from pipeline.settings import Settings

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="tracepipe: firearm-trace pipeline / canal de rastreo de armas de fuego")
stack_app = typer.Typer(no_args_is_help=True, help="Local Kafka + PostgreSQL stack.")
topics_app = typer.Typer(no_args_is_help=True, help="Pipeline topics.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
schemas_app = typer.Typer(no_args_is_help=True, help="Avro schemas in schemas/.")
records_app = typer.Typer(no_args_is_help=True, help="Firearms-commerce records the tracing stages consult.")
app.add_typer(stack_app, name="stack")
app.add_typer(topics_app, name="topics")
app.add_typer(db_app, name="db")
app.add_typer(schemas_app, name="schemas")
app.add_typer(records_app, name="records")
app.add_typer(accounts_cli.accounts_app, name="accounts")
app.add_typer(accounts_cli.agencies_app, name="agencies")
app.add_typer(accounts_cli.sharing_app, name="sharing")

console = Console()


class _State:
    """Settings for this invocation, filled by the root callback (read from the environment once)."""

    settings: Settings


STATE = _State()


@app.callback()
def root(lang: str = typer.Option(None, "--lang", help="en | es (default: TRACEPIPE_LANG or en)")) -> None:
    """Read settings once for every command."""
    settings = Settings.from_env()
    if lang is not None:
        if lang not in ("en", "es"):
            raise TracepipeError(f"--lang must be 'en' or 'es', got {lang!r}")
        settings = settings.with_changes(lang=lang)
    STATE.settings = settings
    accounts_cli.CONTEXT.settings = settings


def _status_table(rows: list) -> Table:
    lang = STATE.settings.lang
    table = Table(t("component", lang), t("state", lang), t("where", lang), t("hint", lang))
    for row in rows:
        state = t("running", lang) if row.running else t("stopped", lang)
        hint = "" if row.running else t("start_hint", lang)
        table.add_row(row.name, f"[green]{state}[/]" if row.running else f"[red]{state}[/]", row.detail, hint)
    return table


@stack_app.command("up")
def stack_up() -> None:
    """Start PostgreSQL and Kafka, apply migrations, create topics (safe to run twice)."""
    from pipeline.stack import local

    report = local.up(STATE.settings)
    lang = STATE.settings.lang
    console.print(_status_table(report.components))
    console.print(t("migrations_applied", lang, count=len(report.migrations_applied)))
    console.print(t("topics_ensured", lang, created=len(report.topics_created),
                    existing=len(report.topics_present)))
    console.print(t("stack_up_done", lang, seconds=report.seconds))


@stack_app.command("down")
def stack_down() -> None:
    """Stop the components `stack up` started (found by their pid files)."""
    from pipeline.stack import local

    local.down(STATE.settings)
    console.print(t("stack_down_done", STATE.settings.lang))


@stack_app.command("status")
def stack_status() -> None:
    """Say per component what runs, where, and how to start what doesn't; exit 1 if anything is down."""
    from pipeline.stack import local

    rows = local.status(STATE.settings)
    console.print(_status_table(rows))
    if not all(row.running for row in rows):
        raise typer.Exit(1)


@topics_app.command("ensure")
def topics_ensure() -> None:
    """Create every declared topic that is missing."""
    from pipeline.stack.topics import ensure_topics

    created, present = ensure_topics(STATE.settings)
    console.print(t("topics_ensured", STATE.settings.lang, created=len(created), existing=len(present)))


@topics_app.command("list")
def topics_list() -> None:
    """Show the declared topics as the broker sees them."""
    from pipeline.stack.topics import describe_topics
    from pipeline.topology import TOPICS

    lang = STATE.settings.lang
    states = describe_topics(STATE.settings, [STATE.settings.topic(spec.name) for spec in TOPICS])
    table = Table(t("topic", lang), t("partitions", lang), t("cleanup", lang), t("retention", lang),
                  t("purpose", lang))
    for spec in TOPICS:
        state = states[STATE.settings.topic(spec.name)]
        table.add_row(state.name, str(state.partitions), state.configs.get("cleanup.policy", "?"),
                      _days(state.configs.get("retention.ms")), spec.purpose)
    console.print(table)


def _days(retention_ms: str | None) -> str:
    return "-" if retention_ms is None else f"{int(retention_ms) / 86_400_000:g} d"


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending SQL migrations."""
    from pipeline.db.migrate import migrate

    applied = migrate(STATE.settings)
    console.print(t("migrations_applied", STATE.settings.lang, count=len(applied)))


@db_app.command("roles")
def db_roles() -> None:
    """Create or update the login roles of workers, the API and admin tasks (passwords from settings).

    Connects as TRACEPIPE_PG_USER, which needs CREATEROLE (a deployment's database owner; `stack up` does
    this itself for the local stack). Run it before `db migrate`, which grants these roles their rights.
    """
    import psycopg2

    from pipeline.stack.postgres import ensure_login_roles

    conn = psycopg2.connect(STATE.settings.pg_dsn())
    try:
        with conn, conn.cursor() as cur:
            users = ensure_login_roles(cur, STATE.settings)
    finally:
        conn.close()
    console.print(t("db_roles_ready", STATE.settings.lang, roles=", ".join(users)))


@schemas_app.command("check")
def schemas_check() -> None:
    """Check every schema: docs on every field, and that each newest reader reads all older versions."""
    from pipeline.contract.registry import check_contract, default_registry

    problems = check_contract()
    for problem in problems:
        console.print(f"[red]✗[/] {problem}", highlight=False)
    registry = default_registry()
    versions = sum(len(registry.versions(name)) for name in registry.names)
    console.print(t("schemas_checked", STATE.settings.lang, records=len(registry.names), versions=versions,
                    problems=len(problems)))
    if problems:
        raise typer.Exit(1)


@records_app.command("seed")
def records_seed(
    firearms: int = typer.Option(2_000, "--firearms", min=1, help="seized-gun catalogue size (the scenario's guns)"),
    seed: int = typer.Option(1, "--seed", help="same seed as the scenario, so its guns are in the records"),
    extra: int = typer.Option(None, "--extra", min=0, help="background guns never seized (default: as many)"),
) -> None:
    """Replace the records with a deterministic set consistent with the scenario generator (COPY, fast)."""
    from pipeline.records.seeding.seed import seed_for_firearms

    report = seed_for_firearms(STATE.settings, firearms, seed, extra_firearms=extra)
    console.print(t("records_seeded", STATE.settings.lang, rows=report.total_rows,
                    rate=report.rows_per_second, seconds=report.seconds))


@app.command("publish")
def publish(
    file: Path = typer.Argument(..., help="JSON Lines (.jsonl) or CSV export of seizure events"),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate only, send nothing"),
    topic: str = typer.Option(None, help="topic to publish to (default: the raw seizures topic)"),
) -> None:
    """Validate every line of FILE and publish the valid ones; exit 1 if any line was rejected."""
    from pipeline.producers.publish_file import count_lines, publish_file
    from pipeline.producers.publisher import SeizurePublisher
    from pipeline.topology import SEIZURES_RAW

    if not file.is_file():
        raise ConfigError(t("file_not_found", STATE.settings.lang, path=file))
    lang = STATE.settings.lang
    with _progress(count_lines(file)) as advance:
        if dry_run:
            report = publish_file(file, None, advance)
        else:
            target = topic or STATE.settings.topic(SEIZURES_RAW.name)
            with SeizurePublisher(STATE.settings.kafka_bootstrap, target) as publisher:
                report = publish_file(file, publisher, advance)
    for error in report.rejected + report.warnings:
        console.print(f"{file.name}:{error.line}: {error.field}: {error.reason(lang)}", highlight=False)
    for reason in report.send_failures:
        console.print(f"[red]{reason}[/]")
    console.print(t("publish_summary", lang, lines=report.lines, published=report.published,
                    rejected=report.rejected_lines))
    if report.rejected or report.send_failures:
        raise typer.Exit(1)


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


@app.command("scenario")
def scenario(
    days: int = typer.Option(30, "--days", min=1, max=3660, help="days of seizures to generate"),
    seed: int = typer.Option(1, "--seed", help="same seed, same scenario"),
    out: Path = typer.Option(None, "--out", help="folder for events.jsonl, truth.csv, firearms.csv"),
    to_kafka: bool = typer.Option(False, "--to-kafka", help="publish the events (garbage included) to Kafka"),
    events_per_day: float = typer.Option(70.0, "--events-per-day", min=0.1, help="average seizures per day"),
) -> None:
    """Generate a realistic, deterministic scenario of agency seizures (with its ground truth)."""
    from pipeline.producers.scenario import generate_scenario, write_scenario

    if out is None and not to_kafka:
        raise ConfigError(t("scenario_needs_target", STATE.settings.lang))
    generated = generate_scenario(days=days, seed=seed, events_per_day=events_per_day)
    lang = STATE.settings.lang
    if out is not None:
        paths = write_scenario(generated, out)
        console.print(t("scenario_written", lang, count=len(generated.events), path=paths["events"].parent))
    if to_kafka:
        from pipeline.producers.scenario_publish import publish_scenario

        with _progress(len(generated.events)) as advance:
            sent = publish_scenario(STATE.settings, generated.events, advance)
        console.print(t("scenario_published", lang, count=sent))


@contextmanager
def _progress(total: int):
    """A progress bar for publishing; yields the function that advances it."""
    from rich.progress import Progress

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(t("publishing", STATE.settings.lang), total=total)
        yield lambda n: progress.advance(task, n)


BENCHES = ("codec", "dedupe-memory", "api")


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
) -> None:
    """Run a benchmark and write its results (benchmarks/results/bench-NAME.md and .json)."""
    from pipeline.bench.report import write_results

    run = _bench_runner(name)
    path = write_results(name, run(n or (200 if name == "api" else 20_000)), out, console)
    console.print(str(path))


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


@app.command("audit")
def audit(account: str = typer.Option(None, "--account", help="only this account (acct_… or cli:user)"),
          subject: str = typer.Option(None, "--subject", help="only this subject (a purchaser, account or agency id)"),
          since: datetime = typer.Option(None, "--since", help="from this time (ISO 8601, UTC if no offset)"),
          until: datetime = typer.Option(None, "--until", help="before this time"),
          limit: int = typer.Option(100, "--limit", min=1, max=10000)) -> None:
    """The audit log (admins): personal-data reads and account, agency and sharing changes."""
    accounts_cli.audit_command(account, subject, _utc(since), _utc(until), limit)


def _utc(moment: datetime | None) -> datetime | None:
    """Times given without an offset are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@app.command("api")
def api(
    host: str = typer.Option("127.0.0.1", "--host", envvar="TRACEPIPE_API_HOST", help="address to listen on"),
    port: int = typer.Option(8091, "--port", min=1, max=65535, envvar="TRACEPIPE_API_PORT", help="port"),
    write_openapi: Path = typer.Option(None, "--write-openapi", help="write the OpenAPI document here and exit"),
) -> None:
    """The results API for agency accounts (search, detail, status, export, leads, submission)."""
    from pipeline.api.app import openapi_document, serve_api

    if write_openapi is not None:
        write_openapi.write_text(openapi_document(STATE.settings), encoding="utf-8")
        console.print(str(write_openapi))
        return

    console.print(t("api_serving", STATE.settings.lang, host=host, port=port))
    serve_api(STATE.settings, host, port)


def main() -> None:
    """Console-script entry point: known errors become one readable line and exit code 2."""
    try:
        app()
    except TracepipeError as exc:
        lang = getattr(getattr(STATE, "settings", None), "lang", "en")
        message = t(exc.key, lang, **exc.values) if isinstance(exc, AccountError) else str(exc)
        Console(stderr=True).print(f"[bold red]{t('error', lang)}:[/] {message}", highlight=False)
        sys.exit(2)
    except psycopg2.Error as exc:  # the server's own first line (it never holds a password)
        lang = getattr(getattr(STATE, "settings", None), "lang", "en")
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        Console(stderr=True).print(f"[bold red]{t('error', lang)}:[/] {t('database_error', lang, problem=first)}",
                                   highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
