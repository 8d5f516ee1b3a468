"""Who may do what on the stream, on the private SCRAM cluster: the whole pipeline runs with each processor as
its own principal (so the ACLs are enough), and every principal is refused what it was not given (so they
are not too much). What each principal may do to a topic is asked of the broker's own authorizer (the
authorized operations a metadata answer carries), and the key refusals are also tried for real.

Agencies read their results through the results API, never from the stream: an agency principal may not
read traces.completed either.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import GroupAuthorizationFailedError, KafkaError, KafkaTimeoutError, TopicAuthorizationFailedError

from pipeline.contract.codec import decode
from pipeline.contract.registry import Record
from pipeline.kafka_access import clients, credentials, principals
from pipeline.ops.lag.report import read_lag_report
from pipeline.producers.publisher import SeizurePublisher
from pipeline.producers.scenario import generate_scenario
from pipeline.producers.submissions_topic import submission_lanes
from pipeline.settings import Secret, Settings
from pipeline.stack.kafka_acls import DOWNSTREAM_GROUP_PREFIX
from pipeline.stack.kafka_security import provision
from pipeline.stack.topics import list_topics
from pipeline.topology import (
    PROCESSORS,
    SEIZURES_DEAD_LETTER,
    SEIZURES_ENRICHED,
    SEIZURES_ENRICHED_URGENT,
    SEIZURES_RAW,
    SEIZURES_URGENT,
    TOPICS,
    TRACES_COMPLETED,
    TRACES_REQUESTED,
    TRACES_URGENT,
    agency_lanes,
    agency_submissions,
)
from pipeline.worker.supervisor import parse_processors
from tests.integration.harness import PipelineHarness, seeded_records_database

AGENCY, OTHER, LATE = "FGE-JAL", "FGE-CHH", "FGE-SON"  # LATE: provisioned while the pipeline runs
SEED = 1313
QUICK = {"request_timeout_ms": 3_000, "bootstrap_timeout_ms": 3_000}  # a refused client fails fast
QUICK_PRODUCER = {**QUICK, "max_block_ms": 3_000}


def as_principal(settings: Settings, principal: str) -> Settings:
    """Settings that authenticate as `principal` (its password from the cluster's credentials file)."""
    return settings.with_changes(kafka_user=principal, kafka_password=Secret(""))


def worker_env(settings: Settings, datadir) -> dict[str, str]:
    """The environment of workers on the cluster: each authenticates as its own processor principal."""
    return {"TRACEPIPE_STATE_DIR": str(settings.state_dir), "TRACEPIPE_KAFKA_PORT": str(settings.kafka_port),
            "TRACEPIPE_KAFKA_CONTROLLER_PORT": str(settings.kafka_controller_port),
            "TRACEPIPE_KAFKA_NODES": str(settings.kafka_nodes), "TRACEPIPE_KAFKA_SECURITY": "scram",
            "TRACEPIPE_REPLICATION": str(settings.replication), "TRACEPIPE_KAFKA_BOOTSTRAP": "",
            "TRACEPIPE_KAFKA_USER": "", "TRACEPIPE_KAFKA_PASSWORD": "", "TRACEPIPE_KAFKA_CREDENTIALS": "",
            "TRACEPIPE_PG_DB": settings.pg_db, "TRACEPIPE_METRICS_PORT": "0", "TRACEPIPE_TABLES_DIR": str(datadir)}


def authorized(settings: Settings, principal: str, topics: list[str]) -> dict[str, set[str]]:
    """Per topic, the operations the broker's authorizer grants `principal` (empty: it may not even know it
    exists)."""
    admin = clients.admin_client(as_principal(settings, principal), principal, **QUICK)
    try:
        answers = admin.describe_topics(topics)
    finally:
        admin.close()
    return {a["name"]: set() if a["error_code"] else set(a["authorized_operations"] or ()) for a in answers}


def send(settings: Settings, principal: str, topic: str) -> None:
    """Produce one record as `principal` and wait for the broker's answer."""
    producer = clients.producer(as_principal(settings, principal), principal, **QUICK_PRODUCER)
    try:
        producer.send(topic, key=b"k", value=b"not a seizure").get(timeout=15)
    finally:
        producer.close()


def agency_events(scenario, agency: str) -> list[dict]:
    """The scenario's valid-looking events re-issued by `agency` (its own event ids stay unique)."""
    return [{**event, "agency_id": agency} for event in scenario.events if isinstance(event, dict)]


def publish_as_new_agency(settings: Settings, events: list[dict], timeout_s: float = 30.0) -> int:
    """Publish as an agency provisioned a moment ago. Its ACLs reach the three brokers a moment apart, so a
    partition led by a broker that has not applied them yet refuses the record (seen in CI: TopicAuthorization
    on 2 of 5); only the refused records are sent again, so none is written twice."""
    connection = clients.client_options(settings, clients.producing_principal(settings))
    lanes = submission_lanes(settings)
    pending, deadline = list(events), time.monotonic() + timeout_s
    while True:  # a fresh producer each time: no metadata cached from the refusal
        with SeizurePublisher(connection, lanes.topic, urgent_topic=lanes.urgent_topic) as publisher:
            report = publisher.publish_many(pending)
        pending = [pending[index] for index, _reason in report.failed]
        if not pending:
            return len(events)
        assert time.monotonic() < deadline, report.failed
        time.sleep(1.0)


@dataclass(frozen=True)
class Run:
    """What the module's pipeline run left: its namespaced settings, how many records each agency principal
    sent, and how often each worker was started again."""

    settings: Settings
    sent: dict[str, int]
    revivals: dict[str, int]


@pytest.fixture(scope="module")
def run(cluster, tmp_path_factory) -> Run:
    """The whole pipeline on the secured cluster, every processor as its own principal: a day of seizures
    published by the trusted admin tool on seizures.raw, the same seizures published again by agency FGE-JAL
    on its own topic with one more that names FGE-CHH; once that is drained, agency FGE-SON is provisioned
    and publishes a few: intake notices the new topic, restarts itself and reads it."""
    scenario = generate_scenario(days=1, seed=SEED, events_per_day=60)
    database = seeded_records_database(cluster, scenario.firearms, SEED, extra_firearms=50)
    harness = PipelineHarness(database, parse_processors("all"),
                              extra_env=worker_env(database, tmp_path_factory.mktemp("faust")))
    settings = harness.settings
    provision(settings, [AGENCY, OTHER])  # this namespace's agency topics and ACLs, before intake starts
    mine = agency_events(scenario, AGENCY)
    forged = {**mine[0], "event_id": "FORGED-1", "agency_id": OTHER}
    harness.start()
    try:
        assert harness.publish(scenario.events) == len(scenario.events)  # as admin, on seizures.raw
        as_agency = as_principal(settings, principals.agency(AGENCY))
        assert publish_as_new_agency(as_agency, [*mine, forged]) == len(mine) + 1  # on seizures.raw.FGE-JAL
        harness.wait_drained(timeout=300)
        provision(settings, [LATE])
        late = agency_events(scenario, LATE)[:5]
        assert publish_as_new_agency(as_principal(settings, principals.agency(LATE)), late) == len(late)
        harness.wait_drained(timeout=300)  # counts the new topic, so intake must have read it
        revivals = dict(harness.reviver.revivals)
    finally:
        harness.stop()
    return Run(settings, {AGENCY: len(mine) + 1, LATE: len(late)}, revivals)


def test_the_whole_pipeline_runs_with_each_processor_as_its_own_principal(run):
    settings = run.settings
    # No worker ended (an authorization error would end it), but intake, once, to read the new agency's topic.
    assert run.revivals == {spec.name: 1 if spec.name == "intake" else 0 for spec in PROCESSORS}
    read = {name: [decode(v) for _, v in _read_all(settings, name)]
            for name in (TRACES_REQUESTED.name, TRACES_URGENT.name, TRACES_COMPLETED.name)}
    opened = {t["trace_id"] for t in read[TRACES_REQUESTED.name] + read[TRACES_URGENT.name]}
    assert opened and {t["trace_id"] for t in read[TRACES_COMPLETED.name]} == opened


def test_agencies_records_arrive_as_their_own_and_a_forged_one_is_dead_lettered(run):
    settings = run.settings
    enriched = [decode(v) for lane in (SEIZURES_ENRICHED, SEIZURES_ENRICHED_URGENT)
                for _, v in _read_all(settings, lane.name)]
    letters = [decode(v) for _, v in _read_all(settings, SEIZURES_DEAD_LETTER.name)]
    for agency, sent in run.sent.items():
        own_topics = {settings.topic(lane.name) for lane in agency_lanes(agency)}
        from_topic = [e for e in enriched if e["source_topic"] in own_topics]
        assert from_topic and {e["event"]["agency_id"] for e in from_topic} == {agency}
        on_own = [d for d in letters if d["source_topic"] in own_topics]
        assert len(from_topic) + len(on_own) == sent  # every record accounted for
    urgent_lane = settings.topic(agency_submissions(AGENCY, urgent=True).name)
    assert any(e["source_topic"] == urgent_lane for e in enriched)  # its URGENT seizures took its urgent lane
    forged = [d for d in letters if d["reason_code"] == "AGENCY_MISMATCH"]
    assert [(d["source_topic"], decode(d["original_value"], Record.SEIZURE_EVENT)["event_id"]) for d in forged] == [
        (settings.topic(agency_submissions(AGENCY).name), "FORGED-1")]


def _read_all(settings: Settings, logical: str) -> list:
    from pipeline.stack.topics import read_all

    return read_all(settings, settings.topic(logical))


def test_an_agency_may_not_write_as_another_agency_nor_on_the_shared_topic(run):
    settings = run.settings
    agency = principals.agency(AGENCY)
    for topic in (agency_submissions(OTHER).name, agency_submissions(OTHER, urgent=True).name,
                  SEIZURES_RAW.name, SEIZURES_URGENT.name):
        with pytest.raises(TopicAuthorizationFailedError):
            send(settings, agency, settings.topic(topic))
    for lane in agency_lanes(AGENCY):  # its own, both lanes: accepted
        send(settings, agency, settings.topic(lane.name))


def test_an_agency_may_read_no_topic_at_all(run):
    """Not another agency's submissions, not its own, no pipeline topic, no faust internal topic."""
    settings = run.settings
    agency = principals.agency(AGENCY)
    everything = [t for t in list_topics(settings) if t.startswith(settings.namespace)]
    own = settings.topic(agency_submissions(AGENCY).name)
    assert settings.topic(agency_submissions(OTHER).name) in everything
    assert any("-__assignor-__leader" in t for t in everything)  # faust's internals are in the list too
    granted = authorized(settings, agency, everything)
    assert granted.pop(own) == {"DESCRIBE", "WRITE"}
    assert granted.pop(settings.topic(agency_submissions(AGENCY, urgent=True).name)) == {"DESCRIBE", "WRITE"}
    assert granted == dict.fromkeys(granted, set())
    # And for real: even its own topic, which it may see, cannot be fetched.
    consumer = clients.consumer(as_principal(settings, agency), agency, enable_auto_commit=False, **QUICK)
    try:
        consumer.assign([TopicPartition(own, 0)])
        consumer.seek_to_beginning()
        with pytest.raises(TopicAuthorizationFailedError):
            for _ in range(20):
                consumer.poll(timeout_ms=500)
    finally:
        consumer.close()


def test_downstream_reads_completed_traces_and_nothing_else(run):
    settings = run.settings
    completed = settings.topic(TRACES_COMPLETED.name)
    everything = [t for t in list_topics(settings) if t.startswith(settings.namespace)]
    granted = authorized(settings, principals.DOWNSTREAM, everything)
    assert granted.pop(completed) == {"DESCRIBE", "READ"}
    assert granted == dict.fromkeys(granted, set())
    with pytest.raises(KafkaError, match="Authorization"):  # it may write nowhere: no producer id at all
        send(settings, principals.DOWNSTREAM, completed)
    group = f"{settings.namespace}{DOWNSTREAM_GROUP_PREFIX}test"
    consumer = clients.consumer(as_principal(settings, principals.DOWNSTREAM), principals.DOWNSTREAM, completed,
                                group_id=group, auto_offset_reset="earliest", enable_auto_commit=False, **QUICK)
    try:
        got = 0
        for _ in range(40):
            got += sum(len(batch) for batch in consumer.poll(timeout_ms=500).values())
            if got:
                break
        assert got > 0
    finally:
        consumer.close()
    outsider = clients.consumer(as_principal(settings, principals.DOWNSTREAM), principals.DOWNSTREAM, completed,
                                group_id=f"{settings.namespace}tracepipe-sink", enable_auto_commit=False, **QUICK)
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            for _ in range(20):
                outsider.poll(timeout_ms=500)
    finally:
        outsider.close()


def test_each_processor_is_granted_exactly_its_topology(run):
    """The broker's view of what intake and a tracing stage may do, topic by topic."""
    settings = run.settings
    intake = authorized(settings, principals.processor("intake"),
                        [settings.topic(t.name) for t in TOPICS])
    for lane in (SEIZURES_RAW, SEIZURES_URGENT):
        assert intake[settings.topic(lane.name)] == {"DESCRIBE", "READ"}
    for lane in (SEIZURES_ENRICHED, SEIZURES_ENRICHED_URGENT):
        assert intake[settings.topic(lane.name)] == {"DESCRIBE", "WRITE"}
    assert intake[settings.topic(TRACES_COMPLETED.name)] == set()
    manufacturer = authorized(settings, principals.processor("manufacturer"),
                              [settings.topic(t.name) for t in TOPICS])
    assert manufacturer[settings.topic(TRACES_COMPLETED.name)] == {"DESCRIBE", "WRITE"}
    assert manufacturer[settings.topic(SEIZURES_RAW.name)] == set()


def test_an_unauthenticated_client_gets_nothing(run):
    """PLAINTEXT (no login) and a wrong password alike: the broker answers nothing, not even metadata."""
    settings = run.settings
    plain = {"bootstrap_servers": settings.kafka_bootstrap, "request_timeout_ms": 2_000,
             "bootstrap_timeout_ms": 2_000}
    wrong = {**plain, "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
             "sasl_plain_username": principals.agency(AGENCY), "sasl_plain_password": "not-the-password"}
    with pytest.raises(KafkaTimeoutError):
        KafkaConsumer(**plain).topics()
    with pytest.raises(KafkaTimeoutError):
        KafkaAdminClient(**plain).close()
    for options in (plain, wrong):
        with pytest.raises(KafkaTimeoutError):
            KafkaProducer(**options, max_block_ms=2_000).send(settings.topic(agency_submissions(AGENCY).name),
                                                              b"x").get(timeout=5)
    # The same cluster answers the right password at once: the refusals above are the broker's.
    assert authorized(settings, principals.agency(AGENCY), [settings.topic(agency_submissions(AGENCY).name)])


def test_no_password_is_in_the_brokers_logs_and_the_file_is_private(run, cluster):
    passwords = [secret.reveal() for secret in credentials.known(cluster.kafka_credentials_file).values()]
    assert len(passwords) > len(PROCESSORS)  # every principal provisioned has one
    logs = list(cluster.state_dir.rglob("*.log"))
    assert logs
    for path in logs:
        text = path.read_text(errors="replace")
        assert not [p for p in passwords if p in text], path
    assert os.stat(cluster.kafka_credentials_file).st_mode & 0o077 == 0


def _cli(settings: Settings, *args: str, lang: str = "en") -> subprocess.CompletedProcess:
    env = {**os.environ, **worker_env(settings, settings.state_dir), "TRACEPIPE_NAMESPACE": settings.namespace,
           "TRACEPIPE_PG_DB": Settings.from_env().pg_db}  # the session database's agency registry
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "--lang", lang, *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def test_an_agency_is_handed_its_credentials_in_a_private_file_that_works(run, tmp_path):
    settings = run.settings
    out = tmp_path / "fge-jal.properties"
    done = _cli(settings, "kafka", "credentials", AGENCY, "--out", str(out))
    assert done.returncode == 0, done.stderr
    password = credentials.known(settings.kafka_credentials_file)[principals.agency(AGENCY)].reveal()
    assert password not in done.stdout + done.stderr and str(out) in done.stdout.replace("\n", "")
    assert os.stat(out).st_mode & 0o777 == 0o600
    props = dict(line.split("=", 1) for line in out.read_text().splitlines() if line and not line.startswith("#"))
    jaas = props["sasl.jaas.config"]
    assert f'username="{principals.agency(AGENCY)}"' in jaas and f'password="{password}"' in jaas
    producer = KafkaProducer(bootstrap_servers=props["bootstrap.servers"], security_protocol=props["security.protocol"],
                             sasl_mechanism=props["sasl.mechanism"], sasl_plain_username=principals.agency(AGENCY),
                             sasl_plain_password=password, **QUICK_PRODUCER)
    try:
        producer.send(settings.topic(agency_submissions(AGENCY).name), b"k").get(timeout=15)
    finally:
        producer.close()


def test_an_unknown_agency_gets_no_credentials_and_one_readable_line(run, tmp_path):
    out = tmp_path / "nope.properties"
    for lang, words in (("en", "unknown agency NOPE"), ("es", "agencia desconocida NOPE")):
        done = _cli(run.settings, "kafka", "credentials", "NOPE", "--out", str(out), lang=lang)
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def waiting_on_raw(report) -> list:
    """The lag rows of partitions of seizures.raw with a record intake has not read."""
    raw = [s for s in report.stages if s.stage == "intake"][0].topic
    return [row for row in report.partitions if row.topic == raw and row.lag]


def test_ops_reads_lag_with_ages_and_may_write_nothing(run):
    """Last: it leaves one unprocessed record on seizures.raw (the workers are stopped)."""
    settings = run.settings
    report = read_lag_report(settings, [settings.group(spec.name) for spec in PROCESSORS])  # as ops
    assert {stage.stage: stage.lag for stage in report.stages} == {spec.name: 0 for spec in PROCESSORS}
    send(settings, principals.ADMIN, settings.topic(SEIZURES_RAW.name))
    assert [row.seconds_behind is not None for row in waiting_on_raw(read_lag_report(settings))] == [True]
    with pytest.raises(KafkaError, match="Authorization"):
        send(settings, principals.OPS, settings.topic(SEIZURES_RAW.name))


def test_the_api_counts_lag_without_reading_a_record_and_writes_agency_topics_only(run):
    """After the ops test: one record waits on seizures.raw."""
    settings = run.settings
    report = read_lag_report(as_principal(settings, principals.API))
    assert [row.seconds_behind for row in waiting_on_raw(report)] == [None]  # the count, not the age
    raw = settings.topic(SEIZURES_RAW.name)
    assert authorized(settings, principals.API, [raw]) == {raw: {"DESCRIBE"}}
    send(settings, principals.API, settings.topic(agency_submissions(OTHER).name))  # any agency's, for its caller
    with pytest.raises(TopicAuthorizationFailedError):
        send(settings, principals.API, raw)
