"""`tracepipe publish|scenario`: what agencies send, validated, and the synthetic scenario."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import typer

from pipeline.cli.base import STATE, app, console
from pipeline.errors import ConfigError
from pipeline.i18n import t


@app.command("publish")
def publish(
    file: Path = typer.Argument(..., help="JSON Lines (.jsonl) or CSV export of seizure events"),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate only, send nothing"),
    topic: str = typer.Option(None, help="topic to publish to (default: the raw seizures topic)"),
) -> None:
    """Validate every line of FILE and publish the valid ones; exit 1 if any line was rejected."""
    from pipeline.kafka_access import clients
    from pipeline.producers.publish_file import count_lines, publish_file
    from pipeline.producers.publisher import SeizurePublisher
    from pipeline.producers.submissions_topic import submission_lanes

    if not file.is_file():
        raise ConfigError(t("file_not_found", STATE.settings.lang, path=file))
    lang = STATE.settings.lang
    with _progress(count_lines(file)) as advance:
        if dry_run:
            report = publish_file(file, None, advance)
        else:
            lanes = submission_lanes(STATE.settings)  # an agency principal: its own topics
            connection = clients.client_options(STATE.settings, clients.producing_principal(STATE.settings))
            # --topic sends every event there, urgent or not (a test topic); else URGENT ones take the urgent lane.
            with SeizurePublisher(connection, topic or lanes.topic,
                                  urgent_topic=topic or lanes.urgent_topic) as publisher:
                report = publish_file(file, publisher, advance)
    for error in report.rejected + report.warnings:
        console.print(f"{file.name}:{error.line}: {error.field}: {error.reason(lang)}", highlight=False)
    for reason in report.send_failures:
        console.print(f"[red]{reason}[/]")
    console.print(t("publish_summary", lang, lines=report.lines, published=report.published,
                    rejected=report.rejected_lines))
    if report.rejected or report.send_failures:
        raise typer.Exit(1)



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


