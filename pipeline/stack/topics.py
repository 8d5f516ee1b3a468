"""Create the declared topics idempotently, and describe them as the broker sees them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from pipeline.errors import StackError
from pipeline.kafka_access import clients, principals
from pipeline.settings import Settings
from pipeline.topology import PROCESSORS, TOPICS, TopicSpec


@dataclass(frozen=True)
class TopicState:
    """A topic as the broker reports it."""

    name: str
    partitions: int
    configs: dict[str, str]


def admin_client(settings: Settings) -> KafkaAdminClient:
    """An admin client for the configured cluster (the caller closes it)."""
    return clients.admin_client(settings, principals.ADMIN, client_id="tracepipe-admin")


def min_insync_replicas(replication: int) -> int:
    """With three or more replicas an acks=all write needs two in sync: one broker may fail, none is lost."""
    return 2 if replication >= 3 else 1


def new_topic(spec: TopicSpec, settings: Settings) -> NewTopic:
    """The admin request that creates `spec` with the configured partitions and replication."""
    return NewTopic(
        name=settings.topic(spec.name),
        num_partitions=spec.partitions or settings.partitions,
        replication_factor=settings.replication,
        topic_configs={**spec.configs(), **_durability(settings)},
    )


def table_changelogs(settings: Settings, specs: tuple[TopicSpec, ...] = TOPICS) -> list[NewTopic]:
    """faust's changelog topic of each table whose input is among `specs`: compacted, partitioned as that input.

    Created here, before any worker starts: a worker left to declare its own changelog races the cluster's
    metadata, and on three brokers faust may still see the topic missing and then fail every table write
    with PartitionsMismatch. faust names it "<app id>-<table>-changelog" (app id = the processor's group).
    """
    return [
        NewTopic(
            name=f"{settings.group(spec.name)}-{spec.table}-changelog",
            num_partitions=spec.reads.partitions or settings.partitions,
            replication_factor=settings.replication,
            topic_configs={**TopicSpec(spec.table, "changelog", compacted=True).configs(),
                           **_durability(settings)},
        )
        for spec in PROCESSORS
        if spec.table is not None and spec.reads in specs
    ]


def _durability(settings: Settings) -> dict[str, str]:
    return {"min.insync.replicas": str(min_insync_replicas(settings.replication))} if settings.replication >= 3 else {}


def ensure_topics(settings: Settings, specs: tuple[TopicSpec, ...] = TOPICS) -> tuple[list[str], list[str]]:
    """Create every declared topic that is missing, and the changelogs of the tables that read them;
    returns (created, already present) as physical names."""
    wanted = [new_topic(spec, settings) for spec in specs] + table_changelogs(settings, specs)
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        created: list[str] = []
        for topic in wanted:
            if topic.name in existing:
                continue
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # another process created it between our list and create: fine
        return created, [topic.name for topic in wanted if topic.name not in created]
    finally:
        admin.close()


def list_topics(settings: Settings) -> list[str]:
    """Every topic on the cluster (physical names)."""
    admin = admin_client(settings)
    try:
        return sorted(admin.list_topics())
    finally:
        admin.close()


def delete_topics(settings: Settings, names: list[str], batch: int = 200) -> None:
    """Delete topics by physical name (tests remove their namespaces so a long-lived broker does not fill up)."""
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        doomed = sorted(set(names) & existing)
        for start in range(0, len(doomed), batch):
            admin.delete_topics(doomed[start:start + batch], timeout_ms=60_000)
    finally:
        admin.close()


def describe_topics(settings: Settings, names: list[str]) -> dict[str, TopicState]:
    """Partition count and topic-level (non-default) configs of each named topic."""
    admin = admin_client(settings)
    try:
        partitions = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(names)}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        by_topic = admin.describe_configs(resources).get("topic", {})
        return {
            name: TopicState(
                name,
                partitions.get(name, 0),
                {key: entry["value"] for key, entry in by_topic.get(name, {}).items()},
            )
            for name in names
        }
    finally:
        admin.close()


def wait_for_group_coordinator(settings: Settings, timeout_s: float = 60.0) -> None:
    """Block until the broker can coordinate consumer groups.

    A fresh broker creates its offsets topic on the first group request and answers
    CoordinatorNotAvailable until it is ready; waiting here keeps that out of every later command.
    """
    deadline = time.monotonic() + timeout_s
    admin = admin_client(settings)
    try:
        while True:
            try:
                admin.list_group_offsets(f"{settings.namespace}tracepipe-warmup")
                return
            except KafkaError as exc:
                if time.monotonic() > deadline:
                    raise StackError(f"the broker cannot coordinate consumer groups yet: {exc}") from exc
                time.sleep(0.5)
    finally:
        admin.close()


def read_all(settings: Settings, physical_topic: str) -> list[tuple[bytes | None, bytes]]:
    """Every record now on a topic, from the beginning (for summaries and tests, not for processing)."""
    consumer = clients.consumer(settings, principals.ADMIN, enable_auto_commit=False)
    try:
        parts = partitions_of(consumer, physical_topic)
        if not parts:
            return []
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        records: list[tuple[bytes | None, bytes]] = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend((message.key, message.value) for message in batch)
        return records
    finally:
        consumer.close()


def partitions_of(consumer: Any, physical_topic: str, wait_s: float = 15.0) -> list[Any]:
    """The topic's partitions as TopicPartitions, waiting for metadata: a fresh client answers None until it
    has fetched it, and treating that as "no partitions" would read (or count) nothing."""
    from kafka import TopicPartition

    deadline = time.monotonic() + wait_s
    while (partitions := consumer.partitions_for_topic(physical_topic)) is None and time.monotonic() < deadline:
        consumer.topics()  # forces a metadata refresh
        time.sleep(0.2)
    return [TopicPartition(physical_topic, p) for p in sorted(partitions or ())]
