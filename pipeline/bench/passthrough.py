"""Pass-through workers for the ceiling: forward every record of one topic to the next, doing nothing else.

`python -m pipeline.bench.passthrough faust|aiokafka SOURCE SINK GROUP` runs one hop. A chain of them with the
pipeline's hops says what the client stack itself allows on this broker and machine, so the pipeline's
throughput can be read as a share of it rather than in a vacuum:

* `faust`: a faust app configured as `pipeline.worker.app.build_app` configures every processor (at-least-once,
  acks=-1, memory store, the same session timeouts, the seek fix), with one agent that sends each event on,
  as the per-record processors' agents do;
* `aiokafka`: the plain client faust is built on, in a `getmany` + `send` loop that waits for the batch's
  deliveries before committing it (the least an at-least-once hop must do).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from pipeline.kafka_access import clients, principals
from pipeline.settings import Settings
from pipeline.worker import faust_fixes
from pipeline.worker.lifeline import die_with_supervisor

CLIENTS = ("faust", "aiokafka")


def faust_passthrough(settings: Settings, source: str, sink: str, group: str) -> None:
    """Run a faust worker forwarding `source` to `sink` until killed."""
    faust_fixes.install()
    app = faust.App(
        group,
        **clients.faust_options(settings, principals.ADMIN),
        store="memory://",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        web_enabled=False,
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
    )
    raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw",
                           "value_serializer": "raw", "partitions": settings.partitions}
    inbound, outbound = app.topic(source, **raw), app.topic(sink, **raw)

    @app.agent(inbound, name="passthrough")
    async def forward(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await outbound.send(key=event.message.key, value=event.message.value)

    faust.Worker(app, loglevel=settings.worker_log_level, quiet=True).execute_from_commandline()


async def aiokafka_passthrough(settings: Settings, source: str, sink: str, group: str) -> None:
    """Forward `source` to `sink` with aiokafka until killed: a batch is committed once its copies are acked."""
    consumer = AIOKafkaConsumer(source, **clients.client_options(settings, principals.ADMIN), group_id=group,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                session_timeout_ms=10_000, heartbeat_interval_ms=3_000)
    producer = AIOKafkaProducer(**clients.client_options(settings, principals.ADMIN), acks="all")
    await consumer.start()
    await producer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            deliveries = [await producer.send(sink, message.value, key=message.key)
                          for messages in batches.values() for message in messages]
            if deliveries:
                await asyncio.gather(*deliveries)
                await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


if __name__ == "__main__":
    die_with_supervisor(os.environ)
    client, source_topic, sink_topic, group_id = sys.argv[1:5]
    configured = Settings.from_env()
    if client == "faust":
        faust_passthrough(configured, source_topic, sink_topic, group_id)
    elif client == "aiokafka":
        asyncio.run(aiokafka_passthrough(configured, source_topic, sink_topic, group_id))
    else:
        raise SystemExit(f"unknown client {client!r}; choose from {', '.join(CLIENTS)}")
