"""The Kafka principals tracepipe knows: one per role, so each gets only the ACLs it needs.

Pure names; the broker-side users and ACLs are made by pipeline/stack/kafka_security.py.
"""

from __future__ import annotations

ADMIN = "admin"  # the super user: topic admin, provisioning, the broker's own inter-broker login
API = "api"  # the results API (submissions)
OPS = "ops"  # lag, drain, watchdog, dashboard: read offsets and group state
DOWNSTREAM = "downstream"  # consumers of completed traces outside the pipeline


def processor(name: str) -> str:
    """Principal of a topology processor's workers (`_` becomes `-`: Strimzi names a KafkaUser's Kubernetes
    object after its user, and those names take no underscore)."""
    return f"processor-{name.replace('_', '-')}"


AGENCY_PREFIX = "agency-"


def agency(agency_id: str) -> str:
    """Principal of an agency's own producer (its ingest topic)."""
    return f"{AGENCY_PREFIX}{agency_id}"


def agency_of(principal: str) -> str | None:
    """The agency id of an agency principal, or None for any other principal."""
    agency_id = principal.removeprefix(AGENCY_PREFIX)
    return agency_id if agency_id and agency_id != principal else None
