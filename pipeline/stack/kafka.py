"""The local Apache Kafka broker: KRaft mode, one combined broker+controller node, jars from Maven Central."""

from __future__ import annotations

import base64
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import StackError
from pipeline.paths import KAFKA_POM, require_executable
from pipeline.settings import Settings
from pipeline.stack import process

JAVA_HINT = "install Java 17+ (apt-get install openjdk-17-jre-headless) or set TRACEPIPE_JAVA"
MVN_HINT = "install Maven (apt-get install maven) or set TRACEPIPE_MVN"


@dataclass(frozen=True)
class KafkaPaths:
    """Files of the local broker under the state directory."""

    root: Path

    @classmethod
    def of(cls, settings: Settings) -> KafkaPaths:
        """Paths for the broker configured by `settings`."""
        return cls(settings.state_dir / "kafka")

    lib = property(lambda self: self.root / "lib")
    data = property(lambda self: self.root / "data")
    config = property(lambda self: self.root / "server.properties")
    log4j = property(lambda self: self.root / "log4j.properties")
    log = property(lambda self: self.root / "broker.log")
    pid = property(lambda self: self.root / "broker.pid")
    jar_stamp = property(lambda self: self.root / "lib.pom")


def fetch_jars(settings: Settings, paths: KafkaPaths) -> bool:
    """Resolve the Kafka jars with Maven into `paths.lib` unless already there for this pom; True if fetched."""
    pom_text = KAFKA_POM.read_text()
    if paths.jar_stamp.exists() and paths.jar_stamp.read_text() == pom_text and any(paths.lib.glob("*.jar")):
        return False
    mvn = require_executable(settings.mvn, MVN_HINT)
    paths.root.mkdir(parents=True, exist_ok=True)
    for old in paths.lib.glob("*.jar"):
        old.unlink()
    result = subprocess.run(  # noqa: S603
        [mvn, "-B", "-q", "-f", str(KAFKA_POM), "dependency:copy-dependencies",
         f"-DoutputDirectory={paths.lib}"],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        last = (result.stdout + result.stderr).strip().splitlines()[-1:] or ["no output"]
        raise StackError(
            "could not fetch the Kafka jars from Maven Central (the first start needs network): " + last[0]
        )
    paths.jar_stamp.write_text(pom_text)
    return True


def write_config(settings: Settings, paths: KafkaPaths) -> None:
    """Write server.properties and the log4j config for a single KRaft node on loopback."""
    port, ctl = settings.kafka_port, settings.kafka_controller_port
    paths.config.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{ctl}",
                f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{ctl}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                f"log.dirs={paths.data}",
                f"num.partitions={settings.partitions}",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=12",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=true",
                "log.retention.check.interval.ms=60000",
                "",
            ]
        )
    )
    paths.log4j.write_text(
        "log4j.rootLogger=INFO, stdout\n"
        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        "log4j.logger.kafka=INFO\nlog4j.logger.org.apache.kafka=INFO\n"
        "log4j.logger.kafka.request.logger=WARN\nlog4j.logger.state.change.logger=WARN\n"
    )


def _java_argv(settings: Settings, paths: KafkaPaths, main_class: str, *args: str) -> list[str]:
    java = require_executable(settings.java, JAVA_HINT)
    return [
        java, f"-Xmx{settings.kafka_heap}", f"-Xms{settings.kafka_heap}",
        f"-Dlog4j.configuration=file:{paths.log4j}", "-cp", f"{paths.lib}/*", main_class, *args,
    ]


def format_storage(settings: Settings, paths: KafkaPaths) -> bool:
    """Format the KRaft log directory once (a fresh cluster id); True if it was formatted now."""
    if (paths.data / "meta.properties").exists():
        return False
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    result = subprocess.run(  # noqa: S603
        _java_argv(settings, paths, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                   "-c", str(paths.config), "--ignore-formatted"),
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise StackError(f"formatting Kafka storage failed: {(result.stdout + result.stderr).strip()[-300:]}")
    return True


def broker_answers(bootstrap: str, timeout_s: float = 5.0) -> bool:
    """True if the broker answers a metadata request (not merely an open port)."""
    from kafka.admin import KafkaAdminClient  # imported late: the CLI starts faster without it
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    except (KafkaError, OSError):  # no broker yet: "not answering", not an error
        return False
    try:
        return bool(admin.describe_cluster().get("brokers"))
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def start(settings: Settings, timeout_s: float = 90.0) -> str:
    """Start the broker unless running; wait until it answers metadata. Returns a one-line description."""
    paths = KafkaPaths.of(settings)
    if process.read_pid(paths.pid) is not None and broker_answers(settings.kafka_bootstrap):
        return f"already running on {settings.kafka_bootstrap}"
    paths.root.mkdir(parents=True, exist_ok=True)
    fetch_jars(settings, paths)
    write_config(settings, paths)
    format_storage(settings, paths)
    if process.read_pid(paths.pid) is None:
        if process.port_open(settings.kafka_port):
            raise StackError(
                f"port {settings.kafka_port} is taken by another program; set TRACEPIPE_KAFKA_PORT"
            )
        process.start_detached(
            _java_argv(settings, paths, "kafka.Kafka", str(paths.config)), paths.log, paths.pid
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.read_pid(paths.pid) is None:
            raise StackError(f"the Kafka broker exited during start; last log lines:\n{process.tail(paths.log)}")
        if process.port_open(settings.kafka_port) and broker_answers(settings.kafka_bootstrap):
            return f"started on {settings.kafka_bootstrap}"
        time.sleep(0.5)
    raise StackError(f"the Kafka broker did not answer within {timeout_s:.0f} s; see {paths.log}")


def stop(settings: Settings) -> bool:
    """Stop the broker this project started (by its pid file); True if it was running."""
    return process.stop_pid_file(KafkaPaths.of(settings).pid, timeout=60)


def status(settings: Settings) -> tuple[bool, str]:
    """(running, description) for the status table."""
    paths = KafkaPaths.of(settings)
    pid = process.read_pid(paths.pid)
    if pid is None:
        return False, f"not running (state in {paths.root})"
    answering = broker_answers(settings.kafka_bootstrap, timeout_s=3)
    return answering, f"pid {pid}, {settings.kafka_bootstrap}" + ("" if answering else " (not answering)")
