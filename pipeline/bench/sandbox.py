"""A private copy of the pipeline for one benchmark run: its own topic namespace, its own PostgreSQL database
and its own faust data directory, all removed afterwards.

Like the demo, a benchmark never shares topics, consumer groups or tables with the tests or an operator's
data; unlike the demo it cleans up, because one `tracepipe bench pipeline` makes a dozen such copies and a
broker left with their thousands of partitions starts slowly.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql

from pipeline.bench.kafka_io import check_topics, delete_namespace
from pipeline.db.migrate import migrate
from pipeline.producers.scenario.truth import FirearmTruth
from pipeline.records.seeding.seed import seed_records
from pipeline.settings import Settings
from pipeline.stack.postgres import SUPERUSER, ensure_database
from pipeline.stack.topics import ensure_topics
from pipeline.topology import TOPICS


@dataclass(frozen=True)
class Sandbox:
    """Settings pointing at the private namespace and database, and the workers' data directory."""

    settings: Settings
    datadir: Path
    database: bool

    def worker_env(self) -> dict[str, str]:
        """The environment of this sandbox's workers: its namespace and database, faust's data in `datadir`,
        and no /metrics endpoint (its fixed ports would collide with a demo or a test running meanwhile)."""
        return {**os.environ, "TRACEPIPE_NAMESPACE": self.settings.namespace, "TRACEPIPE_PG_DB": self.settings.pg_db,
                "TRACEPIPE_METRICS_PORT": "0", "TRACEPIPE_TABLES_DIR": str(self.datadir)}


def declared_topics(settings: Settings) -> list[str]:
    """The physical names of every topic in pipeline/topology.py, in the settings' namespace."""
    return [settings.topic(spec.name) for spec in TOPICS]


@contextmanager
def sandbox(base: Settings, label: str, *, database: bool = True,
            firearms: Sequence[FirearmTruth] = (), seed: int = 0, background_firearms: int = 0) -> Iterator[Sandbox]:
    """A fresh namespace with every declared topic, and (if `database`) a migrated database holding the
    commerce records of `firearms` plus `background_firearms` unrelated ones; everything dropped on exit."""
    tag = uuid.uuid4().hex[:8]
    settings = base.with_changes(namespace=f"bench{label}{tag}.",
                                 pg_db=f"tracepipe_bench_{tag}" if database else base.pg_db)
    datadir = Path(tempfile.mkdtemp(prefix=f"tracepipe-bench-{label}-"))
    try:
        if database:
            ensure_database(settings)
            migrate(settings)
            if firearms or background_firearms:
                seed_records(settings, list(firearms), seed, extra_firearms=background_firearms)
        ensure_topics(settings)
        yield Sandbox(settings, datadir, database)
        check_topics(settings, declared_topics(settings))
    finally:
        delete_namespace(settings)
        if database:
            _drop_database(settings)
        shutil.rmtree(datadir, ignore_errors=True)


def _drop_database(settings: Settings) -> None:
    conn = psycopg2.connect(settings.pg_dsn(dbname="postgres", user=SUPERUSER))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(settings.pg_db)))
    finally:
        conn.close()
