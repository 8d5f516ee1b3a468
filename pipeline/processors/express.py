"""Express lane for URGENT traces: one processor walks a trace through every stage in one pass.

Urgent requests (ATF: target under 24 hours) get their own topic and consumer group, so a backlog of
routine traces on the stage topics never delays them; and they do not queue between stages at all. The
stages' own lookups and decisions are reused unchanged, so both lanes decide identically.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pipeline.contract.codec import decoded
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record
from pipeline.processors import dealer, dealer_oob, manufacturer, purchaser, wholesaler
from pipeline.processors.stage_runner import RetryingConnection, Stage, encode_decision, timed
from pipeline.rules.tracing import StageDecision
from pipeline.settings import Settings
from pipeline.topology import (
    TRACES_AT_DEALER,
    TRACES_AT_DEALER_OOB,
    TRACES_AT_PURCHASER,
    TRACES_AT_WHOLESALER,
    TRACES_REQUESTED,
)

NAME = "express"
STAGE_READING: dict[str, Stage] = {
    TRACES_REQUESTED.name: manufacturer.STAGE,
    TRACES_AT_WHOLESALER.name: wholesaler.STAGE,
    TRACES_AT_DEALER.name: dealer.STAGE,
    TRACES_AT_DEALER_OOB.name: dealer_oob.STAGE,
    TRACES_AT_PURCHASER.name: purchaser.STAGE,
}


def _gathering(stage: Stage, traces: list[dict[str, Any]]) -> Callable[[Any], Any]:
    """One stage's lookups for a batch of traces, as work for `RetryingConnection.run`."""
    return lambda conn: stage.gather(conn, traces)


def walk_all_stages(traces: list[dict[str, Any]], entered_at: list[datetime], db: RetryingConnection,
                    now: datetime) -> list[StageDecision]:
    """Run each trace through the stages until it closes; each round is one batched lookup per stage."""
    position = {i: TRACES_REQUESTED.name for i in range(len(traces))}
    current = list(traces)
    finished: dict[int, StageDecision] = {}
    while position:
        for topic in list(dict.fromkeys(position.values())):
            stage = STAGE_READING[topic]
            here = [i for i, at in position.items() if at == topic]
            batch = [current[i] for i in here]
            found = db.run(_gathering(stage, batch))
            for i in here:
                decision = timed(stage.name, stage.decide(current[i], found, now), entered_at[i], now)
                current[i] = decision.trace
                if decision.forward_to is None:
                    finished[i] = decision
                    del position[i]
                else:
                    position[i] = decision.forward_to
    return [finished[i] for i in range(len(traces))]


def express_batch(batch: list[Incoming], db: RetryingConnection, _settings: Settings) -> list[list[Outgoing]]:
    """Urgent trace requests in, their results out (one per request)."""
    traces = [decoded(incoming, Record.TRACE_IN_FLIGHT) for incoming in batch]
    now = datetime.now(UTC)
    decisions = walk_all_stages(traces, [incoming.timestamp for incoming in batch], db, now)
    return [[encode_decision(decision, now)] for decision in decisions]
