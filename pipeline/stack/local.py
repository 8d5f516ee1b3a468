"""The local stack as one unit: bring every component up, down, or report on it."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.accounts.registry import register_agencies
from pipeline.db.migrate import migrate
from pipeline.paths import require_executable
from pipeline.settings import Settings
from pipeline.stack import kafka, postgres
from pipeline.stack.prereqs import postgres_bindir
from pipeline.stack.topics import ensure_topics, wait_for_group_coordinator


@dataclass(frozen=True)
class ComponentStatus:
    """One row of `tracepipe stack status`."""

    name: str
    running: bool
    detail: str


@dataclass(frozen=True)
class UpReport:
    """What `stack up` did, for the CLI to print."""

    components: list[ComponentStatus]
    topics_created: list[str]
    topics_present: list[str]
    migrations_applied: list[str]
    seconds: float


def check_prerequisites(settings: Settings) -> None:
    """Fail fast, before starting anything, if a tool the stack needs is missing."""
    require_executable(settings.java, kafka.JAVA_HINT)
    if not kafka.KafkaPaths.of(settings).jar_stamp.exists():
        require_executable(settings.mvn, kafka.MVN_HINT)
    postgres_bindir()


def up(settings: Settings) -> UpReport:
    """Start PostgreSQL and Kafka (idempotently), apply migrations, ensure topics."""
    began = time.monotonic()
    check_prerequisites(settings)
    pg = postgres.start(settings)
    applied = migrate(settings)
    register_agencies(settings)
    broker, created, present = kafka_up(settings)
    return UpReport(
        [ComponentStatus("postgresql", True, pg), ComponentStatus("kafka", True, broker)],
        created, present, applied, time.monotonic() - began,
    )


def kafka_up(settings: Settings) -> tuple[str, list[str], list[str]]:
    """The Kafka part of `up`: start the node(s), ensure topics, wait for group coordination, and in scram mode
    provision every principal's credentials and ACLs. Returns (broker description, created, present)."""
    broker = kafka.start(settings)
    created, present = ensure_topics(settings)
    wait_for_group_coordinator(settings)
    provision = kafka_provisioning()
    if settings.kafka_scram and provision is not None:
        provision(settings)
    return broker, created, present


def kafka_provisioning() -> Callable[[Settings], object] | None:
    """`pipeline.stack.kafka_security.provision` (SCRAM users and ACLs of every principal), if present.

    Looked up by name so the stack works before that module exists; it runs as the admin after the topics.
    """
    try:
        module = importlib.import_module("pipeline.stack.kafka_security")
    except ModuleNotFoundError as exc:
        if exc.name != "pipeline.stack.kafka_security":
            raise
        return None
    provision: Callable[[Settings], object] | None = getattr(module, "provision", None)
    return provision


def down(settings: Settings) -> list[ComponentStatus]:
    """Stop what `up` started; each row says whether it had been running."""
    return [
        ComponentStatus("kafka", kafka.stop(settings), "stopped"),
        ComponentStatus("postgresql", postgres.stop(settings), "stopped"),
    ]


def status(settings: Settings) -> list[ComponentStatus]:
    """Per component: running or not, and where."""
    return [
        ComponentStatus("postgresql", *postgres.status(settings)),
        *(ComponentStatus(*row) for row in kafka.node_status(settings)),
    ]
