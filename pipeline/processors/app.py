"""Build the faust app of one processor: its source topic, its table (if keyed state), and one agent that
moves records between Kafka and the processor's pure step function.

Each processor is its own faust app and consumer group, so each scales (and shows lag) on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import faust

from pipeline.processors import dedupe, intake, serial_linker
from pipeline.processors.dead_letters import dead_letter
from pipeline.processors.records import Incoming, Outgoing
from pipeline.rules.validate import Rejection, RejectReason
from pipeline.settings import Settings
from pipeline.topology import TOPICS, ProcessorSpec, processor

log = logging.getLogger(__name__)

StatelessStep = Callable[[Incoming], list[Outgoing]]
StatefulStep = Callable[[Any, Incoming], tuple[Any, list[Outgoing]]]


@dataclass(frozen=True)
class Step:
    """A processor's logic: stateless `(record) -> outputs`, or stateful `(state, record) -> (state, outputs)`."""

    function: Callable[..., Any]
    stateful: bool = False


STEPS: dict[str, Step] = {
    intake.NAME: Step(intake.intake_record),
    dedupe.NAME: Step(dedupe.dedupe_step, stateful=True),
    serial_linker.NAME: Step(serial_linker.serial_linker_step, stateful=True),
}


def _raw_topic(app: faust.App, settings: Settings, name: str) -> faust.TopicT:
    return app.topic(settings.topic(name), key_type=bytes, value_type=bytes, key_serializer="raw",
                     value_serializer="raw", partitions=settings.partitions)


def _incoming(message: Any) -> Incoming:
    return Incoming(message.topic, message.partition, message.offset, message.key, message.value,
                    int(message.timestamp * 1000))


def poison(incoming: Incoming, exc: Exception, name: str) -> list[Outgoing]:
    """A record that made the step fail is parked as a dead letter (no payload in the log: it may be personal)."""
    log.error("%s: %s at %s:%s:%s", name, type(exc).__name__, incoming.topic, incoming.partition, incoming.offset)
    why = Rejection(RejectReason.PROCESSING_ERROR, f"{name} failed: {type(exc).__name__}",
                    f"{name} falló: {type(exc).__name__}")
    return [dead_letter(incoming, why, name)]


def build_app(settings: Settings, name: str) -> faust.App:
    """The faust app running processor `name` (see pipeline/topology.py for what it reads and writes)."""
    spec: ProcessorSpec = processor(name)
    step = STEPS[name]
    app = faust.App(
        settings.group(name),
        broker=[f"kafka://{server}" for server in settings.kafka_bootstrap.split(",")],
        store="memory://",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        web_enabled=False,
    )
    source = _raw_topic(app, settings, spec.reads.name)
    outputs = {topic.name: _raw_topic(app, settings, topic.name) for topic in TOPICS}
    table = None
    if step.stateful:
        # key_type=bytes makes faust keep keys raw in the changelog (else it JSON-decodes them on recovery);
        # values are JSON.
        table = app.Table(spec.table, default=None, partitions=settings.partitions, key_type=bytes)

    @app.agent(source, name=name)
    async def move_records(stream: faust.StreamT) -> None:
        async for event in stream.events():
            incoming = _incoming(event.message)
            try:
                if table is None:
                    produced = step.function(incoming)
                else:
                    state, produced = step.function(table.get(incoming.key), incoming)
                    table[incoming.key] = state
            except Exception as exc:  # noqa: BLE001 - a poison record must not stop the worker
                produced = poison(incoming, exc, name)
            for out in produced:
                await outputs[out.topic].send(key=out.key, value=out.value)

    return app
