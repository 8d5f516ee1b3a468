"""One frozen settings object, read from TRACEPIPE_* environment variables once, at the entry point."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

PREFIX = "TRACEPIPE_"
# Not DEBUG: the debug output of faust and the Kafka clients is not vetted for personal data (records hold it).
LOG_LEVELS = ("INFO", "WARNING", "ERROR")
# Who connects to PostgreSQL, each as its own role with only the grants it needs (migration 0006).
DB_PURPOSES = ("worker", "api", "admin")
KAFKA_NODE_COUNTS = (1, 3)  # a single node, or the smallest cluster that survives losing one broker
KAFKA_SECURITY_MODES = ("none", "scram")
TABLE_STORES = ("rocksdb", "memory")
NODE_PORT_STEP = 100  # node i of a local cluster listens on the base ports + NODE_PORT_STEP * i

# Every environment variable tracepipe reads, with its default and meaning: the single place to look.
ENV_VARS: dict[str, tuple[str, str]] = {
    "STATE_DIR": (".stack", "where the local stack keeps jars, data, logs and pid files"),
    "KAFKA_BOOTSTRAP": ("", "Kafka bootstrap servers; empty means the local broker(s) on KAFKA_PORT"),
    "KAFKA_PORT": ("19092", "local broker's client port (loopback); node i of a cluster uses KAFKA_PORT + 100*i"),
    "KAFKA_CONTROLLER_PORT": ("19093", "local broker's KRaft controller port (loopback); node i: + 100*i"),
    "KAFKA_HEAP": ("512m", "local broker's JVM heap (per node)"),
    "KAFKA_NODES": ("1", "local Kafka nodes: 1 (the demo) or 3 (a cluster: replication 3, min.insync.replicas 2)"),
    "KAFKA_SECURITY": ("none", "client login: none (PLAINTEXT) or scram (SASL_PLAINTEXT, SCRAM-SHA-512, ACLs)"),
    "KAFKA_USER": ("", "Kafka principal this process authenticates as (scram); empty: the process's own role"),
    "KAFKA_PASSWORD": ("", "its password (never printed); empty: looked up in KAFKA_CREDENTIALS"),
    "KAFKA_CREDENTIALS": ("", "file of principals' SCRAM passwords; empty: <STATE_DIR>/kafka/credentials.json"),
    "PARTITIONS": ("6", "partitions per pipeline topic"),
    "REPLICATION": ("", "replication factor of pipeline topics; empty: 3 with KAFKA_NODES=3, else 1"),
    "PG_HOST": ("127.0.0.1", "PostgreSQL host"),
    "PG_PORT": ("15432", "PostgreSQL port"),
    "PG_DB": ("tracepipe", "PostgreSQL database"),
    "PG_USER": ("tracepipe", "PostgreSQL role"),
    "PG_PASSWORD": ("tracepipe-local", "PostgreSQL password of the schema owner (migrations, seeding; never printed)"),
    "PG_WORKER_USER": ("tracepipe_worker", "PostgreSQL role the processors connect as"),
    "PG_WORKER_PASSWORD": ("tracepipe-worker-local", "its password (never printed)"),
    "PG_API_USER": ("tracepipe_api", "PostgreSQL role the results API connects as"),
    "PG_API_PASSWORD": ("tracepipe-api-local", "its password (never printed)"),
    "PG_ADMIN_USER": ("tracepipe_admin", "PostgreSQL role admin tasks (accounts, sharing, audit) connect as"),
    "PG_ADMIN_PASSWORD": ("tracepipe-admin-local", "its password (never printed)"),
    "JAVA": ("java", "Java executable used to run the local broker"),
    "MVN": ("mvn", "Maven executable used to fetch the Kafka jars"),
    "LANG": ("en", "language of user-facing text: en or es"),
    "NAMESPACE": ("", "prefix of every topic and consumer group (isolates tests and parallel demos)"),
    "TABLE_STORE": ("rocksdb", "where dedupe and the serial linker keep their tables: rocksdb (on disk, so a "
                    "restart replays only the changelog's tail) or memory (rebuilt from the whole changelog)"),
    "TABLES_DIR": ("", "directory of the workers' local table stores; empty: <STATE_DIR>/tables"),
    "WORKER_LOG_LEVEL": ("WARNING", "log level of the processor workers: INFO, WARNING or ERROR (not DEBUG)"),
    # Used by each worker process when it starts (pipeline/ops/metrics/sensor.py, snapshots.py):
    "METRICS_PORT": ("9100", "base port of the workers' /metrics (+ the processor's index); 0 disables"),
    "SNAPSHOT_SECONDS": ("10", "how often each worker publishes a metrics snapshot to Kafka; 0 disables"),
    # Read by `tracepipe dashboard` (as defaults of its --host/--port options):
    "DASHBOARD_HOST": ("127.0.0.1", "address the ops dashboard listens on"),
    "DASHBOARD_PORT": ("8090", "port of the ops dashboard (page, /api/overview, lag gauges on /metrics)"),
    # Read by `tracepipe api` (as defaults of its --host/--port options):
    "API_HOST": ("127.0.0.1", "address the results API listens on"),
    "API_PORT": ("8091", "port of the results API"),
    "API_PEPPER": ("tracepipe-local-pepper", "secret key of the purchaser pseudonyms analysts see (never printed)"),
}


class Secret(str):
    """A string that never shows itself in repr, str or f-strings; call .reveal() to use it."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def reveal(self) -> str:
        """Return the real value, for the one place that must pass it on (a driver)."""
        return str.__str__(self)


def _seconds(name: str, raw: str, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be a number of seconds, got {raw!r}") from None
    if not 0 <= value <= high:  # also refuses NaN
        raise ConfigError(f"{PREFIX}{name} must be 0 (off) or up to {high:g} seconds, got {raw!r}")
    return value


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{PREFIX}{name} must be between {low} and {high}, got {value}")
    return value


def _choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    """A word from `choices`, in any case; blank means the first."""
    value = raw.strip().lower() or choices[0]
    if value not in choices:
        raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _choice_int(name: str, raw: str, choices: tuple[int, ...]) -> int:
    value = _int(name, raw, min(choices), max(choices))
    if value not in choices:
        raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(map(str, choices))}, got {value}")
    return value


def _replication(raw: str, nodes: int, local: bool) -> int:
    """The topics' replication factor: as set, or what the local node count allows and needs."""
    if not raw:
        return 3 if nodes == 3 else 1
    value = _int("REPLICATION", raw, 1, 10)
    if local and value > nodes:
        raise ConfigError(f"{PREFIX}REPLICATION={value} needs {value} brokers but the local stack runs "
                          f"{PREFIX}KAFKA_NODES={nodes}; set {PREFIX}KAFKA_NODES=3 or lower the replication")
    return value


def _check_node_ports(kafka_port: int, controller_port: int, nodes: int) -> None:
    """Every node's two ports fit below 65536 and no port is used twice."""
    ports = [base + NODE_PORT_STEP * i for i in range(nodes) for base in (kafka_port, controller_port)]
    if max(ports) > 65535:
        raise ConfigError(f"{PREFIX}KAFKA_PORT / {PREFIX}KAFKA_CONTROLLER_PORT are too high for {nodes} nodes "
                          f"(node i adds {NODE_PORT_STEP}*i; the last would be {max(ports)})")
    if len(set(ports)) != len(ports):
        raise ConfigError(f"{PREFIX}KAFKA_PORT={kafka_port} and {PREFIX}KAFKA_CONTROLLER_PORT={controller_port} "
                          f"collide across {nodes} nodes (node i adds {NODE_PORT_STEP}*i to both)")


@dataclass(frozen=True)
class Settings:
    """Everything configurable about tracepipe; build it with `Settings.from_env()`."""

    state_dir: Path
    kafka_port: int
    kafka_controller_port: int
    kafka_heap: str
    kafka_bootstrap_override: str
    partitions: int
    replication: int
    pg_host: str
    pg_port: int
    pg_db: str
    pg_user: str
    pg_password: Secret = field(repr=False)
    java: str = "java"
    mvn: str = "mvn"
    lang: str = "en"
    namespace: str = ""
    worker_log_level: str = "WARNING"
    db_roles: tuple[tuple[str, str, Secret], ...] = field(default=(), repr=False)  # (purpose, role, password)
    api_pepper: Secret = field(default=Secret("tracepipe-local-pepper"), repr=False)
    metrics_base_port: int = 9100  # processor i serves /metrics on base + i; 0: no /metrics
    snapshot_seconds: float = 10.0  # 0: no metrics snapshots
    kafka_nodes: int = 1
    kafka_security: str = "none"  # none | scram
    kafka_user: str = ""  # empty: each process authenticates as its own role's principal
    kafka_password: Secret = field(default=Secret(""), repr=False)  # empty: from the credentials file
    kafka_credentials_override: str = ""
    table_store: str = "rocksdb"  # rocksdb | memory
    tables_dir_override: str = ""

    @property
    def tables_dir(self) -> Path:
        """Where the workers keep their local table stores (one directory per processor's app)."""
        return Path(self.tables_dir_override) if self.tables_dir_override else self.state_dir / "tables"

    def topic(self, name: str) -> str:
        """Physical topic name of a declared (logical) topic name."""
        return f"{self.namespace}{name}"

    def group(self, processor: str) -> str:
        """Consumer group (and faust app id) of a processor: one group per processor, so each scales alone."""
        return f"{self.namespace}tracepipe-{processor}"

    @property
    def kafka_bootstrap(self) -> str:
        """Bootstrap servers for clients: the override, or every local node."""
        return self.kafka_bootstrap_override or ",".join(
            f"127.0.0.1:{self.node_port(i)}" for i in range(self.kafka_nodes)
        )

    def node_port(self, index: int) -> int:
        """Client port of local node `index` (0-based)."""
        return self.kafka_port + NODE_PORT_STEP * index

    def node_controller_port(self, index: int) -> int:
        """KRaft controller port of local node `index` (0-based)."""
        return self.kafka_controller_port + NODE_PORT_STEP * index

    @property
    def kafka_scram(self) -> bool:
        """True if clients authenticate with SASL/SCRAM-SHA-512 (and the broker enforces ACLs)."""
        return self.kafka_security == "scram"

    @property
    def kafka_credentials_file(self) -> Path:
        """Where principals' SCRAM passwords are kept (written by `stack up`, mode 0600)."""
        return Path(self.kafka_credentials_override) if self.kafka_credentials_override else (
            self.state_dir / "kafka" / "credentials.json"
        )

    def pg_dsn(self, dbname: str | None = None, user: str | None = None) -> str:
        """libpq connection string (contains the password: pass it to the driver, never print it)."""
        return self._dsn(user or self.pg_user, self.pg_password, dbname)

    def pg_dsn_as(self, purpose: str, dbname: str | None = None) -> str:
        """libpq connection string for one purpose: "owner", or one of DB_PURPOSES (its own least-privilege role)."""
        if purpose == "owner":
            return self.pg_dsn(dbname)
        user, password = self.db_role(purpose)
        return self._dsn(user, password, dbname)

    def db_role(self, purpose: str) -> tuple[str, Secret]:
        """The PostgreSQL role and password of one of DB_PURPOSES."""
        for name, user, password in self.db_roles:
            if name == purpose:
                return user, password
        raise ConfigError(f"no PostgreSQL role is configured for {purpose!r} (one of {', '.join(DB_PURPOSES)})")

    def _dsn(self, user: str, password: Secret, dbname: str | None) -> str:
        return (
            f"host={self.pg_host} port={self.pg_port} dbname={dbname or self.pg_db} "
            f"user={user} password={password.reveal()} connect_timeout=5"
        )

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests use it for a second, throwaway stack)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate TRACEPIPE_* variables; unset ones take the defaults in ENV_VARS."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return env.get(PREFIX + name, ENV_VARS[name][0])

        lang = get("LANG").lower()
        if lang not in ("en", "es"):
            raise ConfigError(f"{PREFIX}LANG must be 'en' or 'es', got {lang!r}")
        log_level = get("WORKER_LOG_LEVEL").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"{PREFIX}WORKER_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
        nodes = _choice_int("KAFKA_NODES", get("KAFKA_NODES").strip() or "1", KAFKA_NODE_COUNTS)
        security = _choice("KAFKA_SECURITY", get("KAFKA_SECURITY"), KAFKA_SECURITY_MODES)
        table_store = _choice("TABLE_STORE", get("TABLE_STORE"), TABLE_STORES)
        bootstrap = get("KAFKA_BOOTSTRAP").strip()
        replication = _replication(get("REPLICATION").strip(), nodes, local=not bootstrap)
        user, password = get("KAFKA_USER").strip(), get("KAFKA_PASSWORD")
        if password and not user:
            raise ConfigError(f"{PREFIX}KAFKA_PASSWORD is set but {PREFIX}KAFKA_USER is not: "
                              "say which principal the password belongs to")
        kafka_port = _int("KAFKA_PORT", get("KAFKA_PORT"), 1, 65535)
        controller_port = _int("KAFKA_CONTROLLER_PORT", get("KAFKA_CONTROLLER_PORT"), 1, 65535)
        _check_node_ports(kafka_port, controller_port, nodes)
        return cls(
            state_dir=Path(get("STATE_DIR")).resolve(),
            kafka_port=kafka_port,
            kafka_controller_port=controller_port,
            kafka_heap=get("KAFKA_HEAP"),
            kafka_bootstrap_override=bootstrap,
            partitions=_int("PARTITIONS", get("PARTITIONS"), 1, 1000),
            replication=replication,
            pg_host=get("PG_HOST"),
            pg_port=_int("PG_PORT", get("PG_PORT"), 1, 65535),
            pg_db=get("PG_DB"),
            pg_user=get("PG_USER"),
            pg_password=Secret(get("PG_PASSWORD")),
            java=get("JAVA"),
            mvn=get("MVN"),
            lang=lang,
            namespace=get("NAMESPACE"),
            worker_log_level=log_level,
            db_roles=tuple((purpose, get(f"PG_{purpose.upper()}_USER"), Secret(get(f"PG_{purpose.upper()}_PASSWORD")))
                           for purpose in DB_PURPOSES),
            api_pepper=Secret(get("API_PEPPER")),
            metrics_base_port=_int("METRICS_PORT", get("METRICS_PORT").strip() or "9100", 0, 65535),
            snapshot_seconds=_seconds("SNAPSHOT_SECONDS", get("SNAPSHOT_SECONDS").strip() or "10", 86400),
            kafka_nodes=nodes,
            kafka_security=security,
            kafka_user=user,
            kafka_password=Secret(password),
            kafka_credentials_override=get("KAFKA_CREDENTIALS").strip(),
            table_store=table_store,
            tables_dir_override=get("TABLES_DIR").strip(),
        )
