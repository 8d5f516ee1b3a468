"""Every principal's ACLs follow pipeline/topology.py exactly: no processor may read or write more than it
declares, an agency writes only its own topic, downstream reads only finished traces."""

from __future__ import annotations

import pytest

from pipeline.paths import PROJECT_ROOT
from pipeline.settings import Settings
from pipeline.stack.kafka_acls import (
    API,
    DOWNSTREAM,
    OPS,
    SUPER_USER,
    AclRule,
    Operation,
    PatternType,
    ResourceType,
    acl_table,
    agency_principal,
    all_rules,
    principal_rules,
    principals,
    processor_principal,
)
from pipeline.topology import PROCESSORS, TOPICS, agency_submissions, agency_topics_among, submitting_agency

NS = "t-acl."
SETTINGS = Settings.from_env({"TRACEPIPE_NAMESPACE": NS})
WRITTEN_BY_EVERY_WORKER = {f"{NS}seizures.dead-letter", f"{NS}metrics.snapshots"}


def literal_topics(rules: list[AclRule], operation: Operation) -> set[str]:
    return {rule.resource_name for rule in rules if rule.resource_type is ResourceType.TOPIC
            and rule.pattern is PatternType.LITERAL and rule.operation is operation}


def prefixed(rules: list[AclRule], resource_type: ResourceType) -> set[tuple[str, Operation]]:
    return {(rule.resource_name, rule.operation) for rule in rules
            if rule.resource_type is resource_type and rule.pattern is PatternType.PREFIXED}


@pytest.mark.parametrize("spec", PROCESSORS, ids=lambda spec: spec.name)
def test_each_processor_reads_and_writes_exactly_what_topology_declares(spec):
    rules = principal_rules(SETTINGS, processor_principal(spec.name))
    assert literal_topics(rules, Operation.READ) == {NS + t.name for t in spec.inputs()}
    assert literal_topics(rules, Operation.WRITE) == {NS + t.name for t in spec.writes} | WRITTEN_BY_EVERY_WORKER
    group = f"{NS}tracepipe-{spec.name}"
    assert [(r.resource_name, r.operation) for r in rules if r.resource_type is ResourceType.GROUP] == [
        (group, Operation.READ)]
    # Its faust internals (changelogs, the assignor's leader topic) and, for intake, every agency topic.
    agency_reads = {(f"{NS}{lane}.", operation) for lane in ("seizures.raw", "seizures.urgent")
                    for operation in (Operation.READ, Operation.DESCRIBE)}
    assert prefixed(rules, ResourceType.TOPIC) == {(f"{group}-", Operation.ALL)} | (
        agency_reads if spec.name == "intake" else set())
    assert all(rule.allow and rule.resource_type is not ResourceType.CLUSTER for rule in rules)


def test_least_privilege_examples():
    intake = principal_rules(SETTINGS, processor_principal("intake"))
    manufacturer = principal_rules(SETTINGS, processor_principal("manufacturer"))
    assert f"{NS}traces.completed" not in literal_topics(intake, Operation.READ)
    assert f"{NS}traces.completed" not in literal_topics(intake, Operation.WRITE)
    assert f"{NS}traces.at-dealer" not in literal_topics(manufacturer, Operation.WRITE)
    assert f"{NS}seizures.raw" not in literal_topics(manufacturer, Operation.READ)


def test_an_agency_may_write_its_own_topics_and_nothing_else():
    rules = principal_rules(SETTINGS, agency_principal("FGE-JAL"))
    assert {(r.resource_type, r.pattern, r.resource_name, r.operation) for r in rules} == {
        (ResourceType.TOPIC, PatternType.LITERAL, f"{NS}{lane}.FGE-JAL", operation)
        for lane in ("seizures.raw", "seizures.urgent") for operation in (Operation.WRITE, Operation.DESCRIBE)
    }


def test_downstream_reads_finished_traces_only_in_its_own_groups():
    rules = principal_rules(SETTINGS, DOWNSTREAM)
    assert literal_topics(rules, Operation.READ) == {f"{NS}traces.completed"}
    assert not literal_topics(rules, Operation.WRITE)
    assert prefixed(rules, ResourceType.TOPIC) == set()
    assert prefixed(rules, ResourceType.GROUP) == {(f"{NS}downstream-", Operation.READ)}


def test_the_api_writes_agency_topics_only_and_reads_nothing():
    rules = principal_rules(SETTINGS, API)
    writes = {(r.pattern, r.resource_name) for r in rules if r.operation in (Operation.WRITE, Operation.ALL)}
    assert writes == {(PatternType.PREFIXED, f"{NS}seizures.raw."), (PatternType.PREFIXED, f"{NS}seizures.urgent.")}
    assert not [r for r in rules if r.operation is Operation.READ]  # it faces the network: no record at all


def test_ops_writes_nothing_and_reads_snapshots_and_dead_letters():
    rules = principal_rules(SETTINGS, OPS)
    assert not [r for r in rules if r.operation in (Operation.WRITE, Operation.ALL, Operation.CREATE)]
    assert {f"{NS}metrics.snapshots", f"{NS}seizures.dead-letter"} <= literal_topics(rules, Operation.READ)
    assert prefixed(rules, ResourceType.GROUP) == {(NS, Operation.DESCRIBE)}


def test_without_a_namespace_namespace_wide_rules_use_the_wildcard():
    rules = principal_rules(Settings.from_env({}), OPS)
    described = {(r.resource_type, r.pattern, r.resource_name) for r in rules if r.operation is Operation.DESCRIBE}
    assert (ResourceType.TOPIC, PatternType.LITERAL, "*") in described
    assert (ResourceType.GROUP, PatternType.LITERAL, "*") in described
    assert all(r.resource_name for r in rules)


def test_principals_and_rules_cover_the_deployment():
    names = principals(["FGE-JAL", "ATF", "FGE-JAL"])
    assert names[0] == SUPER_USER and principal_rules(SETTINGS, SUPER_USER) == []
    assert names.count("agency-FGE-JAL") == 1 and "agency-ATF" in names
    assert {processor_principal(spec.name) for spec in PROCESSORS} <= set(names)
    rules = all_rules(SETTINGS, ["FGE-JAL"])
    assert len(rules) == len(set(rules))
    # Every declared topic is reachable by someone (a topic nobody may read or write is a topology slip).
    touched = {r.resource_name for r in rules if r.pattern is PatternType.LITERAL}
    assert {NS + t.name for t in TOPICS} <= touched
    with pytest.raises(ValueError, match="no such principal"):
        principal_rules(SETTINGS, "processor-nope")


def test_the_table_lists_every_principal():
    table = acl_table(SETTINGS, ["FGE-JAL"])
    for who in principals(["FGE-JAL"]):
        assert f"| `{who}` |" in table


def test_agency_topics_are_named_and_recognised_with_or_without_namespace():
    assert agency_submissions("FGE-JAL").name == "seizures.raw.FGE-JAL"
    assert agency_submissions("FGE-JAL").partitions == 2
    assert submitting_agency("seizures.raw.FGE-JAL") == "FGE-JAL"
    assert submitting_agency(f"{NS}seizures.raw.ATF") == "ATF"
    assert submitting_agency(f"{NS}seizures.raw") is None
    assert submitting_agency("seizures.raw.") is None
    assert submitting_agency("traces.completed") is None
    assert agency_submissions("FGE-JAL", urgent=True).name == "seizures.urgent.FGE-JAL"
    assert submitting_agency(f"{NS}seizures.urgent.FGE-JAL") == "FGE-JAL"
    assert submitting_agency(f"{NS}seizures.urgent") is None
    assert submitting_agency(f"{NS}seizures.raw.FGE-JAL.urgent") is None


def test_agency_topics_are_picked_out_of_a_broker_listing_by_namespace():
    names = ["a.seizures.raw", "a.seizures.raw.FGR", "a.seizures.raw.FGE-JAL", "b.seizures.raw.ATF",
             "a.tracepipe-intake-__assignor-__leader", "seizures.raw.FGR", "a.seizures.urgent",
             "a.seizures.urgent.FGR", "a.traces.urgent"]
    assert agency_topics_among(names, "a.") == ["a.seizures.raw.FGE-JAL", "a.seizures.raw.FGR",
                                                "a.seizures.urgent.FGR"]
    assert agency_topics_among(names) == ["seizures.raw.FGR"]


def test_the_architecture_doc_shows_the_rules_as_they_are():
    doc = (PROJECT_ROOT / "docs" / "ARCHITECTURE.md").read_text()
    assert acl_table(Settings.from_env({}), ["FGE-JAL"]) in doc  # regenerate: tracepipe kafka acls --agency FGE-JAL
