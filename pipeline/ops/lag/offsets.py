"""Kafka I/O for consumer lag: committed offsets, log start/end offsets and oldest-record timestamps.

Offsets come from the admin API (OffsetFetch, DescribeGroups, Metadata, ListOffsets), the same requests Kafka's
own kafka-consumer-groups tool makes. The age of the oldest unconsumed record needs the record itself (no
request maps an offset to its timestamp), so a group-less consumer assigns the lagging partitions, seeks each to
that offset and polls until every partition has delivered its first record or the time budget runs out; fetch
sizes are kept small, and each partition is paused once it has delivered one record.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, OffsetSpec
from kafka.errors import TopicAuthorizationFailedError

from pipeline.kafka_access import clients, principals
from pipeline.ops.lag.model import PartitionOffsets, Stage
from pipeline.settings import Settings

CLIENT_ID = "tracepipe-lag"
NO_COMMIT = -1  # what OffsetFetch returns for a partition the group never committed


def lag_admin(settings: Settings, timeout_s: float) -> KafkaAdminClient:
    """An admin client whose requests give up after `timeout_s` (the caller closes it)."""
    timeout_ms = int(timeout_s * 1000)
    return clients.admin_client(settings, principals.OPS, client_id=CLIENT_ID,
                                request_timeout_ms=timeout_ms, bootstrap_timeout_ms=timeout_ms)


def known_groups(admin: KafkaAdminClient) -> list[str]:
    """Every consumer group the cluster knows."""
    return [group["group_id"] for group in admin.list_groups()]


def _assigned(member: Mapping[str, Any]) -> Iterable[tuple[str, int]]:
    """(topic, partition) pairs in a member's decoded assignment; nothing if the broker gave undecodable bytes."""
    assignment = member.get("member_assignment")
    if not isinstance(assignment, Mapping):
        return ()
    return ((entry["topic"], partition) for entry in assignment.get("assigned_partitions") or ()
            for partition in entry["partitions"])


def _partitions_of(admin: KafkaAdminClient, topics: Iterable[str]) -> dict[str, list[int]]:
    """Partition ids of each existing topic; missing topics (not created yet, or deleted) are left out."""
    names = sorted(set(topics))
    if not names:
        return {}
    return {
        topic["name"]: sorted(partition["partition_index"] for partition in topic["partitions"])
        for topic in admin.describe_topics(names)
        if topic["error_code"] == 0
    }


def read_offsets(
    admin: KafkaAdminClient, groups: Sequence[str], stages: Sequence[Stage]
) -> tuple[list[PartitionOffsets], dict[str, str]]:
    """Offsets of every partition each group committed, is assigned, or (for a stage group) should read.

    Returns the offsets and each group's state (Stable, Empty, Dead = unknown to the cluster, ...).
    """
    if not groups:
        return [], {}
    committed: dict[str, dict[TopicPartition, int]] = {
        group: {tp: meta.offset for tp, meta in offsets.items() if meta.offset != NO_COMMIT}
        for group, offsets in admin.list_group_offsets({group: None for group in groups}).items()
    }
    descriptions = admin.describe_groups(list(groups))
    wanted: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for group in groups:
        wanted[group].update((tp.topic, tp.partition) for tp in committed.get(group, {}))
        for member in descriptions.get(group, {}).get("members") or ():
            wanted[group].update(_assigned(member))
    stage_topics = {stage.group: stage.topic for stage in stages if stage.group in groups}
    partitions = _partitions_of(admin, [topic for pairs in wanted.values() for topic, _ in pairs]
                                + list(stage_topics.values()))
    for group, topic in stage_topics.items():
        wanted[group].update((topic, partition) for partition in partitions.get(topic, ()))
    tps = {TopicPartition(topic, partition) for pairs in wanted.values() for topic, partition in pairs
           if partition in partitions.get(topic, ())}
    if not tps:
        return [], _states(descriptions, groups)
    starts = admin.list_partition_offsets({tp: OffsetSpec.EARLIEST for tp in tps})
    ends = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps})
    rows = [
        PartitionOffsets(group, tp.topic, tp.partition, committed.get(group, {}).get(tp),
                         starts[tp].offset, ends[tp].offset)
        for group in groups
        for tp in (TopicPartition(topic, partition) for topic, partition in wanted[group])
        if tp in tps
    ]
    return rows, _states(descriptions, groups)


def _states(descriptions: Mapping[str, Mapping[str, Any]], groups: Sequence[str]) -> dict[str, str]:
    return {group: descriptions.get(group, {}).get("group_state") or "Unknown" for group in groups}


def _rounds(targets: Iterable[tuple[str, int, int]]) -> list[dict[TopicPartition, int]]:
    """Split (topic, partition, offset) targets so each round seeks every partition at most once."""
    rounds: list[dict[TopicPartition, int]] = []
    for topic, partition, offset in sorted(set(targets)):
        tp = TopicPartition(topic, partition)
        free = next((round_ for round_ in rounds if tp not in round_), None)
        if free is None:
            free = {}
            rounds.append(free)
        free[tp] = offset
    return rounds


def read_record_timestamps(
    settings: Settings, targets: Iterable[tuple[str, int, int]], timeout_s: float
) -> dict[tuple[str, int, int], int]:
    """Timestamp (ms) of the first record at or after each (topic, partition, offset), within `timeout_s` overall.

    "At or after": on a compacted topic the exact offset may be gone. Targets not answered in time are missing
    from the result (their age shows as unknown), and so are all of them for a reader that may not read the
    topics (the results API's principal: offsets only, no records, pipeline/stack/kafka_acls.py).
    """
    rounds = _rounds(targets)
    if not rounds:
        return {}
    deadline = time.monotonic() + timeout_s
    consumer = clients.consumer(
        settings, principals.OPS, client_id=CLIENT_ID, group_id=None, enable_auto_commit=False,
        max_partition_fetch_bytes=16 * 1024, fetch_max_bytes=1024 * 1024, fetch_max_wait_ms=100,
        max_poll_records=500, request_timeout_ms=max(1000, int(timeout_s * 1000)),
        bootstrap_timeout_ms=max(1000, int(timeout_s * 1000)),
    )
    found: dict[tuple[str, int, int], int] = {}
    try:
        for targets_now in rounds:
            _poll_first_records(consumer, targets_now, deadline, found)
    except TopicAuthorizationFailedError:
        pass  # ages unknown: the counts still stand
    finally:
        consumer.close()
    return found


def _poll_first_records(consumer: KafkaConsumer, targets: dict[TopicPartition, int], deadline: float,
                        found: dict[tuple[str, int, int], int]) -> None:
    consumer.assign(list(targets))
    for tp, offset in targets.items():
        consumer.seek(tp, offset)
    pending = set(targets)
    while pending and (remaining := deadline - time.monotonic()) > 0:
        for tp, records in consumer.poll(timeout_ms=int(remaining * 1000)).items():
            if tp in pending and records:
                found[(tp.topic, tp.partition, targets[tp])] = records[0].timestamp
                pending.discard(tp)
                consumer.pause(tp)
