"""A private local stack (its own broker and PostgreSQL cluster, state and ports) that a fault test may kill
without touching the session's shared stack, and the worker environment that points at it."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from psycopg2 import sql

from pipeline.settings import Settings
from pipeline.stack import kafka, local
from pipeline.stack.postgres import SUPERUSER

PORT_OFFSET = 600  # from the session's ports: the private stack's broker, controller and PostgreSQL


def worker_env(settings: Settings, datadir: Path) -> dict[str, str]:
    """The environment of workers of `settings`' stack (one node or a cluster, with or without SCRAM) and
    database: faust's data in `datadir`, no /metrics (its fixed ports would collide with other workers)."""
    env = {**os.environ, "TRACEPIPE_STATE_DIR": str(settings.state_dir),
           "TRACEPIPE_KAFKA_PORT": str(settings.kafka_port),
           "TRACEPIPE_KAFKA_CONTROLLER_PORT": str(settings.kafka_controller_port),
           "TRACEPIPE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap_override,
           "TRACEPIPE_KAFKA_NODES": str(settings.kafka_nodes), "TRACEPIPE_KAFKA_SECURITY": settings.kafka_security,
           "TRACEPIPE_KAFKA_USER": settings.kafka_user,
           "TRACEPIPE_KAFKA_CREDENTIALS": settings.kafka_credentials_override,
           "TRACEPIPE_REPLICATION": str(settings.replication),
           "TRACEPIPE_PG_PORT": str(settings.pg_port), "TRACEPIPE_PG_DB": settings.pg_db,
           "TRACEPIPE_METRICS_PORT": "0", "TRACEPIPE_TABLES_DIR": str(datadir)}
    env["TRACEPIPE_KAFKA_PASSWORD"] = settings.kafka_password.reveal()  # empty: each worker its own principal's
    return env


@contextmanager
def private_stack(base: Settings) -> Iterator[Settings]:
    """Start a second stack beside the session's (state inside its state folder, which the 'postgres' system
    user can reach when tests run as root; ports offset by PORT_OFFSET); stop and delete it afterwards."""
    state = base.state_dir / f"faults-{uuid.uuid4().hex[:8]}"
    private = base.with_changes(
        state_dir=state, kafka_port=base.kafka_port + PORT_OFFSET,
        kafka_controller_port=base.kafka_controller_port + PORT_OFFSET, pg_port=base.pg_port + PORT_OFFSET,
        kafka_bootstrap_override="", kafka_nodes=1, kafka_security="none", replication=1, kafka_heap="384m",
        metrics_base_port=0, namespace="")
    kafka.share_jars(base, private)  # no Maven run for the private broker
    try:
        local.up(private)
        yield private
    finally:
        local.down(private)
        shutil.rmtree(state, ignore_errors=True)


def copy_database(settings: Settings, template: str, name: str) -> Settings:
    """A new database `name` made from `template` (seeded once, copied per run: much faster than seeding)."""
    conn = psycopg2.connect(settings.pg_dsn(dbname="postgres", user=SUPERUSER))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(template), sql.Identifier(settings.pg_user)))
    finally:
        conn.close()
    return settings.with_changes(pg_db=name)
