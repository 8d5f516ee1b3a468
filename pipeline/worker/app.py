"""Build the faust app of one processor: its source topics, its table (if keyed state), and an agent per lane
(the main input; intake and dedupe also an urgent one) that moves records between Kafka and the processor's
pure step function.

Each processor is its own faust app and consumer group, so each scales (and shows lag) on its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import faust

from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.errors import ConfigError
from pipeline.kafka_access import clients, principals
from pipeline.ops.metrics.sensor import install_metrics
from pipeline.processors import (
    dealer,
    dealer_oob,
    dedupe,
    express,
    intake,
    manufacturer,
    purchaser,
    serial_linker,
    sink,
    wholesaler,
)
from pipeline.processors.dead_letters import dead_letter
from pipeline.processors.stage_runner import RetryingConnection, stage_step
from pipeline.rules.validate import Rejection, RejectReason
from pipeline.settings import Settings
from pipeline.topology import SEIZURES_RAW, TOPICS, ProcessorSpec, is_urgent_lane, processor
from pipeline.worker import agency_topics, faust_fixes, urgent_first

log = logging.getLogger(__name__)

StatelessStep = Callable[[Incoming], list[Outgoing]]
StatefulStep = Callable[[Any, Incoming], tuple[Any, list[Outgoing]]]


# Batch steps return one list of outputs per input record, in order (so metrics stay per record).
BatchStep = Callable[[list[Incoming], RetryingConnection, Settings], list[list[Outgoing]]]
BATCH_SIZE = 200  # records per database round trip in the stages and the sink
BATCH_WITHIN_S = 0.1  # ...or whatever arrived within this time (0.25 s: p99 1.00 s at 200 events/s; 0.1 s: 0.58 s,
# and the backfill, whose batches fill up, no slower: 523 -> 547 events/s)
# Outputs wait up to this long to share a produce request (faust's default, 0, sent about one request per record).
PRODUCER_LINGER_S = 0.005
# Records one fetch hands to faust, in an app with an urgent lane. faust delivers a fetched batch record by
# record, and when the routine stream's buffer is full each delivery waits for the routine agent to take one:
# an urgent record fetched after the batch waits for all of it. faust's default (no limit) hands over every
# prefetched record, thousands under a backlog, so urgent records waited seconds in dedupe.
LANE_MAX_POLL_RECORDS = 100
# Tables (dedupe's firearms, the linker's serial buckets). On RocksDB a table survives a restart on disk, with
# the changelog offset it reflects, so a restarted worker replays only the changelog's tail (faust's memory
# store replays all of it: 22 s with 100,000 firearms). The changelog stays the truth: a store that is lost or
# stale is rebuilt or caught up from it.
TABLE_STORE_URLS = {"rocksdb": "rocksdb://", "memory": "memory://"}
# RocksDB's defaults are sized for a dedicated host (a 2 GiB block cache, 3 x 64 MiB memtables per partition,
# six partitions per table); a worker that shares a small machine with nine others keeps them small.
ROCKSDB_OPTIONS = {"write_buffer_size": 8 << 20, "max_write_buffer_number": 2, "block_cache_size": 32 << 20,
                   "target_file_size_base": 16 << 20}


@dataclass(frozen=True)
class Step:
    """A processor's logic: per record `(record) -> outputs`; stateful `(state, record) -> (state, outputs)`;
    indexed `(view, record) -> outputs`, where `view(table)` wraps the whole table with an index derived from
    it (its `rebuild()` runs after every table recovery); or batched against PostgreSQL
    `(records, db, settings) -> outputs`."""

    function: Callable[..., Any]
    kind: str = "record"  # record | stateful | indexed | batch
    view: Callable[[Any], Any] | None = None  # indexed: builds the step's view of the table


STEPS: dict[str, Step] = {
    intake.NAME: Step(intake.intake_record),
    dedupe.NAME: Step(dedupe.dedupe_step, "stateful"),
    serial_linker.NAME: Step(serial_linker.serial_linker_step, "indexed", serial_linker.SerialTable),
    manufacturer.NAME: Step(stage_step(manufacturer.STAGE), "batch"),
    wholesaler.NAME: Step(stage_step(wholesaler.STAGE), "batch"),
    dealer.NAME: Step(stage_step(dealer.STAGE), "batch"),
    dealer_oob.NAME: Step(stage_step(dealer_oob.STAGE), "batch"),
    purchaser.NAME: Step(stage_step(purchaser.STAGE), "batch"),
    express.NAME: Step(express.express_batch, "batch"),
    sink.NAME: Step(sink.sink_batch, "batch"),
}


def _raw_topic(app: faust.App, settings: Settings, name: str) -> faust.TopicT:
    return app.topic(settings.topic(name), key_type=bytes, value_type=bytes, key_serializer="raw",
                     value_serializer="raw", partitions=settings.partitions)


def _input(app: faust.App, settings: Settings, physical: list[str]) -> faust.TopicT:
    """One consumed stream over `physical` topics, records as raw bytes."""
    return app.topic(*physical, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
                     partitions=settings.partitions)


def _agent_name(processor_name: str, lane: int) -> str:
    """Lane 0 is the processor's main agent; lane 1 its urgent lane."""
    return processor_name if lane == 0 else f"{processor_name}-urgent"


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
    faust_fixes.install()
    spec: ProcessorSpec = processor(name)
    step = STEPS[name]
    app = faust.App(
        settings.group(name),
        **clients.faust_options(settings, principals.processor(name)),  # broker (and its SCRAM login)
        store=TABLE_STORE_URLS[settings.table_store],
        datadir=str(settings.tables_dir / settings.group(name)),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger=PRODUCER_LINGER_S,
        web_enabled=False,
        # Workers are stopped crash-only (supervisor.stop_workers): a short session lets the group drop a
        # killed member in seconds instead of a minute.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        broker_max_poll_records=LANE_MAX_POLL_RECORDS if spec.urgent_reads else None,
    )
    inputs = [settings.topic(t.name) for t in (spec.reads, *spec.also_reads)]
    urgent_inputs = [settings.topic(spec.urgent_reads.name)] if spec.urgent_reads else []
    if spec.reads == SEIZURES_RAW and settings.kafka_scram:  # intake also reads every agency's own topics
        agencies = agency_topics.agency_topics_present(settings, principals.processor(name))
        inputs += [topic for topic in agencies if not is_urgent_lane(topic)]
        urgent_inputs += [topic for topic in agencies if is_urgent_lane(topic)]
        agency_topics.restart_on_new_agency(app, settings, principals.processor(name), agencies)
    sources = [_input(app, settings, inputs)]
    if urgent_inputs:  # the urgent lane: a second agent, with its own buffer and turn on the event loop
        sources.append(_input(app, settings, urgent_inputs))
        urgent_first.serve_urgent_first(app, urgent_inputs)  # and its fetched records go first
    outputs = {topic.name: _raw_topic(app, settings, topic.name) for topic in TOPICS}  # declared for faust
    physical = {name: topic.get_topic_name() for name, topic in outputs.items()}

    async def send_all(produced: list[Outgoing]) -> None:
        # Straight to faust's producer: the same aiokafka send (queued, not awaited to delivery) without the
        # Topic/Channel machinery around each record, which cost more than the send itself. Guarantee unchanged:
        # faust flushes the producer before committing offsets (see docs/ARCHITECTURE.md, section 4).
        for out in produced:
            await app.producer.send(physical[out.topic], out.key, out.value, None, None, None)

    observe = install_metrics(app, settings, spec)  # /metrics server + snapshots; the agent's one metrics hook
    if step.kind == "batch":
        # The connection reports each PostgreSQL error it retries to the observer's callback (the ops layer).
        db = RetryingConnection(settings, on_error=observe.database_error)
        for lane, source in enumerate(sources):
            _attach_batch_agent(app, source, _agent_name(name, lane), step.function, settings, send_all, observe, db)
        return app
    table = None
    view: Any = None
    if step.kind in ("stateful", "indexed"):
        if spec.table is None:
            raise ConfigError(f"processor {name!r} is stateful but pipeline/topology.py declares no table for it")
        # key_type=bytes makes faust keep keys raw in the changelog (else it JSON-decodes them on recovery);
        # values are JSON.
        table = app.Table(spec.table, default=None, partitions=settings.partitions, key_type=bytes,
                          options=dict(ROCKSDB_OPTIONS) if settings.table_store == "rocksdb" else None)
    if step.kind == "indexed" and step.view is not None and table is not None:
        view = step.view(table)

        @table.on_recover
        async def rebuild_view() -> None:
            view.rebuild()

    def attach_record_agent(source: faust.TopicT, agent_name: str) -> None:
        @app.agent(source, name=agent_name)
        async def move_records(stream: faust.StreamT) -> None:
            async for event in stream.events():
                incoming = _incoming(event.message)
                started = time.perf_counter()
                try:
                    if view is not None:
                        produced = step.function(view, incoming)
                    elif table is None:
                        produced = step.function(incoming)
                    else:
                        state, produced = step.function(table.get(incoming.key), incoming)
                        table[incoming.key] = state
                except Exception as exc:  # noqa: BLE001 - a poison record must not stop the worker
                    produced = poison(incoming, exc, name)
                await send_all(produced)
                observe(incoming, produced, time.perf_counter() - started)
                if lanes > 1:
                    # A buffered stream and a queued send need not suspend: give the other lane its turn.
                    await asyncio.sleep(0)

    lanes = len(sources)
    for lane, source in enumerate(sources):
        attach_record_agent(source, _agent_name(name, lane))
    return app


def _attach_batch_agent(app: faust.App, source: faust.TopicT, name: str, function: BatchStep, settings: Settings,
                        send_all: Callable[[list[Outgoing]], Any], observe: Callable[..., None],
                        db: RetryingConnection) -> None:
    """An agent that hands batches to `function` in a worker thread (psycopg2 blocks), so lookups and
    writes cost one round trip per batch, on `db`. A batch that fails is retried record by record, and only
    the records that still fail become dead letters."""

    def run_isolated(batch: list[Incoming]) -> list[list[Outgoing]]:
        try:
            return function(batch, db, settings)
        except Exception:  # noqa: BLE001 - find the poison record(s) one by one
            produced: list[list[Outgoing]] = []
            for incoming in batch:
                try:
                    produced += function([incoming], db, settings)
                except Exception as exc:  # noqa: BLE001
                    produced.append(poison(incoming, exc, name))
            return produced

    @app.agent(source, name=name)
    async def move_batches(stream: faust.StreamT[Any]) -> None:
        # faust hands agents a Stream; only its protocol StreamT is annotated, and it lacks take_events.
        async for events in cast(faust.Stream[Any], stream).take_events(BATCH_SIZE, within=BATCH_WITHIN_S):
            batch = [_incoming(event.message) for event in events]
            started = time.perf_counter()
            produced = await asyncio.get_running_loop().run_in_executor(None, run_isolated, batch)
            seconds = (time.perf_counter() - started) / len(batch)
            for incoming, outputs_of_record in zip(batch, produced, strict=True):
                await send_all(outputs_of_record)
                observe(incoming, outputs_of_record, seconds)
