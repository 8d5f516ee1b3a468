"""Cluster mode: one of three brokers lost for good (kill -9, its data deleted, not started again during the
run) mid-run, while a producer with acks=all publishes the scenario continuously. Every acknowledged event
ends as a trace, an extra recovery, an exact duplicate or a dead letter, and the run ends exactly as the
clean run did."""

from __future__ import annotations

import time

from pipeline.kafka_access import clients, principals
from pipeline.producers.submissions_topic import submission_lanes
from pipeline.stack import kafka
from pipeline.stack.kafka_config import node_id
from pipeline.stack.kafka_security import provision
from pipeline.topology import SEIZURES_RAW
from tests.integration.faults.acked import AckedPublisher, without_outcome
from tests.integration.faults.outcome import read_tables
from tests.integration.faults.scenario_run import PROCESSORS, ScenarioRun

PER_SECOND = 12.0  # the scenario's 340 events over about 28 s
LOSS_AT = 0.4  # share of the events acknowledged when the broker is lost


def leader_index(cluster, topic: str, partition: int = 0) -> int:
    """Index of the local node leading `topic`'s `partition` (so the producer itself feels the loss)."""
    admin = clients.admin_client(cluster, principals.ADMIN)
    try:
        [described] = admin.describe_topics([topic])
    finally:
        admin.close()
    leader = next(p["leader_id"] for p in described["partitions"] if p["partition_index"] == partition)
    return next(index for index in kafka.nodes(cluster) if node_id(index) == leader)


def test_losing_one_broker_for_good_mid_run_loses_no_acknowledged_event(cluster, shared_records_template,
                                                                        fault_scenario, clean_run):
    events = fault_scenario.events
    with ScenarioRun(cluster, shared_records_template, PROCESSORS, [], "loss") as run:  # published below
        provision(run.settings, [])  # the run's namespace: the processors' and ops' ACLs
        raw = run.settings.topic(SEIZURES_RAW.name)
        publisher = AckedPublisher(clients.client_options(cluster, clients.producing_principal(cluster)),
                                   submission_lanes(run.settings), run.settings.namespace, events, PER_SECOND)
        lost = leader_index(cluster, raw)
        run.start()
        try:
            publisher.start()
            while len(publisher.acked.records) < LOSS_AT * len(events):
                assert publisher.is_alive(), "the producer stopped before the loss"
                time.sleep(0.1)
            stored = run.wait_for_traces(1)
            acked_before = len(publisher.acked.records)
            kafka.lose_node(cluster, lost)
            run.fault_ended = time.monotonic()  # the loss is permanent: recovery counts from the kill
            publisher.join(timeout=300)
            assert not publisher.is_alive(), "the producer did not finish"
            run.sent = publisher.sent
            run.notes.update({"lost node": lost, "traces stored at the loss": stored,
                              "acked before the loss": acked_before, "acknowledged": len(publisher.acked.records),
                              "failed sends": publisher.acked.failed})
            report = run.finish()
        finally:
            kafka.start_node(cluster, lost)  # rejoins empty, so the session's cluster is whole again
    print(report.line())
    assert 0 < stored < clean_run.outcome.traces and acked_before < len(events)  # mid-run, mid-publication
    assert without_outcome(publisher.acked, read_tables(run.settings)) == []
    assert publisher.acked.failed == 0  # acks=all, with a delivery timeout longer than the leader election
    assert report.outcome == clean_run.outcome
