"""Who may do what on the stream: every principal's Kafka ACLs, computed from pipeline/topology.py.

Pure (no Kafka client): `pipeline/stack/kafka_security.py` applies these rules to a broker with the standard
authorizer, and the deploy renderers (Strimzi KafkaUser, compose) write them out. One rule is one Kafka ACL
binding: a principal allowed one operation on one resource pattern, from any host.

Principals:
- `admin`: the super user (topics, credentials, ACLs; trusted tools such as `tracepipe publish` of a file
  on `seizures.raw`). Super users bypass ACLs, so it has no rules here.
- `processor-<name>`: each processor of PROCESSORS reads exactly its declared inputs and writes exactly its
  declared outputs, plus the dead letters and metrics snapshots every worker may produce (a poison record
  is dead-lettered by any stage; every worker publishes snapshots); its consumer group; and its faust app's
  own internal topics (`<group>-...`: table changelogs, the partition assignor's leader topic).
- `agency-<id>`: writes its own submissions topic `seizures.raw.<id>` and nothing else. The topic a
  record arrived on names the agency that sent it, and intake dead-letters a record whose agency_id
  disagrees (AGENCY_MISMATCH), so no agency can publish a seizure attributed to another.
- `api`: publishes submissions it authenticated by token to the caller's agency topic (any agency topic),
  and reads consumer lag for the ops route: offsets only (it faces the network, so it may read no record:
  the lag it shows has no ages).
- `ops`: lag, the stall watchdog and the dashboard: describes every topic and group of the namespace,
  reads the topics whose lag age it measures, the metrics snapshots and the dead letters.
- `downstream`: consumers outside the pipeline read `traces.completed` only, in groups `<ns>downstream-...`.
  Agencies read their results through the results API (token-scoped), never from the stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pipeline.kafka_access import principals as roles
from pipeline.settings import Settings
from pipeline.topology import (
    AGENCY_SUBMISSIONS_PREFIX,
    AGENCY_URGENT_PREFIX,
    METRICS_SNAPSHOTS,
    PROCESSORS,
    SEIZURES_DEAD_LETTER,
    SEIZURES_RAW,
    TRACES_COMPLETED,
    ProcessorSpec,
    TopicSpec,
    agency_lanes,
    processor,
)

SUPER_USER, API, OPS, DOWNSTREAM = roles.ADMIN, roles.API, roles.OPS, roles.DOWNSTREAM
DOWNSTREAM_GROUP_PREFIX = "downstream-"
WILDCARD = "*"
# Every worker may write these besides its declared outputs (pipeline/worker/app.py `poison`, snapshots.py).
EVERY_WORKER_WRITES: tuple[TopicSpec, ...] = (SEIZURES_DEAD_LETTER, METRICS_SNAPSHOTS)


class ResourceType(StrEnum):
    """What an ACL protects (the names are Kafka's)."""

    TOPIC = "TOPIC"
    GROUP = "GROUP"
    CLUSTER = "CLUSTER"


class PatternType(StrEnum):
    """LITERAL: the resource named exactly (or every one, for the name "*"); PREFIXED: every name so starting."""

    LITERAL = "LITERAL"
    PREFIXED = "PREFIXED"


class Operation(StrEnum):
    """The operations tracepipe grants (Kafka's names; ALL covers every one, READ and WRITE imply DESCRIBE)."""

    ALL = "ALL"
    READ = "READ"
    WRITE = "WRITE"
    CREATE = "CREATE"
    DESCRIBE = "DESCRIBE"
    DESCRIBE_CONFIGS = "DESCRIBE_CONFIGS"


@dataclass(frozen=True, order=True)
class AclRule:
    """One Kafka ACL binding: `principal` may (or, if not `allow`, may not) do `operation` on the resources
    of `resource_type` matched by `pattern` and `resource_name`, from any host."""

    principal: str  # the SCRAM user name, without Kafka's "User:" prefix
    resource_type: ResourceType
    pattern: PatternType
    resource_name: str
    operation: Operation
    allow: bool = True

    @property
    def kafka_principal(self) -> str:
        """The principal as Kafka's authorizer names it."""
        return f"User:{self.principal}"


def processor_principal(name: str) -> str:
    """The principal processor `name` runs as (pipeline/kafka_access/principals.py: `_` becomes `-`)."""
    return roles.processor(name)


def agency_principal(agency_id: str) -> str:
    """The principal an agency publishes as."""
    return roles.agency(agency_id)


def agency_of_principal(principal: str) -> str | None:
    """The agency id of an agency principal, or None for any other principal."""
    return roles.agency_of(principal)


def principals(agency_ids: Iterable[str]) -> list[str]:
    """Every principal of a deployment whose agencies are `agency_ids`: the super user first."""
    services = [SUPER_USER, *(processor_principal(spec.name) for spec in PROCESSORS), API, OPS, DOWNSTREAM]
    return services + [agency_principal(agency_id) for agency_id in sorted(set(agency_ids))]


def _rules(principal: str, resource_type: ResourceType, pattern: PatternType, name: str,
           *operations: Operation) -> list[AclRule]:
    return [AclRule(principal, resource_type, pattern, name, operation) for operation in operations]


def _topic(principal: str, settings: Settings, spec: TopicSpec, *operations: Operation) -> list[AclRule]:
    return _rules(principal, ResourceType.TOPIC, PatternType.LITERAL, settings.topic(spec.name), *operations)


def _namespace(resource_type: ResourceType, principal: str, settings: Settings,
               operation: Operation) -> list[AclRule]:
    """`operation` on every resource of the namespace (every resource when there is no namespace: Kafka
    refuses an empty prefix)."""
    if settings.namespace:
        return _rules(principal, resource_type, PatternType.PREFIXED, settings.namespace, operation)
    return _rules(principal, resource_type, PatternType.LITERAL, WILDCARD, operation)


def agency_topics_rules(principal: str, settings: Settings, *operations: Operation) -> list[AclRule]:
    """`operations` on every agency submissions topic of both lanes, present and future (a PREFIXED pattern
    per lane)."""
    return [rule for prefix in (AGENCY_SUBMISSIONS_PREFIX, AGENCY_URGENT_PREFIX)
            for rule in _rules(principal, ResourceType.TOPIC, PatternType.PREFIXED, settings.topic(prefix),
                               *operations)]


def processor_inputs(spec: ProcessorSpec) -> tuple[TopicSpec, ...]:
    """The topics processor `spec` consumes, as topology declares them."""
    return spec.inputs()


def processor_outputs(spec: ProcessorSpec) -> tuple[TopicSpec, ...]:
    """The topics processor `spec` may produce to: its declared outputs and what every worker writes."""
    return tuple(dict.fromkeys((*spec.writes, *EVERY_WORKER_WRITES)))


def processor_rules(settings: Settings, name: str) -> list[AclRule]:
    """Processor `name`'s rules: its reads, its writes, its group, its faust app's internal topics."""
    spec = processor(name)
    who = processor_principal(name)
    group = settings.group(name)
    rules: list[AclRule] = []
    for topic in processor_inputs(spec):
        rules += _topic(who, settings, topic, Operation.READ, Operation.DESCRIBE)
    if spec.reads == SEIZURES_RAW:  # intake also reads every agency's submissions topic
        rules += agency_topics_rules(who, settings, Operation.READ, Operation.DESCRIBE)
    for topic in processor_outputs(spec):
        rules += _topic(who, settings, topic, Operation.WRITE, Operation.DESCRIBE)
    rules += _rules(who, ResourceType.GROUP, PatternType.LITERAL, group, Operation.READ)
    # faust names its app's own topics "<app id>-..." (app id = group): table changelogs and the assignor's
    # leader topic. It creates them at the first start, so the app may do anything to them, and only to them.
    rules += _rules(who, ResourceType.TOPIC, PatternType.PREFIXED, f"{group}-", Operation.ALL)
    return rules


def agency_rules(settings: Settings, agency_id: str) -> list[AclRule]:
    """An agency writes its own submissions topics (routine and urgent lane), and nothing else."""
    return [rule for lane in agency_lanes(agency_id)
            for rule in _topic(agency_principal(agency_id), settings, lane, Operation.WRITE, Operation.DESCRIBE)]


def lag_count_rules(principal: str, settings: Settings) -> list[AclRule]:
    """What counting consumer lag takes: describe every topic and group of the namespace (offsets, members)."""
    return (_namespace(ResourceType.TOPIC, principal, settings, Operation.DESCRIBE)
            + _namespace(ResourceType.GROUP, principal, settings, Operation.DESCRIBE))


def lag_rules(principal: str, settings: Settings) -> list[AclRule]:
    """What reading consumer lag with ages takes: the counts, and reading the processors' inputs (the
    timestamp of the oldest record not yet processed)."""
    rules = lag_count_rules(principal, settings)
    for spec in PROCESSORS:
        for topic in processor_inputs(spec):
            rules += _topic(principal, settings, topic, Operation.READ)
    rules += agency_topics_rules(principal, settings, Operation.READ)
    return rules


def api_rules(settings: Settings) -> list[AclRule]:
    """The results API: publish to any agency topic (it picks the caller's, from the token), count lag."""
    return agency_topics_rules(API, settings, Operation.WRITE, Operation.DESCRIBE) + lag_count_rules(API, settings)


def ops_rules(settings: Settings) -> list[AclRule]:
    """Lag, the stall watchdog and the dashboard (metrics snapshots and recent dead letters)."""
    rules = lag_rules(OPS, settings)
    for topic in (METRICS_SNAPSHOTS, SEIZURES_DEAD_LETTER):
        rules += _topic(OPS, settings, topic, Operation.READ)
    return rules


def downstream_rules(settings: Settings) -> list[AclRule]:
    """Consumers outside the pipeline: finished traces only, in their own groups."""
    rules = _topic(DOWNSTREAM, settings, TRACES_COMPLETED, Operation.READ, Operation.DESCRIBE)
    return rules + _rules(DOWNSTREAM, ResourceType.GROUP, PatternType.PREFIXED,
                          f"{settings.namespace}{DOWNSTREAM_GROUP_PREFIX}", Operation.READ)


def principal_rules(settings: Settings, principal: str) -> list[AclRule]:
    """Every rule of one principal (none for the super user; ValueError for a name no deployment has)."""
    if principal == SUPER_USER:
        return []
    fixed = {API: api_rules, OPS: ops_rules, DOWNSTREAM: downstream_rules}
    if principal in fixed:
        return sorted(set(fixed[principal](settings)))
    agency = agency_of_principal(principal)
    if agency:
        return sorted(set(agency_rules(settings, agency)))
    by_principal = {processor_principal(spec.name): spec.name for spec in PROCESSORS}
    if principal in by_principal:
        return sorted(set(processor_rules(settings, by_principal[principal])))
    raise ValueError(f"no such principal: {principal!r}")


def rules_by_principal(settings: Settings, agency_ids: Iterable[str]) -> dict[str, list[AclRule]]:
    """Every principal of the deployment with its rules, in `principals` order."""
    return {who: principal_rules(settings, who) for who in principals(agency_ids)}


def all_rules(settings: Settings, agency_ids: Iterable[str]) -> list[AclRule]:
    """Every rule of the deployment, each once."""
    return sorted({rule for rules in rules_by_principal(settings, agency_ids).values() for rule in rules})


def _resource(rule: AclRule) -> str:
    suffix = "*" if rule.pattern is PatternType.PREFIXED else ""
    kind = "" if rule.resource_type is ResourceType.TOPIC else f"{rule.resource_type.lower()} "
    return f"{kind}`{rule.resource_name}{suffix}`"


def _summary(rules: list[AclRule]) -> tuple[str, str, str]:
    """(topics read, topics written, everything else) of one principal; the DESCRIBE that comes with a READ
    or WRITE of the same topic is left implied."""
    def on(operation: Operation, resource_type: ResourceType = ResourceType.TOPIC) -> list[AclRule]:
        return [r for r in rules if r.operation is operation and r.resource_type is resource_type]

    reads, writes = on(Operation.READ), on(Operation.WRITE)
    implied = {(r.pattern, r.resource_name) for r in reads + writes}
    other = [f"{r.operation.value} {_resource(r)}" for r in rules
             if r not in reads and r not in writes
             and not (r.operation is Operation.DESCRIBE and r.resource_type is ResourceType.TOPIC
                      and (r.pattern, r.resource_name) in implied)]
    return (", ".join(map(_resource, reads)) or "-", ", ".join(map(_resource, writes)) or "-",
            ", ".join(other) or "-")


def acl_table(settings: Settings, agency_ids: Iterable[str]) -> str:
    """A Markdown table of every principal's rules (docs/ARCHITECTURE.md shows it for one sample agency).
    A name ending in `*` is a prefix: every topic or group so starting."""
    lines = ["| Principal | Reads | Writes | Also |", "|---|---|---|---|"]
    for who, rules in rules_by_principal(settings, agency_ids).items():
        if not rules:
            lines.append(f"| `{who}` | everything (super user) | everything | |")
            continue
        reads, writes, other = _summary(rules)
        lines.append(f"| `{who}` | {reads} | {writes} | {other} |")
    return "\n".join(lines)
