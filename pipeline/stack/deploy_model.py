"""What every deployment (compose, Kubernetes, Strimzi) is made of: settings, agencies, principals, workers.

Pure. The deploy renderers (pipeline/stack/deploy_render.py) write these into deploy/, and
tests/unit/test_deploy_files.py holds the hand-written files to them.
"""

from __future__ import annotations

import re

from pipeline.kafka_access import principals as roles
from pipeline.settings import Settings
from pipeline.stack import kafka_acls
from pipeline.stack.kafka_security import submitting_agencies
from pipeline.topology import PROCESSORS, TOPICS, TopicSpec, agency_lanes
from pipeline.vocab.agencies import default_agencies

# Three brokers, replication 3 (so min.insync.replicas 2, pipeline/stack/topics.py), SCRAM, no topic
# namespace: the settings the deploy files give `tracepipe topics ensure` and `tracepipe kafka provision`.
DEPLOYED = Settings.from_env({"TRACEPIPE_KAFKA_NODES": "3", "TRACEPIPE_REPLICATION": "3",
                              "TRACEPIPE_KAFKA_BOOTSTRAP": "kafka:9092", "TRACEPIPE_KAFKA_SECURITY": "scram"})

# The worker containers (compose services, Kubernetes Deployments) and the processors each runs.
WORKER_GROUPS: dict[str, tuple[str, ...]] = {
    "worker-ingest": ("intake", "dedupe", "serial_linker"),
    "worker-stages": ("manufacturer", "wholesaler", "dealer", "dealer_oob", "purchaser", "express", "sink"),
}
if sorted(name for group in WORKER_GROUPS.values() for name in group) != sorted(spec.name for spec in PROCESSORS):
    raise RuntimeError("WORKER_GROUPS must run every processor of pipeline/topology.py exactly once")

_K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


def agency_ids() -> list[str]:
    """The agencies that may submit when a deployment starts: the built-in registry's, as provisioning takes them."""
    return submitting_agencies(default_agencies())


def deployed_principals() -> list[str]:
    """Every principal of a deployment, the super user first (pipeline/stack/kafka_acls.py)."""
    return kafka_acls.principals(agency_ids())


def deployed_topics() -> tuple[TopicSpec, ...]:
    """Every topic a deployment holds: the topology's, and each agency's submissions topics (both lanes)."""
    return (*TOPICS, *(lane for agency_id in agency_ids() for lane in agency_lanes(agency_id)))


def worker_principals(group: str) -> list[str]:
    """The principals a worker container runs as: one per processor, and `ops` for the stall watchdog
    that `tracepipe worker` runs beside them (it reads the processors' lag)."""
    return [*(roles.processor(name) for name in WORKER_GROUPS[group]), roles.OPS]


def k8s_name(name: str) -> str:
    """A Kafka name (topic, user) as a Kubernetes object name: lower case; ValueError if it cannot be one."""
    lowered = name.lower()
    if len(lowered) > 253 or not _K8S_NAME.fullmatch(lowered):
        raise ValueError(f"{name!r} cannot name a Kubernetes object (letters, digits, '-' and '.' only)")
    return lowered


def secret_name(principal: str) -> str:
    """The Secret holding a principal's password (key `password`): Strimzi's User Operator names it so too."""
    return f"kafka-{k8s_name(principal)}"


def password_variable(principal: str) -> str:
    """The compose `.env` variable holding a principal's password."""
    return "KAFKA_PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", principal.upper())
