"""Publish a generated scenario to the raw topic (an agency principal: to its own topic): datums encoded,
garbage bytes sent as they are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pipeline.kafka_access import clients
from pipeline.producers.publisher import PublishError, SeizurePublisher
from pipeline.producers.submissions_topic import submission_lanes
from pipeline.settings import Settings

GARBAGE_KEY = b"unparseable"


def publish_scenario(settings: Settings, events: Sequence[dict[str, Any] | bytes],
                     on_progress: Callable[[int], None] | None = None, chunk: int = 500) -> int:
    """Send every event in order (a garbage event as raw bytes, so it reaches the dead-letter topic)."""
    sent = 0
    connection = clients.client_options(settings, clients.producing_principal(settings))
    lanes = submission_lanes(settings)
    with SeizurePublisher(connection, lanes.topic, urgent_topic=lanes.urgent_topic) as publisher:
        for start in range(0, len(events), chunk):
            batch = events[start:start + chunk]
            run: list[dict[str, Any]] = []
            for event in batch:
                if isinstance(event, bytes):
                    sent += _flush(publisher, run)
                    run = []
                    publisher.publish_raw(GARBAGE_KEY, event)
                    sent += 1
                else:
                    run.append(event)
            sent += _flush(publisher, run)
            if on_progress:
                on_progress(len(batch))
    return sent


def _flush(publisher: SeizurePublisher, run: list[dict[str, Any]]) -> int:
    if not run:
        return 0
    report = publisher.publish_many(run)
    if report.failed:
        raise PublishError(f"{len(report.failed)} generated event(s) could not be sent: {report.failed[0][1]}")
    return report.confirmed
