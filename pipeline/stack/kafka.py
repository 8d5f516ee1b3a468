"""The local Apache Kafka: KRaft mode, one combined broker+controller node or a cluster of three, jars from
Maven Central; PLAINTEXT, or SASL/SCRAM-SHA-512 with ACLs (see kafka_config.py for the broker settings)."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import StackError
from pipeline.kafka_access import clients, credentials, principals
from pipeline.paths import KAFKA_POM, require_executable
from pipeline.settings import PREFIX, Secret, Settings
from pipeline.stack import process
from pipeline.stack.kafka_config import LOG4J, SCRAM_MECHANISM, node_id, server_properties

JAVA_HINT = "install Java 17+ (apt-get install openjdk-17-jre-headless) or set TRACEPIPE_JAVA"
MVN_HINT = "install Maven (apt-get install maven) or set TRACEPIPE_MVN"
SCRAM_STAMP = "tracepipe-scram"  # in a node's data dir: its storage was formatted with the admin SCRAM user


@dataclass(frozen=True)
class KafkaPaths:
    """Files of one local node under the state directory: the jars are shared; a single node keeps its files
    in <state>/kafka itself, node i of a cluster in <state>/kafka/node-<i>."""

    root: Path
    node_root: Path

    @classmethod
    def of(cls, settings: Settings, index: int = 0) -> KafkaPaths:
        """Paths of node `index` of the local Kafka configured by `settings`."""
        root = settings.state_dir / "kafka"
        return cls(root, root if settings.kafka_nodes == 1 else root / f"node-{index}")

    lib = property(lambda self: self.root / "lib")
    jar_stamp = property(lambda self: self.root / "lib.pom")
    cluster_id = property(lambda self: self.root / "cluster.id")
    data = property(lambda self: self.node_root / "data")
    config = property(lambda self: self.node_root / "server.properties")
    log4j = property(lambda self: self.node_root / "log4j.properties")
    log = property(lambda self: self.node_root / "broker.log")
    pid = property(lambda self: self.node_root / "broker.pid")


def nodes(settings: Settings) -> range:
    """Indexes of the local nodes."""
    return range(settings.kafka_nodes)


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


def share_jars(source: Settings, target: Settings) -> bool:
    """Hard-link `source`'s fetched jars into `target`'s state (a second, private stack then needs no Maven
    run); True if linked."""
    have, want = KafkaPaths.of(source), KafkaPaths.of(target)
    if not have.jar_stamp.exists() or want.lib.exists():
        return False
    want.root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(have.lib, want.lib, copy_function=os.link)
    shutil.copy(have.jar_stamp, want.jar_stamp)
    return True


def admin_password(settings: Settings) -> Secret | None:
    """The super user's password (scram mode only): the credentials file's, or TRACEPIPE_KAFKA_PASSWORD when
    TRACEPIPE_KAFKA_USER is the admin."""
    if not settings.kafka_scram:
        return None
    if settings.kafka_user == principals.ADMIN and settings.kafka_password:
        return settings.kafka_password
    return credentials.ensure(settings.kafka_credentials_file, [principals.ADMIN])[principals.ADMIN]


def write_config(settings: Settings, paths: KafkaPaths, index: int = 0) -> None:
    """Write server.properties (0600: it holds the inter-broker password in scram mode) and log4j config."""
    paths.node_root.mkdir(parents=True, exist_ok=True)
    text = server_properties(settings, index, paths.data, admin_password(settings))
    fd = os.open(paths.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(paths.config, 0o600)
    paths.log4j.write_text(LOG4J)


def _java_argv(settings: Settings, paths: KafkaPaths, main_class: str, *args: str) -> list[str]:
    java = require_executable(settings.java, JAVA_HINT)
    return [
        java, f"-Xmx{settings.kafka_heap}", f"-Xms{settings.kafka_heap}",
        f"-Dlog4j.configuration=file:{paths.log4j}", "-cp", f"{paths.lib}/*", main_class, *args,
    ]


def cluster_id(settings: Settings) -> str:
    """The one cluster id every node's storage is formatted with: a formatted node's, else the one kept beside
    the nodes' directories, else a new one (kept there for a cluster, so a lost node rejoins the same cluster)."""
    for index in nodes(settings):
        meta = KafkaPaths.of(settings, index).data / "meta.properties"
        if meta.exists():
            for line in meta.read_text().splitlines():
                if line.startswith("cluster.id="):
                    return line.split("=", 1)[1].strip()
    kept = KafkaPaths.of(settings).cluster_id
    if settings.kafka_nodes > 1 and kept.exists():
        return kept.read_text().strip()
    new = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if settings.kafka_nodes > 1:
        kept.write_text(new + "\n")
    return new


def format_storage(settings: Settings, paths: KafkaPaths, cluster: str | None = None) -> bool:
    """Format the node's KRaft log directory once (in scram mode with the admin SCRAM user, so brokers can
    log in to each other before any other user exists); True if it was formatted now."""
    scram_stamp = paths.data / SCRAM_STAMP
    if (paths.data / "meta.properties").exists():
        if settings.kafka_scram and not scram_stamp.exists():
            raise StackError(
                f"the Kafka storage in {paths.data} was formatted without SCRAM users, so {PREFIX}KAFKA_SECURITY"
                f"=scram cannot log in to it; run `tracepipe stack down`, delete {paths.root} and start again,"
                f" or use another {PREFIX}STATE_DIR"
            )
        return False
    args = ["format", "-t", cluster or cluster_id(settings), "-c", str(paths.config), "--ignore-formatted"]
    password = admin_password(settings)
    if password is not None:
        args += ["--add-scram", f'{SCRAM_MECHANISM}=[name={principals.ADMIN},password="{password.reveal()}"]']
    result = subprocess.run(  # noqa: S603
        _java_argv(settings, paths, "kafka.tools.StorageTool", *args), capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        if password is not None:
            output = output.replace(password.reveal(), "***")
        raise StackError(f"formatting Kafka storage failed: {output[-300:]}")
    if password is not None:
        scram_stamp.write_text("formatted with the admin SCRAM-SHA-512 user\n")
    return True


def brokers_answering(settings: Settings, timeout_s: float = 5.0) -> set[int]:
    """Ids of the brokers the cluster's metadata lists (empty if nothing answers a metadata request)."""
    from kafka.errors import KafkaError  # imported late: the CLI starts faster without it

    try:
        admin = clients.admin_client(settings, principals.ADMIN, request_timeout_ms=int(timeout_s * 1000),
                                     bootstrap_timeout_ms=int(timeout_s * 1000))
    except (KafkaError, OSError):  # no broker yet: "not answering", not an error
        return set()
    try:
        return {int(b["broker_id"]) for b in admin.describe_cluster().get("brokers", [])}
    except (KafkaError, OSError):
        return set()
    finally:
        admin.close()


def node_answers(settings: Settings, index: int, timeout_s: float = 3.0) -> bool:
    """True if node `index` itself serves metadata naming it (the cluster keeps listing a killed broker until
    its session expires, so asking any node is not enough)."""
    alone = settings.with_changes(kafka_bootstrap_override=f"127.0.0.1:{settings.node_port(index)}")
    return node_id(index) in brokers_answering(alone, timeout_s)


def broker_answers(settings: Settings, timeout_s: float = 5.0) -> bool:
    """True if the cluster answers a metadata request (not merely an open port)."""
    return bool(brokers_answering(settings, timeout_s))


def node_pid(settings: Settings, index: int) -> int | None:
    """The pid of local node `index` if it runs."""
    return process.read_pid(KafkaPaths.of(settings, index).pid)


def _prepare(settings: Settings) -> None:
    """Jars, config and formatted storage of every node (each step only if not done)."""
    shared = KafkaPaths.of(settings)
    shared.root.mkdir(parents=True, exist_ok=True)
    fetch_jars(settings, shared)
    every = [KafkaPaths.of(settings, index) for index in nodes(settings)]
    for index, paths in enumerate(every):  # also creates the credentials file, before the parallel part
        write_config(settings, paths, index)
    cluster = cluster_id(settings)
    with ThreadPoolExecutor(max_workers=len(every)) as pool:  # one JVM each: a few seconds, side by side
        list(pool.map(lambda paths: format_storage(settings, paths, cluster), every))


def _launch(settings: Settings, index: int) -> None:
    """Start node `index`'s JVM unless it runs (no wait)."""
    paths = KafkaPaths.of(settings, index)
    if process.read_pid(paths.pid) is not None:
        return
    for port, variable in ((settings.node_port(index), "KAFKA_PORT"),
                           (settings.node_controller_port(index), "KAFKA_CONTROLLER_PORT")):
        if process.port_open(port):
            which = "" if settings.kafka_nodes == 1 else f" (node {index})"
            raise StackError(f"port {port}{which} is taken by another program; set {PREFIX}{variable}")
    process.start_detached(_java_argv(settings, paths, "kafka.Kafka", str(paths.config)), paths.log, paths.pid)


def _wait_for(settings: Settings, wanted: set[int], timeout_s: float) -> None:
    """Block until every node in `wanted` (indexes) serves metadata; a node that exits fails at once."""
    waiting = set(wanted)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for index in sorted(wanted):
            paths = KafkaPaths.of(settings, index)
            if process.read_pid(paths.pid) is None:
                which = "the Kafka broker" if settings.kafka_nodes == 1 else f"Kafka node {index}"
                raise StackError(f"{which} exited during start; last log lines:\n{process.tail(paths.log)}")
        waiting = {i for i in waiting if not (process.port_open(settings.node_port(i)) and node_answers(settings, i))}
        if not waiting:
            return
        time.sleep(0.5)
    logs = ", ".join(str(KafkaPaths.of(settings, i).log) for i in sorted(wanted))
    raise StackError(f"the Kafka broker(s) did not answer within {timeout_s:.0f} s; see {logs}")


def start(settings: Settings, timeout_s: float = 120.0) -> str:
    """Start every node unless running; wait until the cluster's metadata lists them all. One-line description."""
    if all(node_pid(settings, i) is not None and node_answers(settings, i) for i in nodes(settings)):
        return f"already running on {settings.kafka_bootstrap}"
    _prepare(settings)
    for index in nodes(settings):
        _launch(settings, index)
    _wait_for(settings, set(nodes(settings)), timeout_s)
    return f"started on {settings.kafka_bootstrap}"


def start_node(settings: Settings, index: int, timeout_s: float = 120.0) -> None:
    """(Re)start one node (after kill_node or lose_node) and wait until it is back in the cluster's metadata."""
    _prepare(settings)  # a lost node's storage is formatted again with the cluster's id
    _launch(settings, index)
    _wait_for(settings, {index}, timeout_s)


def kill_node(settings: Settings, index: int, timeout_s: float = 30.0) -> int | None:
    """kill -9 one node, as a machine crash would; returns its pid (None if it was not running)."""
    paths = KafkaPaths.of(settings, index)
    pid = process.read_pid(paths.pid)
    if pid is None:
        return None
    os.kill(pid, signal.SIGKILL)
    process.wait_gone(pid, timeout_s)
    paths.pid.unlink(missing_ok=True)
    return pid


def lose_node(settings: Settings, index: int) -> None:
    """Lose one node for good: kill -9 it and delete its data (start_node then rejoins it empty)."""
    kill_node(settings, index)
    shutil.rmtree(KafkaPaths.of(settings, index).data, ignore_errors=True)


def stop(settings: Settings) -> bool:
    """Stop every node this project started (by pid files, all at once: a cluster stopped one by one loses
    its quorum before the last node's controlled shutdown); True if any was running."""
    return process.stop_pid_files([KafkaPaths.of(settings, i).pid for i in nodes(settings)], timeout=60)


def node_status(settings: Settings) -> list[tuple[str, bool, str]]:
    """(name, running, description) per node for the status table: "kafka", or "kafka-<i>" in a cluster."""
    pids = {i: node_pid(settings, i) for i in nodes(settings)}
    rows = []
    for index, pid in pids.items():
        name = "kafka" if settings.kafka_nodes == 1 else f"kafka-{index}"
        where = f"127.0.0.1:{settings.node_port(index)}"
        if pid is None:
            rows.append((name, False, f"not running (state in {KafkaPaths.of(settings, index).node_root})"))
            continue
        answering = node_answers(settings, index)
        rows.append((name, answering, f"pid {pid}, {where}" + ("" if answering else " (not answering)")))
    return rows


def status(settings: Settings) -> tuple[bool, str]:
    """(all nodes running, description) in one line."""
    rows = node_status(settings)
    return all(running for _, running, _ in rows), "; ".join(f"{name}: {detail}" for name, _, detail in rows)
