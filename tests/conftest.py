"""Shared fixtures: the real local stack (Kafka + PostgreSQL), started once per test session."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from pipeline.settings import Settings
from pipeline.stack import kafka, local, postgres
from pipeline.stack.topics import delete_topics, list_topics


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings from the environment (the same local stack the demo uses)."""
    return Settings.from_env()


@pytest.fixture(scope="session")
def stack(settings: Settings):
    """Bring the real stack up (idempotent); stop it at the end only if this session started it."""
    was_running = kafka.status(settings)[0] and postgres.status(settings)[0]
    report = local.up(settings)
    before = set(list_topics(settings))
    tables_before = _table_stores(settings)
    yield report
    for store in _table_stores(settings) - tables_before:  # the tests' workers' RocksDB tables, like their topics
        shutil.rmtree(store, ignore_errors=True)
    # Every test namespaces its topics; drop the ones this session made, or a developer's broker keeps
    # thousands of partitions and takes minutes to start.
    delete_topics(settings, sorted(set(list_topics(settings)) - before))
    if not was_running:
        local.down(settings)


def _table_stores(settings: Settings) -> set[Path]:
    return set(settings.tables_dir.iterdir()) if settings.tables_dir.is_dir() else set()


@pytest.fixture
def unique_name(request) -> str:
    """A name no other test (or earlier run) uses: for topics, groups and databases."""
    return f"t-{request.node.name[:40].replace('[', '-').replace(']', '')}-{uuid.uuid4().hex[:8]}".lower()
