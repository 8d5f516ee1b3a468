"""`tracepipe stack|topics|db|schemas|records`: the local stack, topics, migrations and roles, schemas, records."""

from __future__ import annotations

import psycopg2
import typer
from rich.table import Table

from pipeline.cli.base import STATE, app, console
from pipeline.i18n import t

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


