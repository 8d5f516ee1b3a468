"""Shared machinery of the tracing stages: decode a batch, look records up once for the whole batch (at the
edge, retried with backoff on database errors), apply the stage's pure decision per trace, and encode
what goes next: the trace to the next stage's topic, or its result to traces.completed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg2

from pipeline.contract.codec import decoded, encode
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record
from pipeline.rules.tracing import StageDecision, trace_result, with_timing
from pipeline.settings import Settings
from pipeline.topology import TRACES_COMPLETED

log = logging.getLogger(__name__)

Gather = Callable[[Any, list[dict[str, Any]]], Any]  # (connection, traces) -> records found for the batch
Decide = Callable[[dict[str, Any], Any, datetime], StageDecision]  # (trace, found, now) -> decision


@dataclass(frozen=True)
class Stage:
    """A tracing stage: its name, its batched lookup (I/O) and its per-trace decision (pure)."""

    name: str
    gather: Gather
    decide: Decide


def timed(stage: str, decision: StageDecision, entered_at: datetime, now: datetime) -> StageDecision:
    """The decision with the time the trace spent in `stage` recorded on the trace."""
    return StageDecision(with_timing(decision.trace, stage, entered_at, now), decision.forward_to,
                         decision.close_reason, decision.sale, decision.dealer)


def encode_decision(decision: StageDecision, now: datetime) -> Outgoing:
    """A forwarded trace goes to its next topic; a finished one becomes a TraceResult on traces.completed."""
    key = decision.trace["trace_id"].encode()
    if decision.forward_to is not None:
        return Outgoing(decision.forward_to, key, encode(Record.TRACE_IN_FLIGHT, decision.trace), decision.trace)
    result = trace_result(decision, now)
    return Outgoing(TRACES_COMPLETED.name, key, encode(Record.TRACE_RESULT, result), result)


def outputs_for(stage: str, decision: StageDecision, entered_at: datetime, now: datetime) -> Outgoing:
    """Encode a decision: forwarded traces carry their timing; finished ones become a TraceResult."""
    return encode_decision(timed(stage, decision, entered_at, now), now)


def decide_batch(stage: Stage, batch: list[Incoming], found: Any, traces: list[dict[str, Any]],
                 now: datetime) -> list[list[Outgoing]]:
    """Pure part of a batch: one output per trace."""
    return [[outputs_for(stage.name, stage.decide(trace, found, now), incoming.timestamp, now)]
            for incoming, trace in zip(batch, traces, strict=True)]


class RetryingConnection:
    """A PostgreSQL connection that reconnects; lookups and writes retry with exponential backoff and never give up,
    so a database outage delays traces (offsets are not committed meanwhile) but loses none."""

    def __init__(self, settings: Settings, max_backoff_s: float = 30.0,
                 on_error: Callable[[Exception], None] | None = None) -> None:
        self._settings = settings
        self._conn: Any = None
        self._max_backoff = max_backoff_s
        self._on_error = on_error

    def run(self, work: Callable[[Any], Any]) -> Any:
        """Run `work(conn)` in one transaction, retrying on connection-level errors (work must be idempotent).
        Each error is passed to `on_error` (the worker counts it) before the backoff."""
        delay = min(0.2, self._max_backoff)
        while True:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg2.connect(self._settings.pg_dsn_as("worker"))
                with self._conn:
                    return work(self._conn)
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
                log.warning("records lookup failed (%s); retrying in %.1f s", type(exc).__name__, delay)
                if self._on_error:
                    self._on_error(exc)
                self.close()
                time.sleep(delay)
                delay = min(delay * 2, self._max_backoff)

    def close(self) -> None:
        """Close the connection (a later run reconnects)."""
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg2.Error:
                pass
            self._conn = None


def process_batch(stage: Stage, batch: list[Incoming], records: RetryingConnection) -> list[list[Outgoing]]:
    """Decode, look up once for the batch, decide per trace."""
    traces = [decoded(incoming, Record.TRACE_IN_FLIGHT) for incoming in batch]
    found = records.run(lambda conn: stage.gather(conn, traces))
    return decide_batch(stage, batch, found, traces, datetime.now(UTC))


def stage_step(stage: Stage) -> Callable[[list[Incoming], RetryingConnection, Settings], list[list[Outgoing]]]:
    """The batch step the faust app runs for `stage`."""

    def step(batch: list[Incoming], db: RetryingConnection, _settings: Settings) -> list[list[Outgoing]]:
        return process_batch(stage, batch, db)

    return step
