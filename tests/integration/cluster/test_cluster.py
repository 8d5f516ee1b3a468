"""The production-shaped Kafka: three KRaft nodes with SCRAM logins and the standard authorizer.

One cluster for the module (the `cluster` fixture). The SCRAM tests come first; the node-loss test last, and
it starts the nodes it killed again, so the cluster is whole for whoever uses it next.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    NotEnoughReplicasAfterAppendError,
    NotEnoughReplicasError,
    RequestTimedOutError,
)

from pipeline.kafka_access import clients, credentials, principals
from pipeline.paths import PROJECT_ROOT
from pipeline.stack import kafka
from pipeline.stack.topics import describe_topics
from pipeline.topology import TOPICS

# How a broker refuses an acks=all write it cannot replicate: at once when too few replicas are in sync, or by
# never acknowledging it while the ISR still names a dead follower.
NOT_ACKNOWLEDGED = (NotEnoughReplicasError, NotEnoughReplicasAfterAppendError, RequestTimedOutError, KafkaTimeoutError)
QUICK = {"request_timeout_ms": 3_000, "bootstrap_timeout_ms": 3_000}  # a refused client fails fast


def _partitions(cluster, topic: str, field: str) -> dict[int, list[int]]:
    """Per partition, the broker ids of `field` (replica_nodes or isr_nodes) as the metadata says now."""
    admin = clients.admin_client(cluster, principals.ADMIN)
    try:
        [described] = admin.describe_topics([topic])
        return {p["partition_index"]: sorted(p[field]) for p in described["partitions"]}
    finally:
        admin.close()


def test_the_cluster_answers_with_three_brokers(cluster):
    assert kafka.brokers_answering(cluster) == {1, 2, 3}
    assert [(name, running) for name, running, _ in kafka.node_status(cluster)] == [
        ("kafka-0", True), ("kafka-1", True), ("kafka-2", True)]


def test_pipeline_topics_have_three_replicas_and_need_two_in_sync(cluster):
    names = [cluster.topic(spec.name) for spec in TOPICS]
    states = describe_topics(cluster, names)
    for name in names:
        assert states[name].configs.get("min.insync.replicas") == "2", name
        assert all(len(replicas) == 3 for replicas in _partitions(cluster, name, "replica_nodes").values()), name


def test_a_client_without_sasl_gets_nothing(cluster):
    with pytest.raises(KafkaError):
        KafkaAdminClient(bootstrap_servers=cluster.kafka_bootstrap, **QUICK).describe_cluster()


def test_a_wrong_password_is_refused(cluster):
    options = {**clients.client_options(cluster, principals.ADMIN), "sasl_plain_password": "not-the-password"}
    with pytest.raises(KafkaError):
        KafkaAdminClient(**options, **QUICK).describe_cluster()


def test_the_admin_logs_in_and_sees_every_broker(cluster):
    admin = clients.admin_client(cluster, principals.ADMIN, **QUICK)
    try:
        assert {b["broker_id"] for b in admin.describe_cluster()["brokers"]} == {1, 2, 3}
    finally:
        admin.close()


def test_no_password_reaches_a_broker_log_or_stack_status(cluster):
    env = {**os.environ, "COLUMNS": "200", "TRACEPIPE_STATE_DIR": str(cluster.state_dir),
           "TRACEPIPE_KAFKA_PORT": str(cluster.kafka_port),
           "TRACEPIPE_KAFKA_CONTROLLER_PORT": str(cluster.kafka_controller_port),
           "TRACEPIPE_KAFKA_NODES": "3", "TRACEPIPE_KAFKA_SECURITY": "scram", "TRACEPIPE_PG_PORT": str(cluster.pg_port)}
    env.pop("TRACEPIPE_KAFKA_BOOTSTRAP", None)
    status = subprocess.run([sys.executable, "-m", "pipeline.cli", "stack", "status"], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=False, timeout=120)
    # (exit 1: the session's PostgreSQL keeps its pid file in the session's state folder, not this one)
    assert sum("kafka-" in line and "running" in line for line in status.stdout.splitlines()) == 3, status.stdout
    passwords = [p.reveal() for p in credentials.known(cluster.kafka_credentials_file).values()]
    assert principals.ADMIN in credentials.known(cluster.kafka_credentials_file) and passwords
    logs = {path: path.read_text(errors="replace") for i in kafka.nodes(cluster)
            for path in kafka.KafkaPaths.of(cluster, i).node_root.glob("*.log")}
    assert len(logs) == 3 and all(logs.values())
    for password in passwords:
        assert password not in status.stdout + status.stderr
        assert not [path for path, text in logs.items() if password in text]
    assert oct(cluster.kafka_credentials_file.stat().st_mode & 0o777) == "0o600"
    assert oct(kafka.KafkaPaths.of(cluster, 0).config.stat().st_mode & 0o777) == "0o600"


def _wait_until(check, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout_s:.0f} s: {what}"
        time.sleep(0.5)


def test_acks_all_survives_one_lost_node_is_refused_with_two_and_the_nodes_rejoin(cluster, unique_name):
    def isr() -> list[int] | None:
        try:
            return _partitions(cluster, unique_name, "isr_nodes")[0]
        except KafkaConnectionError:  # the admin asked a node that is down but still in the metadata: ask again
            return None

    admin = clients.admin_client(cluster, principals.ADMIN)
    try:  # leader on node 1 (index 0): the victims are the followers, so no leader election muddles the story
        admin.create_topics([NewTopic(unique_name, replica_assignments={0: [1, 2, 3]},
                                      topic_configs={"min.insync.replicas": "2"})])
    finally:
        admin.close()
    producer = clients.producer(cluster, principals.ADMIN, acks="all", enable_idempotence=True,
                                request_timeout_ms=5_000, delivery_timeout_ms=30_000, max_block_ms=30_000)
    try:
        producer.send(unique_name, b"all three").get(timeout=60)
        kafka.lose_node(cluster, 2)  # gone for good, data and all: it must come back from its peers
        # The leader waits for the dead follower until the controller fences it (broker session timeout),
        # then two replicas in sync are enough.
        assert producer.send(unique_name, b"one down").get(timeout=90).offset == 1
        _wait_until(lambda: isr() == [1, 2], 60, "the ISR shrinks to the two alive")
        assert kafka.kill_node(cluster, 1) is not None
        # Two of three combined nodes gone: the KRaft quorum is lost with them, so the ISR cannot shrink to
        # the leader alone; the leader waits for its dead follower and the write is never acknowledged.
        with pytest.raises(KafkaError) as refused:
            producer.send(unique_name, b"two down").get(timeout=90)
        assert isinstance(refused.value, NOT_ACKNOWLEDGED), repr(refused.value)
    finally:
        producer.close(timeout=5)
        for index in (1, 2):
            if kafka.node_pid(cluster, index) is None:
                kafka.start_node(cluster, index)
    _wait_until(lambda: isr() == [1, 2, 3], 120, "the restarted nodes rejoin the ISR")
    assert kafka.brokers_answering(cluster) == {1, 2, 3}
