"""server.properties of a local KRaft node, single or one of a three-node cluster, PLAINTEXT or SCRAM.

Pure: settings and paths in, lines out. Every node is a combined broker + controller on loopback.
In scram mode clients and brokers (inter-broker, as the super user) log in with SASL/SCRAM-SHA-512, and the
StandardAuthorizer denies whatever no ACL allows. The KRaft controller listener stays PLAINTEXT: it listens on
loopback only, and SASL between controllers needs its own JAAS setup and credentials that must exist before
the metadata log does; its connections authenticate as User:ANONYMOUS, which is therefore a super user there.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.kafka_access.principals import ADMIN
from pipeline.settings import Secret, Settings

SCRAM_MECHANISM = "SCRAM-SHA-512"
CONTROLLER_PRINCIPAL = "User:ANONYMOUS"  # who controller-listener (PLAINTEXT) connections are


def node_id(index: int) -> int:
    """KRaft node id of local node `index` (0-based): 1, 2, 3 (the single node keeps id 1)."""
    return index + 1


def quorum_voters(settings: Settings) -> str:
    """controller.quorum.voters: every node, id@host:controller-port."""
    return ",".join(f"{node_id(i)}@127.0.0.1:{settings.node_controller_port(i)}" for i in range(settings.kafka_nodes))


def _listener_lines(settings: Settings, index: int, admin_password: Secret | None) -> list[str]:
    port, ctl = settings.node_port(index), settings.node_controller_port(index)
    if not settings.kafka_scram:
        return [
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{ctl}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        ]
    if admin_password is None:
        raise ValueError("scram mode needs the admin password for the inter-broker login")
    jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN}" '
            f'password="{admin_password.reveal()}";')
    return [
        f"listeners=SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{ctl}",
        f"advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{port}",
        "inter.broker.listener.name=SASL_PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        f"sasl.enabled.mechanisms={SCRAM_MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={SCRAM_MECHANISM}",
        f"listener.name.sasl_plaintext.{SCRAM_MECHANISM.lower()}.sasl.jaas.config={jaas}",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found=false",
        f"super.users=User:{ADMIN};{CONTROLLER_PRINCIPAL}",
    ]


def server_properties(settings: Settings, index: int, data_dir: Path, admin_password: Secret | None) -> str:
    """The whole server.properties of node `index` (holds the admin password in scram mode: write it 0600)."""
    cluster = settings.kafka_nodes > 1
    replicas, min_isr = (3, 2) if cluster else (1, 1)
    lines = [
        "process.roles=broker,controller",
        f"node.id={node_id(index)}",
        f"controller.quorum.voters={quorum_voters(settings)}",
        "controller.listener.names=CONTROLLER",
        *_listener_lines(settings, index, admin_password),
        f"log.dirs={data_dir}",
        f"num.partitions={settings.partitions}",
        f"default.replication.factor={replicas}",
        f"min.insync.replicas={min_isr}",
        f"offsets.topic.replication.factor={replicas}",
        "offsets.topic.num.partitions=12",
        f"transaction.state.log.replication.factor={replicas}",
        f"transaction.state.log.min.isr={min_isr}",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=true",
        "log.retention.check.interval.ms=60000",
    ]
    if cluster:
        lines += ["unclean.leader.election.enable=false"]
    return "\n".join(lines) + "\n"


LOG4J = (
    "log4j.rootLogger=INFO, stdout\n"
    "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
    "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
    "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
    "log4j.logger.kafka=INFO\nlog4j.logger.org.apache.kafka=INFO\n"
    "log4j.logger.kafka.request.logger=WARN\nlog4j.logger.state.change.logger=WARN\n"
)
