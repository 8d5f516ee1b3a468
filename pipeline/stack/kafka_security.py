"""Provision who may do what on a SCRAM-secured cluster: every principal's SCRAM-SHA-512 credentials, the
agencies' own submissions topics and the ACLs of pipeline/stack/kafka_acls.py.

Runs as the super user (`stack up` calls it after the topics; `tracepipe kafka` commands too). Idempotent:
credentials are set from the credentials file each time (the file is the truth, so a rotated password takes
effect), topics and ACLs that exist are left alone. It only adds: a principal's ACLs are never removed here.
Passwords go to the broker salted and hashed by the client (PBKDF2), and are never printed or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import StackError
from pipeline.kafka_access import clients, credentials, principals
from pipeline.settings import Secret, Settings
from pipeline.stack import kafka_acls
from pipeline.stack.kafka_acls import AclRule
from pipeline.stack.topics import ensure_topics
from pipeline.topology import agency_lanes
from pipeline.vocab.agencies import Accreditation, Agency, default_agencies

if TYPE_CHECKING:
    from kafka.admin import KafkaAdminClient

log = logging.getLogger(__name__)

SCRAM_ITERATIONS = 4096  # Kafka's minimum for SCRAM-SHA-512


@dataclass(frozen=True)
class ProvisionReport:
    """What one provisioning did (counts only: nothing secret)."""

    principals: int
    agency_topics_created: int
    acls_created: int
    acls_present: int


def submitting_agencies(agencies: Iterable[Agency]) -> list[str]:
    """The agencies that may submit (those that can hold accounts): every one but the not accredited."""
    return sorted(a.agency_id for a in agencies if a.accreditation is not Accreditation.NOT_ACCREDITED)


def registered_agency_ids(settings: Settings, strict: bool = False) -> list[str]:
    """The agencies that may submit, from the registry in PostgreSQL (admins add municipal ones there). If
    the database does not answer: the default agencies, or (`strict`) the driver's error."""
    import psycopg2

    from pipeline.accounts.registry import load_agencies

    try:
        conn = psycopg2.connect(settings.pg_dsn_as("admin"))
    except psycopg2.Error as exc:
        if strict:
            raise
        log.warning("agency registry unreachable (%s): provisioning the default agencies", type(exc).__name__)
        return submitting_agencies(default_agencies())
    try:
        return submitting_agencies(load_agencies(conn))
    finally:
        conn.close()


def agency_client_properties(settings: Settings, agency_id: str, path: Path) -> str:
    """Write the agency's client.properties (mode 0600: it holds the password) and return the topic it
    publishes to. Its principal's password comes from the credentials file, whoever runs this."""
    as_itself = settings.with_changes(kafka_user="", kafka_password=Secret(""))
    clients.java_client_config(as_itself, principals.agency(agency_id), path)
    topic, urgent = (settings.topic(lane.name) for lane in agency_lanes(agency_id))
    with path.open("a") as out:
        out.write(f"bootstrap.servers={settings.kafka_bootstrap}\n"
                  f"# {agency_id} publishes SeizureEvent records (Avro) to this topic only:\n"
                  f"# topic={topic}\n"
                  f"# and its URGENT seizures to this one, which no routine backlog delays:\n"
                  f"# urgent.topic={urgent}\n")
    return topic


def _kafka_acl(rule: AclRule) -> Any:
    """The kafka-python ACL binding of one rule."""
    from kafka.admin import ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern
    from kafka.admin import ResourceType as KafkaResource

    pattern = ResourcePattern(KafkaResource[rule.resource_type.value], rule.resource_name,
                              ACLResourcePatternType[rule.pattern.value])
    return ACL(rule.kafka_principal, "*", ACLOperation[rule.operation.value],
               ACLPermissionType.ALLOW if rule.allow else ACLPermissionType.DENY, pattern)


def existing_acls(admin: KafkaAdminClient) -> set[Any]:
    """Every ACL binding the cluster has now."""
    from kafka.admin import ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePatternFilter
    from kafka.admin import ResourceType as KafkaResource

    everything = ACLFilter(principal=None, host=None, operation=ACLOperation.ANY,
                           permission_type=ACLPermissionType.ANY,
                           resource_pattern=ResourcePatternFilter(KafkaResource.ANY, None, ACLResourcePatternType.ANY))
    found, _ = admin.describe_acls(everything)  # raises the broker's error itself
    return set(found)


def set_credentials(admin: KafkaAdminClient, principals: list[str], settings: Settings) -> None:
    """Set each principal's SCRAM-SHA-512 credential from the credentials file (created where missing)."""
    from kafka.admin import ScramMechanism, UserScramCredentialUpsertion

    passwords = credentials.ensure(settings.kafka_credentials_file, principals)
    upserts = [UserScramCredentialUpsertion(who, ScramMechanism.SCRAM_SHA_512, passwords[who].reveal(),
                                            iterations=SCRAM_ITERATIONS) for who in principals]
    failed = {who: why for who, why in admin.alter_user_scram_credentials(upserts).items()
              if why}
    if failed:
        raise StackError("could not set the SCRAM credentials of " + ", ".join(
            f"{who} ({why})" for who, why in sorted(failed.items())))


def apply_acls(admin: KafkaAdminClient, rules: list[AclRule]) -> tuple[int, int]:
    """Create the rules' ACLs the cluster lacks; returns (created, already present)."""
    present = existing_acls(admin)
    missing = [acl for acl in dict.fromkeys(_kafka_acl(rule) for rule in rules) if acl not in present]
    if missing:
        result = admin.create_acls(missing)
        if result["failed"]:
            raise StackError(f"{len(result['failed'])} ACL(s) could not be created: {result['failed'][0]}")
    return len(missing), len(rules) - len(missing)


def provision(settings: Settings, agency_ids: Iterable[str] | None = None) -> ProvisionReport:
    """Credentials, agency topics and ACLs of every principal of the deployment (the agencies: `agency_ids`,
    or every agency of the registry that may submit). The super user's own credential is left alone: the
    broker's storage was formatted with it."""
    ids = sorted(set(agency_ids)) if agency_ids is not None else registered_agency_ids(settings)
    principals = kafka_acls.principals(ids)
    created, _ = ensure_topics(settings, tuple(lane for agency_id in ids for lane in agency_lanes(agency_id)))
    admin = clients.admin_client(settings)
    try:
        set_credentials(admin, [who for who in principals if who != kafka_acls.SUPER_USER], settings)
        new, present = apply_acls(admin, kafka_acls.all_rules(settings, ids))
    finally:
        admin.close()
    log.info("kafka security: %d principal(s), %d agency topic(s) created, %d ACL(s) created",
             len(principals), len(created), new)
    return ProvisionReport(len(principals), len(created), new, present)
