"""Consumer lag against the real broker: our figures equal the known truth and Kafka's own consumer-groups tool."""

from __future__ import annotations

import io
import json
import subprocess
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata
from rich.console import Console

from pipeline.ops.lag.cli import lag_command
from pipeline.ops.lag.report import read_lag_report
from pipeline.paths import require_executable
from pipeline.stack.kafka import JAVA_HINT, KafkaPaths
from pipeline.stack.topics import admin_client
from pipeline.topology import PROCESSORS

PRODUCED = {0: 10, 1: 20, 2: 30}
COMMITTED = {0: 3, 1: 0, 2: 30}  # p1: committed at 0 (a real commit), p2: caught up
AGE_OF_FIRST_RECORD_S = 250  # record at offset o is (250 − o) seconds old


@pytest.fixture
def topics_to_drop(stack, settings):
    """Topics and groups a test creates, deleted afterwards so the shared broker does not fill up."""
    topics, groups = [], []
    yield topics, groups
    admin = admin_client(settings)
    try:
        if groups:
            admin.delete_groups(groups)
        if topics:
            admin.delete_topics(topics)
    finally:
        admin.close()


def create_topic(settings, name, partitions, cleanup):
    admin = admin_client(settings)
    try:
        admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        admin.close()
    cleanup[0].append(name)


def produce(settings, topic, counts, first_record_age_s=AGE_OF_FIRST_RECORD_S):
    """counts[p] records into partition p; the record at offset o is (first_record_age_s − o) seconds old."""
    base_ms = int(time.time() * 1000) - first_record_age_s * 1000
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for partition, count in counts.items():
        for offset in range(count):
            producer.send(topic, value=f"{partition}:{offset}".encode(), partition=partition,
                          timestamp_ms=base_ms + offset * 1000)
    producer.flush()
    producer.close()


def consume_and_commit(settings, group, topic, counts):
    """Read exactly counts[p] records of each partition p with `group`, then commit those positions."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    tps = {partition: TopicPartition(topic, partition) for partition in counts}
    consumer.assign(list(tps.values()))
    read = {partition: 0 for partition in counts}
    for partition, tp in tps.items():
        consumer.seek(tp, 0)
        if counts[partition] == 0:
            consumer.pause(tp)
    deadline = time.monotonic() + 30
    while any(read[p] < counts[p] for p in counts) and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=1000, max_records=5).items():
            read[tp.partition] += len([r for r in records if r.offset < counts[tp.partition]])
            if read[tp.partition] >= counts[tp.partition]:
                consumer.pause(tp)
    assert read == counts
    consumer.commit({tps[p]: OffsetAndMetadata(counts[p], "", -1) for p in counts})
    consumer.close()


def kafka_tool_describe(settings, group):
    """{(topic, partition): (CURRENT-OFFSET, LOG-END-OFFSET, LAG)} as Kafka's ConsumerGroupCommand prints them."""
    java = require_executable(settings.java, JAVA_HINT)
    result = subprocess.run(
        [java, "-cp", f"{KafkaPaths.of(settings).lib}/*",
         "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
         "--bootstrap-server", settings.kafka_bootstrap, "--describe", "--group", group],
        capture_output=True, text=True, timeout=120, check=True,
    )
    lines = result.stdout.splitlines()
    header = next(line.split() for line in lines if line.split()[:2] == ["GROUP", "TOPIC"])
    table = {}
    for line in lines:
        row = dict(zip(header, line.split(), strict=False))
        if row.get("GROUP") == group and len(line.split()) == len(header):
            number = lambda text: None if text == "-" else int(text)  # noqa: E731
            table[(row["TOPIC"], int(row["PARTITION"]))] = (
                number(row["CURRENT-OFFSET"]), number(row["LOG-END-OFFSET"]), number(row["LAG"]))
    return table


@pytest.fixture
def lagging_group(settings, unique_name, topics_to_drop):
    """A 3-partition topic with 10/20/30 old records and a group that committed 3/0/30: lag 7/20/0."""
    topic, group = unique_name, f"{unique_name}-group"
    create_topic(settings, topic, len(PRODUCED), topics_to_drop)
    topics_to_drop[1].append(group)
    produce(settings, topic, PRODUCED)
    consume_and_commit(settings, group, topic, COMMITTED)
    return topic, group


def test_lag_equals_known_truth_and_kafkas_consumer_groups_tool(settings, lagging_group):
    topic, group = lagging_group
    report = read_lag_report(settings, [group])
    ours = {(row.topic, row.partition): (row.committed, row.log_end, row.lag) for row in report.partitions}

    truth = {(topic, p): (COMMITTED[p], PRODUCED[p], PRODUCED[p] - COMMITTED[p]) for p in PRODUCED}
    assert ours == truth == {(topic, 0): (3, 10, 7), (topic, 1): (0, 20, 20), (topic, 2): (30, 30, 0)}
    assert ours == kafka_tool_describe(settings, group)

    (total,) = report.groups
    assert (total.group, total.partitions, total.lag, total.state) == (group, 3, 27, "Empty")
    assert report.stages == ()  # not a pipeline stage's group


def test_seconds_behind_is_the_age_of_the_record_at_the_committed_offset(settings, lagging_group):
    _, group = lagging_group
    before = time.time()
    report = read_lag_report(settings, [group])
    slack = time.time() - before + 30  # time the fixture and this read took, plus generous margin
    behind = {row.partition: row.seconds_behind for row in report.partitions}
    assert behind[2] == 0.0  # caught up
    for partition in (0, 1):
        expected = AGE_OF_FIRST_RECORD_S - COMMITTED[partition]  # record at the committed offset
        assert expected <= behind[partition] < expected + slack, (partition, behind)
        assert 120 <= behind[partition] < 300
    assert behind[1] - behind[0] == pytest.approx(3, abs=0.01)  # offsets 0 and 3 are 3 s apart
    assert report.groups[0].seconds_behind == behind[1]


def test_cli_json_output(settings, lagging_group):
    topic, group = lagging_group
    output = io.StringIO()
    lag_command(settings, [group], True, None, Console(file=output, width=80))
    document = json.loads(output.getvalue())
    assert list(document) == ["taken_at", "partitions", "groups", "stages"]
    assert [(row["topic"], row["partition"], row["committed"], row["log_end"], row["lag"])
            for row in document["partitions"]] == [(topic, 0, 3, 10, 7), (topic, 1, 0, 20, 20), (topic, 2, 30, 30, 0)]
    assert document["groups"] == [{"group": group, "state": "Empty", "partitions": 3, "lag": 27,
                                   "seconds_behind": document["partitions"][1]["seconds_behind"]}]


def test_cli_table_in_spanish(settings, lagging_group):
    _, group = lagging_group
    output = io.StringIO()
    lag_command(settings.with_changes(lang="es"), [group], False, None, Console(file=output, width=200))
    text = output.getvalue()
    assert "Retraso de consumo por partición" in text and "confirmado" in text and "27" in text


def test_stage_totals_count_the_input_topic_from_the_log_start_and_skip_changelogs(
        settings, unique_name, topics_to_drop):
    staged = settings.with_changes(namespace=f"{unique_name}.")
    group, source = staged.group("dedupe"), staged.topic("seizures.enriched")
    changelog = f"{group}-firearms-changelog"
    create_topic(staged, source, 2, topics_to_drop)
    create_topic(staged, changelog, 1, topics_to_drop)
    topics_to_drop[1].append(group)
    produce(staged, source, {0: 4, 1: 6})
    produce(staged, changelog, {0: 5})
    consume_and_commit(staged, group, source, {0: 1})  # p1 never committed
    consume_and_commit(staged, group, changelog, {0: 2})
    admin = admin_client(staged)
    admin.delete_records({TopicPartition(source, 1): 2})  # retention-like: log start of p1 moves to 2
    admin.close()

    report = read_lag_report(staged, [f"{unique_name}.*"])

    rows = {(row.topic, row.partition): (row.committed, row.log_start, row.log_end, row.lag, row.changelog)
            for row in report.partitions}
    assert rows == {(source, 0): (1, 0, 4, 3, False), (source, 1): (None, 2, 6, 4, False),
                    (changelog, 0): (2, 0, 5, 3, True)}
    stages = {stage.stage: stage for stage in report.stages}
    assert len(stages) == len(PROCESSORS)  # every stage group, even those whose input topic does not exist
    dedupe = stages["dedupe"]
    assert (dedupe.topic, dedupe.lag, dedupe.never_committed, dedupe.partitions) == (source, 3 + 4, 1, 2)
    assert AGE_OF_FIRST_RECORD_S - 2 <= dedupe.seconds_behind < 300  # p1 counted from offset 2, p0 from 1
    assert all(stage.lag == 0 and stage.partitions == 0 for name, stage in stages.items() if name != "dedupe")
    assert {g.group: g.lag for g in report.groups}[group] == 3 + 4 + 3  # the group total includes its changelog

    admin = admin_client(staged)
    assert staged.topic("seizures.raw") not in admin.list_topics()  # reading lag never auto-creates topics
    admin.close()
