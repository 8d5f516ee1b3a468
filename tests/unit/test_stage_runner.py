"""Database errors of the batch processors: a real RetryingConnection against a PostgreSQL port where nothing
listens (connection refused), counted through the metrics observer; and the wiring in build_app."""

from __future__ import annotations

import socket

import psycopg2
import pytest

from pipeline.ops.metrics.instruments import ProcessorMetrics
from pipeline.ops.metrics.sensor import StepObserver
from pipeline.processors.stage_runner import RetryingConnection
from pipeline.settings import Settings
from pipeline.worker import app as app_module


class _LeaveRetryLoop(Exception):
    """Raised by the test's on_error: RetryingConnection.run retries forever otherwise."""


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable() -> Settings:
    return Settings.from_env({}).with_changes(pg_host="127.0.0.1", pg_port=closed_port())


def database_errors(metrics: ProcessorMetrics, stage: str) -> float | None:
    return metrics.registry.get_sample_value("tracepipe_database_errors_total",
                                             {"processor": metrics.processor, "stage": stage})


def test_each_refused_connection_is_counted_as_a_database_error(unreachable):
    obs = StepObserver(ProcessorMetrics("wholesaler"))
    seen: list[Exception] = []

    def on_error(exc: Exception) -> None:
        seen.append(exc)
        obs.database_error(exc)
        if len(seen) == 2:
            raise _LeaveRetryLoop

    db = RetryingConnection(unreachable, max_backoff_s=0.001, on_error=on_error)
    with pytest.raises(_LeaveRetryLoop):
        db.run(lambda conn: pytest.fail("connected to a port where nothing listens"))
    assert [type(exc) for exc in seen] == [psycopg2.OperationalError] * 2
    assert database_errors(obs.metrics, "wholesaler") == 2
    assert obs.metrics.registry.get_sample_value("tracepipe_observer_errors_total",
                                                 {"processor": "wholesaler"}) == 0


def test_counting_a_database_error_never_raises_into_the_retry_loop(monkeypatch):
    obs = StepObserver(ProcessorMetrics("sink"))

    def broken(stage: str) -> None:
        raise RuntimeError("registry gone")

    monkeypatch.setattr(obs.metrics, "database_error", broken)
    obs.database_error(psycopg2.OperationalError("refused"))
    assert obs.metrics.registry.get_sample_value("tracepipe_observer_errors_total", {"processor": "sink"}) == 1


@pytest.mark.parametrize("name", ["manufacturer", "dealer_oob", "express", "sink"])
def test_build_app_gives_the_batch_connection_the_observer_callback(monkeypatch, unreachable, name):
    monkeypatch.setenv("TRACEPIPE_METRICS_PORT", "0")
    monkeypatch.setenv("TRACEPIPE_SNAPSHOT_SECONDS", "0")
    observers: list[StepObserver] = []
    connections: list[RetryingConnection] = []
    real_install = app_module.install_metrics

    def install(app, settings, spec):
        observers.append(real_install(app, settings, spec))
        return observers[-1]

    class Recorded(RetryingConnection):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            connections.append(self)

    monkeypatch.setattr(app_module, "install_metrics", install)
    monkeypatch.setattr(app_module, "RetryingConnection", Recorded)
    app_module.build_app(unreachable, name)
    [obs], [db] = observers, connections
    assert database_errors(obs.metrics, name) == 0  # the series exists before the first error
    db._on_error(psycopg2.OperationalError("refused"))  # what run() does on each failed attempt
    assert database_errors(obs.metrics, name) == 1
