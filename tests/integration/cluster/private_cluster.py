"""A private three-node SCRAM cluster beside the session's stack: its own state folder and ports (the session's
+ CLUSTER_PORT_OFFSET, + 100 per node), the session's PostgreSQL, every declared topic, every principal
provisioned. Tests may kill its nodes; it is stopped and deleted at the end."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.settings import Secret, Settings
from pipeline.stack import kafka, local

CLUSTER_PORT_OFFSET = 300  # the session's nodes use +0, +100, +200 (with TRACEPIPE_KAFKA_NODES=3)
NODE_HEAP = "384m"


def cluster_settings(base: Settings, state_dir: Path) -> Settings:
    """`base` (same PostgreSQL, namespace, language) turned into a private 3-node SCRAM cluster in `state_dir`."""
    return base.with_changes(
        state_dir=state_dir, kafka_port=base.kafka_port + CLUSTER_PORT_OFFSET,
        kafka_controller_port=base.kafka_controller_port + CLUSTER_PORT_OFFSET, kafka_bootstrap_override="",
        kafka_nodes=3, kafka_security="scram", replication=3, kafka_heap=NODE_HEAP,
        kafka_user="", kafka_password=Secret(""), kafka_credentials_override="", metrics_base_port=0,
    )


@contextmanager
def private_cluster(base: Settings, state_dir: Path) -> Iterator[Settings]:
    """Start the cluster (topics ensured, principals provisioned), yield its settings, stop and delete it."""
    cluster = cluster_settings(base, state_dir)
    kafka.share_jars(base, cluster)
    try:
        local.kafka_up(cluster)
        yield cluster
    finally:
        kafka.stop(cluster)
        shutil.rmtree(state_dir, ignore_errors=True)
