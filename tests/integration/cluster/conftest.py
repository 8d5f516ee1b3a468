"""The shared cluster of the cluster tests: one private three-node SCRAM cluster for the whole session."""

from __future__ import annotations

import time

import pytest

from tests.integration.cluster.private_cluster import private_cluster


@pytest.fixture(scope="session")
def cluster(stack, settings, tmp_path_factory):
    """Settings of a running private 3-node cluster (security scram, replication 3, min.insync.replicas 2),
    sharing the session's PostgreSQL. A test that kills nodes starts them again before it ends."""
    began = time.monotonic()
    with private_cluster(settings, tmp_path_factory.mktemp("cluster") / "state") as running:
        print(f"\nprivate 3-node SCRAM cluster up in {time.monotonic() - began:.1f} s on {running.kafka_bootstrap}")
        yield running
