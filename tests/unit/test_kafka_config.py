"""server.properties of a local node: one plain node as before; a cluster with replication 3 / min ISR 2; SCRAM
with no PLAINTEXT client listener and the standard authorizer denying what no ACL allows."""

from __future__ import annotations

from pathlib import Path

from pipeline.settings import Secret, Settings
from pipeline.stack.kafka_config import quorum_voters, server_properties


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_the_single_plain_node_keeps_its_ports_and_replication_one():
    settings = Settings.from_env({})
    props = _props(server_properties(settings, 0, Path("/d"), None))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert (props["offsets.topic.replication.factor"], props["min.insync.replicas"]) == ("1", "1")
    assert "authorizer.class.name" not in props


def test_cluster_nodes_share_the_voters_and_each_listens_on_its_own_ports():
    settings = Settings.from_env({"TRACEPIPE_KAFKA_NODES": "3"})
    assert quorum_voters(settings) == "1@127.0.0.1:19093,2@127.0.0.1:19193,3@127.0.0.1:19293"
    node = _props(server_properties(settings, 2, Path("/d2"), None))
    assert node["node.id"] == "3" and node["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19292"
    assert (node["default.replication.factor"], node["min.insync.replicas"]) == ("3", "2")
    assert (node["offsets.topic.replication.factor"], node["transaction.state.log.min.isr"]) == ("3", "2")
    assert node["unclean.leader.election.enable"] == "false"


def test_scram_has_no_plaintext_client_listener_and_denies_without_acl():
    settings = Settings.from_env({"TRACEPIPE_KAFKA_NODES": "3", "TRACEPIPE_KAFKA_SECURITY": "scram"})
    props = _props(server_properties(settings, 1, Path("/d1"), Secret("pw")))
    assert props["listeners"] == "SASL_PLAINTEXT://127.0.0.1:19192,CONTROLLER://127.0.0.1:19193"
    assert props["listener.security.protocol.map"] == "CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["inter.broker.listener.name"] == "SASL_PLAINTEXT"
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"].split(";")[0] == "User:admin"
    assert 'username="admin" password="pw"' in props["listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"]
