"""The local broker is a real Kafka: records round-trip, declared topics exist as declared."""

from __future__ import annotations

from kafka.admin import NewTopic

from pipeline.kafka_access import clients, principals
from pipeline.stack.topics import admin_client, describe_topics, ensure_topics
from pipeline.topology import PROCESSORS, TOPICS


def test_produce_and_consume_round_trip(stack, settings, unique_name):
    admin = admin_client(settings)
    admin.create_topics([NewTopic(unique_name, num_partitions=3, replication_factor=1)])
    admin.close()
    producer = clients.producer(settings, principals.ADMIN, acks="all")
    sent = {f"key-{i}".encode(): f"value-{i}".encode() for i in range(50)}
    for key, value in sent.items():
        producer.send(unique_name, key=key, value=value)
    producer.flush()
    producer.close()

    consumer = clients.consumer(settings, principals.ADMIN, unique_name, group_id=unique_name,
                                auto_offset_reset="earliest", consumer_timeout_ms=10_000)
    received = {}
    for message in consumer:
        received[message.key] = message.value
        if len(received) == len(sent):
            break
    consumer.close()
    assert received == sent


def test_every_declared_topic_exists_with_declared_partitions_and_configs(stack, settings):
    states = describe_topics(settings, [settings.topic(spec.name) for spec in TOPICS])
    for spec in TOPICS:
        state = states[settings.topic(spec.name)]
        assert state.partitions == (spec.partitions or settings.partitions), spec.name
        for key, value in spec.configs().items():
            assert state.configs.get(key) == value, (spec.name, key)
    assert states[settings.topic("traces.completed")].configs["cleanup.policy"] == "compact"


def test_ensure_topics_is_idempotent(stack, settings):
    created, present = ensure_topics(settings)
    assert created == []
    changelogs = [f"{settings.group(spec.name)}-{spec.table}-changelog" for spec in PROCESSORS if spec.table]
    assert sorted(present) == sorted([settings.topic(spec.name) for spec in TOPICS] + changelogs)


def test_each_table_changelog_exists_before_any_worker_compacted_and_partitioned_as_its_input(stack, settings):
    tables = [spec for spec in PROCESSORS if spec.table]
    assert {spec.name for spec in tables} == {"dedupe", "serial_linker"}
    states = describe_topics(settings, [f"{settings.group(spec.name)}-{spec.table}-changelog" for spec in tables])
    for spec in tables:
        state = states[f"{settings.group(spec.name)}-{spec.table}-changelog"]
        assert state.partitions == (spec.reads.partitions or settings.partitions) > 0, spec.name
        assert state.configs["cleanup.policy"] == "compact", spec.name
