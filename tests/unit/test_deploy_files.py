"""Static checks of the deployment files under deploy/: Docker Compose, Kubernetes and the Dockerfile.

Nothing here starts a container; every test parses the files and asserts a property that, when
broken, makes a real deployment fail or misbehave (a quorum that cannot form, a Service that selects
no pod, a probe on a port nobody listens on, a password committed in clear, a worker holding the
database owner's password, a setting the code never reads, ...).
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from pipeline.cli import app as cli_app
from pipeline.kafka_access import principals as roles
from pipeline.ops.metrics.sensor import metrics_port
from pipeline.settings import DB_PURPOSES, ENV_VARS, PREFIX, Settings
from pipeline.stack.deploy_model import DEPLOYED, WORKER_GROUPS, agency_ids, deployed_principals, secret_name
from pipeline.topology import PROCESSORS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_DIR = DEPLOY / "compose"
COMPOSE_FILE = COMPOSE_DIR / "docker-compose.yml"
PROMETHEUS_FILE = COMPOSE_DIR / "prometheus.yml"
K8S_DIR = DEPLOY / "k8s"
KUSTOMIZATION = K8S_DIR / "kustomization.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE_README = COMPOSE_DIR / "README.md"
ROLES_MIGRATION = ROOT / "pipeline" / "db" / "migrations" / "0006_least_privilege_roles.sql"

KAFKA_IMAGE = "apache/kafka:3.9.1"
APP_DOCKERFILE = "deploy/Dockerfile"
INGEST_PROCESSORS = ",".join(WORKER_GROUPS["worker-ingest"])
STAGE_PROCESSORS = ",".join(WORKER_GROUPS["worker-stages"])
TOPOLOGY_NAMES = [spec.name for spec in PROCESSORS]
DASHBOARD_PORT = 8090
API_PORT = int(ENV_VARS["API_PORT"][0])  # 8091
LIVENESS_PATH, READINESS_PATH = "/healthz", "/readyz"  # pipeline/api/routes/health.py
# The one-shot database setup, in this order: login roles (as the owner), migrations (which grant the
# roles their rights), then the agency registry (as the admin role).
SETUP_STEPS = (["db", "roles"], ["db", "migrate"], ["agencies", "sync"])
OWNER_PASSWORD = f"{PREFIX}PG_PASSWORD"
ROLE_USER = {purpose: f"{PREFIX}PG_{purpose.upper()}_USER" for purpose in DB_PURPOSES}
ROLE_PASSWORD = {purpose: f"{PREFIX}PG_{purpose.upper()}_PASSWORD" for purpose in DB_PURPOSES}
API_PEPPER = f"{PREFIX}API_PEPPER"
# A value that compose fills in from the environment and refuses to start without: ${NAME:?message}.
REQUIRED_INTERPOLATION = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}")
SECRET_KEY_WORDS = ("PASSWORD", "SECRET", "TOKEN", "API_KEY", "PEPPER")
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
# Kafka: clients log in with SCRAM on the CLIENT listener; `admin` (the brokers, provisioning) is the one super user.
CLIENT_LISTENER = "CLIENT"
SCRAM = "SCRAM-SHA-512"
ADMIN = "admin"
ADMIN_SECRET = "kafka-admin"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"

YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def _load_all(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc is not None]


def _env(service: dict[str, Any]) -> dict[str, str]:
    """Compose `environment` in either mapping or list (`KEY=value`) form, as strings."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {k: (v[0] if v else "") for k, *v in pairs}
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command") or []
    return cmd.split() if isinstance(cmd, str) else [str(c) for c in cmd]


SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash"}


def _steps(service: dict[str, Any]) -> list[list[str]]:
    """The tracepipe commands a compose service runs, in order, as argument lists after `tracepipe`.

    The image's entrypoint is `tracepipe`, so that is the service's `command`; a setup step that runs
    several commands uses `entrypoint: ["/bin/sh", "-ec"]` and a script of `tracepipe ...` lines.
    """
    entry = service.get("entrypoint")
    if entry is None or entry in (["tracepipe"], "tracepipe"):
        return [_command(service)]
    entry = shlex.split(entry) if isinstance(entry, str) else [str(e) for e in entry]
    assert entry[0] in SHELLS and len(entry) == 2 and re.fullmatch(r"-[a-z]*c", entry[1]), (
        f"entrypoint {entry}: expected a shell with -c running `tracepipe ...` lines"
    )
    command = service.get("command")
    assert isinstance(command, list) and len(command) == 1, f"{entry} needs the script as one argument"
    lines = [line.strip() for line in re.split(r"\n|&&", str(command[0])) if line.strip()]
    if len(lines) > 1 and "&&" not in str(command[0]):
        assert "e" in entry[1], f"{entry}: without -e a failed step does not stop the ones after it"
    steps = []
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "tracepipe", f"the script runs {line!r}, not a tracepipe command"
        steps.append(words[1:])
    return steps


def _purpose(args: list[str]) -> str:
    """What a tracepipe command does as far as the database goes (keys of SECRETS_FOR)."""
    if args[:2] == ["db", "roles"]:
        return "roles"
    if args[:2] == ["db", "migrate"]:
        return "migrate"
    if args[:1] in (["agencies"], ["accounts"], ["sharing"], ["audit"]):
        return "admin"
    if args[:1] == ["worker"]:
        return "worker"
    if args[:1] == ["api"]:
        return "api"
    if args[:2] == ["kafka", "provision"]:
        return "kafka"  # reads the agency registry
    return "none"  # topics, dashboard: Kafka only


# The secret settings each kind of command needs, and may be given: nothing else. Only the setup steps
# see the owner's password; `db roles` sees every role's, since it sets them.
SECRETS_FOR: dict[str, set[str]] = {
    "roles": {OWNER_PASSWORD, *ROLE_PASSWORD.values()},
    "migrate": {OWNER_PASSWORD},
    "admin": {ROLE_PASSWORD["admin"]},
    "worker": {ROLE_PASSWORD["worker"]},
    "api": {ROLE_PASSWORD["api"], API_PEPPER},
    "kafka": {ROLE_PASSWORD["admin"]},
    "none": set(),
}
# The database role each kind of command connects as (pipeline.settings.Settings.pg_dsn_as).
ROLE_FOR = {"roles": "owner", "migrate": "owner", "admin": "admin", "worker": "worker", "api": "api", "kafka": "admin"}


def _secret_settings(names: Any) -> set[str]:
    return {n for n in names if n.startswith(PREFIX) and any(w in n for w in SECRET_KEY_WORDS)}


def _option_value(args: list[str], option: str) -> str | None:
    """The value of `--option V` or `--option=V` in args, if given."""
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


def _api_listens_on(args: list[str], env: dict[str, str]) -> tuple[str, int]:
    """(host, port) `tracepipe api` binds: --host/--port, else TRACEPIPE_API_HOST/_PORT, else the defaults."""
    host = _option_value(args, "--host") or env.get(f"{PREFIX}API_HOST") or ENV_VARS["API_HOST"][0]
    port = _option_value(args, "--port") or env.get(f"{PREFIX}API_PORT") or ENV_VARS["API_PORT"][0]
    return host, int(port)


def _roles_granted_by_migration() -> set[str]:
    """Role names migration 0006 grants rights to."""
    text = ROLES_MIGRATION.read_text(encoding="utf-8")
    granted: set[str] = set()
    for grantees in re.findall(r"\bTO\s+([a-z_][a-z0-9_]*(?:\s*,\s*[a-z_][a-z0-9_]*)*)\s*;", text):
        granted |= {g.strip() for g in grantees.split(",")}
    return granted


@pytest.fixture(scope="module")
def api_routes() -> set[tuple[str, str]]:
    """(method, path) of every operation the results API serves (its app built as `tracepipe api` builds it)."""
    from pipeline.api.app import create_app

    paths = create_app(Settings.from_env({})).openapi()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def _worker_processors(args: list[str]) -> list[str] | None:
    """Processors of `worker --processors a,b` (also `-p a,b`, `--processors=a,b`); None if not a worker."""
    if args[:1] != ["worker"]:
        return None
    for i, arg in enumerate(args[1:], start=1):
        if arg in {"--processors", "-p"}:
            value = args[i + 1]
            break
        if arg.startswith("--processors="):
            value = arg.split("=", 1)[1]
            break
    else:
        value = "all"  # the CLI default
    if value == "all":
        return list(TOPOLOGY_NAMES)
    return [name.strip() for name in value.split(",") if name.strip()]


def _expected_metrics_ports(processors: list[str], base: str) -> set[int]:
    """The /metrics ports a worker running `processors` really serves (pipeline.ops.metrics.sensor.metrics_port)."""
    base_port = Settings.from_env({"TRACEPIPE_METRICS_PORT": base}).metrics_base_port
    ports = {metrics_port(name, base_port) for name in processors}
    assert None not in ports, "TRACEPIPE_METRICS_PORT=0 disables /metrics, but the deployment scrapes it"
    return ports  # type: ignore[return-value]


def _cli_tree() -> dict[str, set[str] | None]:
    """`tracepipe` commands: {name: None} for a plain command, {group: {subcommands}} for a group."""
    root = typer.main.get_command(cli_app)
    return {
        name: (set(cmd.commands) if hasattr(cmd, "commands") else None)
        for name, cmd in root.commands.items()  # type: ignore[attr-defined]
    }


def _assert_real_cli_command(args: list[str], where: str) -> None:
    tree = _cli_tree()
    assert args, f"{where}: no command"
    assert args[0] in tree, f"{where}: `tracepipe {args[0]}` is not a tracepipe command ({sorted(tree)})"
    subcommands = tree[args[0]]
    if subcommands is not None:
        assert len(args) > 1 and args[1] in subcommands, (
            f"{where}: `tracepipe {' '.join(args[:2])}` is not a subcommand of {args[0]} ({sorted(subcommands)})"
        )


def _url_port(text: str) -> int:
    return _local_url(text)[0]


def _local_url(text: str) -> tuple[int, str]:
    """(port, path) of the local URL in a healthcheck command."""
    m = re.search(r"//(?:127\.0\.0\.1|localhost):(\d+)(/[^'\"\s]*)", text)
    assert m, f"no local URL in {text!r}"
    return int(m.group(1)), m.group(2)


def _listeners(value: str) -> dict[str, tuple[str, int]]:
    """`NAME://host:port,...` -> {NAME: (host, port)} (host may be empty)."""
    out: dict[str, tuple[str, int]] = {}
    for item in value.split(","):
        name, rest = item.strip().split("://", 1)
        host, port = rest.rsplit(":", 1)
        assert name not in out, f"listener {name} declared twice in {value!r}"
        out[name] = (host, int(port))
    return out


def _voters(value: str) -> list[tuple[int, str, int]]:
    """`id@host:port,...` -> [(id, host, port)], in order."""
    out = []
    for item in value.split(","):
        m = re.fullmatch(r"(\d+)@([A-Za-z0-9.-]+):(\d+)", item.strip())
        assert m, f"malformed controller quorum voter {item!r}"
        out.append((int(m.group(1)), m.group(2), int(m.group(3))))
    return out


def _bootstrap(value: str) -> list[tuple[str, int]]:
    out = []
    for item in value.split(","):
        host, port = item.strip().rsplit(":", 1)
        out.append((host, int(port)))
    return out


def _walk_items(node: Any, path: str = ""):
    """Yield (dotted path, key, value) for every mapping entry in a parsed YAML tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield f"{path}.{k}", str(k), v
            yield from _walk_items(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk_items(v, f"{path}[{i}]")


# --------------------------------------------------------------------------------------------------
# every YAML file
# --------------------------------------------------------------------------------------------------


def test_deploy_tree_has_the_expected_files():
    assert COMPOSE_FILE.is_file()
    assert PROMETHEUS_FILE.is_file()
    assert KUSTOMIZATION.is_file()
    assert DOCKERFILE.is_file()
    assert len(YAML_FILES) >= 4


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path):
    docs = _load_all(path)
    assert docs, f"{path} holds no YAML document"
    for doc in docs:
        assert isinstance(doc, dict), f"{path}: top-level document is {type(doc).__name__}, not a mapping"


# --------------------------------------------------------------------------------------------------
# Docker Compose
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    (doc,) = _load_all(COMPOSE_FILE)
    return doc


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def brokers(services) -> dict[str, dict[str, Any]]:
    return {n: svc for n, svc in services.items()
            if str(svc.get("image", "")).startswith("apache/kafka") and "KAFKA_PROCESS_ROLES" in _env(svc)}


@pytest.fixture(scope="module")
def app_services(services) -> dict[str, dict[str, Any]]:
    """Services that run the tracepipe image (built from deploy/Dockerfile)."""
    out = {}
    for name, svc in services.items():
        build = svc.get("build") or {}
        dockerfile = build.get("dockerfile", "") if isinstance(build, dict) else ""
        if dockerfile == APP_DOCKERFILE or "tracepipe" in str(svc.get("image", "")):
            out[name] = svc
    return out


def _broker_host(name: str, svc: dict[str, Any]) -> set[str]:
    return {name, svc.get("hostname", name)}


def test_compose_runs_three_kraft_combined_brokers(brokers):
    assert len(brokers) == 3, f"expected 3 Kafka brokers, found {sorted(brokers)}"
    for name, svc in brokers.items():
        assert svc["image"] == KAFKA_IMAGE, name
        env = _env(svc)
        roles = {r.strip() for r in env["KAFKA_PROCESS_ROLES"].split(",")}
        assert roles == {"broker", "controller"}, f"{name} is not in combined mode: {roles}"
        assert "KAFKA_ZOOKEEPER_CONNECT" not in env, name


def test_compose_broker_node_ids_are_unique(brokers):
    ids = [int(_env(svc)["KAFKA_NODE_ID"]) for svc in brokers.values()]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate KAFKA_NODE_ID {dupes}"


def test_compose_quorum_voters_agree_and_list_each_node_once(brokers):
    voter_strings = {_env(svc)["KAFKA_CONTROLLER_QUORUM_VOTERS"] for svc in brokers.values()}
    assert len(voter_strings) == 1, f"brokers disagree on the controller quorum: {voter_strings}"
    voters = _voters(voter_strings.pop())
    voter_ids = [v[0] for v in voters]
    assert len(voter_ids) == len(set(voter_ids)), f"a node id appears twice among voters {voter_ids}"

    by_id = {int(_env(svc)["KAFKA_NODE_ID"]): (name, svc) for name, svc in brokers.items()}
    assert sorted(voter_ids) == sorted(by_id), f"voters {voter_ids} != broker node ids {sorted(by_id)}"
    for node_id, host, port in voters:
        name, svc = by_id[node_id]
        assert host in _broker_host(name, svc), f"voter {node_id}@{host} is not the broker {name}"
        env = _env(svc)
        controller_names = env["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")
        controller = _listeners(env["KAFKA_LISTENERS"])[controller_names[0]]
        assert controller[1] == port, f"voter {node_id} uses port {port}, {name}'s controller is {controller}"


def test_compose_brokers_share_one_cluster_id(brokers):
    ids = {_env(svc).get("CLUSTER_ID") for svc in brokers.values()}
    assert len(ids) == 1, f"brokers do not share a CLUSTER_ID: {ids}"
    (cluster_id,) = ids
    assert cluster_id and re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id), f"not a base64 UUID: {cluster_id!r}"


def test_compose_internal_topics_are_replicated(brokers):
    n = len(brokers)
    for name, svc in brokers.items():
        env = _env(svc)
        assert int(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == 3 <= n, name
        assert int(env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"]) == 3, name
        assert int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == 3, name
        assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == 2, name
        assert int(env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]) == 2, name


def test_compose_brokers_advertise_their_own_names(brokers):
    published: list[str] = []
    for name, svc in brokers.items():
        env = _env(svc)
        listeners = _listeners(env["KAFKA_LISTENERS"])
        advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
        protocol_map = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
        assert set(listeners) <= set(protocol_map), f"{name}: listener without a security protocol"
        inter = env["KAFKA_INTER_BROKER_LISTENER_NAME"]
        assert inter in advertised, f"{name}: inter-broker listener {inter} is not advertised"
        assert advertised[inter][0] in _broker_host(name, svc), f"{name} advertises {advertised[inter]}"
        assert advertised[inter][1] == listeners[inter][1], f"{name}: advertised port differs from bound port"
        assert set(advertised) <= set(listeners), f"{name}: advertises a listener it does not bind"
        published += [str(p).rsplit(":", 1)[0] for p in svc.get("ports", [])]
    assert len(published) == len(set(published)), f"two brokers publish the same host port: {published}"


def test_compose_depends_on_targets_exist(services):
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    checked = 0
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        for target, spec in deps.items():
            checked += 1
            assert target in services, f"{name} depends on unknown service {target!r}"
            assert target != name, f"{name} depends on itself"
            condition = (spec or {}).get("condition", "service_started")
            assert condition in conditions, f"{name} -> {target}: unknown condition {condition!r}"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target} health, which has none"
            if condition == "service_completed_successfully":
                restart = services[target].get("restart", "no")
                assert restart in {"no", "on-failure"}, f"{target} never completes (restart: {restart})"
    assert checked >= 8


def test_compose_holds_no_literal_password(compose):
    offenders = []
    for path, key, value in _walk_items(compose):
        if isinstance(value, (dict, list)):
            continue
        if any(word in key.upper() for word in SECRET_KEY_WORDS):
            if not REQUIRED_INTERPOLATION.fullmatch(str(value)):
                offenders.append(f"{path}={value!r}")
        if isinstance(value, str) and re.match(r"^[A-Z_]*(PASSWORD|SECRET|TOKEN)[A-Z_]*=", value):
            name, val = value.split("=", 1)
            if not REQUIRED_INTERPOLATION.fullmatch(val):
                offenders.append(f"{path}: {name}={val!r}")
    assert not offenders, "secrets must come from ${VAR:?...} interpolation: " + ", ".join(offenders)


def test_compose_app_services_use_the_defined_brokers(brokers, app_services):
    assert app_services, "no service runs the tracepipe image"
    expected: dict[str, int] = {}
    for svc in brokers.values():
        env = _env(svc)
        advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
        host, port = advertised[CLIENT_LISTENER]
        expected[host] = port
    for name, svc in app_services.items():
        env = _env(svc)
        assert "TRACEPIPE_KAFKA_BOOTSTRAP" in env, f"{name} has no TRACEPIPE_KAFKA_BOOTSTRAP"
        pairs = _bootstrap(env["TRACEPIPE_KAFKA_BOOTSTRAP"])
        assert dict(pairs) == expected and len(pairs) == len(expected), (
            f"{name}: bootstrap {pairs} does not match the brokers {expected}"
        )
        assert int(env["TRACEPIPE_REPLICATION"]) == 3 <= len(brokers), name


def test_compose_app_services_reach_postgres(services, app_services):
    for name, svc in app_services.items():
        env = _env(svc)
        for key in ("TRACEPIPE_PG_HOST", "TRACEPIPE_PG_PORT", "TRACEPIPE_PG_DB", "TRACEPIPE_PG_USER"):
            assert env.get(key), f"{name} lacks {key}"
        pg = services.get(env["TRACEPIPE_PG_HOST"])
        assert pg is not None and str(pg["image"]).startswith("postgres:15"), f"{name}: PG host not postgres"
        pg_env = _env(pg)
        assert env["TRACEPIPE_PG_DB"] == pg_env["POSTGRES_DB"], name
        assert env["TRACEPIPE_PG_USER"] == pg_env["POSTGRES_USER"], name
        # Only the setup step connects as the owner (POSTGRES_USER, the superuser the image creates).
        if OWNER_PASSWORD in env:
            assert env[OWNER_PASSWORD] == pg_env["POSTGRES_PASSWORD"], f"{name}: password source differs"


def test_compose_postgres_has_volume_and_pg_isready(compose, services):
    pg = services["postgres"]
    assert str(pg["image"]).startswith("postgres:15")
    assert "pg_isready" in " ".join(map(str, pg["healthcheck"]["test"]))
    mounts = [str(v).split(":", 1) for v in pg.get("volumes", [])]
    named = [src for src, _dst in mounts if not src.startswith((".", "/"))]
    assert named and all(src in (compose.get("volumes") or {}) for src in named)


def test_compose_named_volumes_are_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, svc in services.items():
        for vol in svc.get("volumes", []):
            src = str(vol).split(":", 1)[0]
            if src.startswith("."):
                assert (COMPOSE_DIR / src).exists(), f"{name}: bind source {src} missing"
            elif src.startswith("/"):
                continue
            else:
                assert src in declared, f"{name} uses undeclared volume {src}"


def test_compose_runs_every_tracepipe_role(app_services):
    commands = {" ".join(step): name for name, svc in app_services.items() for step in _steps(svc)}
    wanted = [
        "topics ensure",
        "db roles",
        "db migrate",
        "agencies sync",
        f"worker --processors {INGEST_PROCESSORS}",
        f"worker --processors {STAGE_PROCESSORS}",
        "api",
        "dashboard",
    ]
    for cmd in wanted:
        assert cmd in commands, f"no service runs `tracepipe {cmd}`; have {commands}"
    ports = {name: [str(p) for p in svc.get("ports", [])] for name, svc in app_services.items()}
    assert f"{DASHBOARD_PORT}:{DASHBOARD_PORT}" in ports[commands["dashboard"]]
    assert _env(app_services[commands["dashboard"]])["TRACEPIPE_DASHBOARD_PORT"] == str(DASHBOARD_PORT)


def test_compose_commands_are_real_tracepipe_commands(app_services):
    for name, svc in app_services.items():
        for step in _steps(svc):
            _assert_real_cli_command(step, f"compose service {name}")


def _setup_service(app_services) -> tuple[str, dict[str, Any]]:
    (name,) = [n for n, s in app_services.items() if ["db", "migrate"] in _steps(s)]
    return name, app_services[name]


def test_compose_migrate_step_creates_roles_then_migrates_then_syncs_agencies(services, app_services):
    name, svc = _setup_service(app_services)
    assert _steps(svc) == list(SETUP_STEPS), f"{name} runs {_steps(svc)}, not roles -> migrate -> agencies sync"
    assert svc.get("restart") == "on-failure", f"{name}: a one-shot step must be retried, then complete"
    assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
    env, pg_env = _env(svc), _env(services["postgres"])
    # `db roles` connects as TRACEPIPE_PG_USER, which needs CREATEROLE: the image's POSTGRES_USER is a superuser.
    assert env["TRACEPIPE_PG_USER"] == pg_env["POSTGRES_USER"]
    assert env[OWNER_PASSWORD] == pg_env["POSTGRES_PASSWORD"]
    for purpose in DB_PURPOSES:
        assert env.get(ROLE_USER[purpose]) and env.get(ROLE_PASSWORD[purpose]), (
            f"{name}: `db roles` needs {ROLE_USER[purpose]} and {ROLE_PASSWORD[purpose]}"
        )
    # Everything that reads the database waits for the whole setup.
    for other, other_svc in app_services.items():
        if _purpose(_steps(other_svc)[0]) in {"worker", "api"}:
            condition = (other_svc.get("depends_on") or {}).get(name, {}).get("condition")
            assert condition == "service_completed_successfully", f"{other} does not wait for {name}"


def test_compose_api_service(services, app_services):
    (name,) = [n for n, s in app_services.items() if _steps(s) == [["api"]]]
    svc = app_services[name]
    env = _env(svc)
    host, port = _api_listens_on(_command(svc), env)
    assert (host, port) == ("0.0.0.0", API_PORT), f"{name} listens on {host}:{port}"
    assert env[f"{PREFIX}API_PORT"] == str(API_PORT)
    assert f"{API_PORT}:{port}" in [str(p) for p in svc.get("ports", [])], f"{name} does not publish {API_PORT}"
    probe_port, probe_path = _local_url(" ".join(map(str, svc["healthcheck"]["test"])))
    assert (probe_port, probe_path) == (port, LIVENESS_PATH), f"{name} healthcheck probes :{probe_port}{probe_path}"
    deps = svc["depends_on"]
    for step in ("kafka-setup", "migrate"):
        assert deps[step]["condition"] == "service_completed_successfully", f"{name} must wait for {step}"
    dashboard = next(s for s in app_services.values() if _steps(s) == [["dashboard"]])
    assert deps == dashboard["depends_on"], f"{name} should wait for the same setup steps as the dashboard"


def test_compose_each_service_gets_only_its_own_database_role(app_services):
    setup, _ = _setup_service(app_services)
    owners = []
    by_purpose: dict[str, list[str]] = {}
    for name, svc in app_services.items():
        env = _env(svc)
        purposes = {_purpose(step) for step in _steps(svc)}
        expected = set().union(*(SECRETS_FOR[p] for p in purposes))
        assert _secret_settings(env) == expected, (
            f"{name} runs {sorted(purposes)}: it needs exactly {sorted(expected)}, has {sorted(_secret_settings(env))}"
        )
        for purpose in purposes:
            by_purpose.setdefault(purpose, []).append(name)
            role = ROLE_FOR.get(purpose)
            if role in DB_PURPOSES:
                assert env.get(ROLE_USER[role]), f"{name} connects as the {role} role but lacks {ROLE_USER[role]}"
        if OWNER_PASSWORD in env:
            owners.append(name)
    assert owners == [setup], f"only {setup} may hold the owner's password, not {owners}"
    assert len(by_purpose.get("worker", [])) == 2 and by_purpose.get("api"), by_purpose


def test_compose_roles_are_the_ones_db_roles_creates_and_the_migration_grants(app_services):
    """Workers and the API log in with the name and password `db roles` set in the setup step."""
    _, setup = _setup_service(app_services)
    setup_env = _env(setup)
    granted = _roles_granted_by_migration()
    for purpose in DB_PURPOSES:
        assert setup_env[ROLE_USER[purpose]] in granted, (
            f"{ROLE_USER[purpose]}={setup_env[ROLE_USER[purpose]]!r}: migration 0006 grants nothing to it"
        )
    for name, svc in app_services.items():
        env = _env(svc)
        for purpose in DB_PURPOSES:
            for key in (ROLE_USER[purpose], ROLE_PASSWORD[purpose]):
                if key in env:
                    assert env[key] == setup_env[key], f"{name}: {key} differs from what `db roles` sets"


def test_compose_readme_env_recipe_sets_every_required_variable(compose):
    """The README's `.env` recipe provides every `${VAR:?...}` the file requires, or compose will not start."""
    required = set()
    for _path, _key, value in _walk_items(compose):
        if isinstance(value, str):
            required |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?", value))
    text = COMPOSE_README.read_text(encoding="utf-8")
    m = re.search(r"cat > \.env <<EOF\n(.*?)\nEOF", text, re.S)
    assert m, "no `cat > .env <<EOF` recipe in deploy/compose/README.md"
    recipe = {line.split("=", 1)[0] for line in m.group(1).splitlines() if "=" in line}
    assert required <= recipe, f"the README's .env recipe lacks {sorted(required - recipe)}"
    header = COMPOSE_FILE.read_text(encoding="utf-8").split("\nname:", 1)[0]
    assert all(name in header for name in required), "the compose header should name every secret it needs"


def test_compose_worker_processors_cover_the_topology(app_services):
    run: list[str] = []
    for name, svc in app_services.items():
        processors = _worker_processors(_command(svc))
        if processors is None:
            continue
        unknown = [p for p in processors if p not in TOPOLOGY_NAMES]
        assert not unknown, f"{name} runs processors not in pipeline.topology.PROCESSORS: {unknown}"
        assert len(processors) == len(set(processors)), f"{name} lists a processor twice"
        run += processors
    missing = [p for p in TOPOLOGY_NAMES if p not in run]
    assert not missing, f"no compose worker runs {missing}"
    twice = [p for p, n in Counter(run).items() if n > 1]
    assert not twice, f"processors run by two worker services (their metrics ports would be scraped twice): {twice}"


def test_compose_kafka_setup_runs_once_the_cluster_and_the_registry_are_ready(services, brokers, app_services):
    """admin's SCRAM credential (after every broker is healthy), then provisioning and topics (as admin)."""
    (name,) = [n for n, s in app_services.items() if ["topics", "ensure"] in _steps(s)]
    setup = app_services[name]
    assert _steps(setup) == [["kafka", "provision"], ["topics", "ensure"]]
    assert _env(setup)["TRACEPIPE_KAFKA_USER"] == ADMIN
    deps = setup["depends_on"]
    assert deps["migrate"]["condition"] == "service_completed_successfully", "provisioning reads the registry"
    (credential_step,) = [d for d in deps if d in services and d not in app_services]
    assert deps[credential_step]["condition"] == "service_completed_successfully"
    step = services[credential_step]
    for broker in brokers:
        assert step["depends_on"][broker]["condition"] == "service_healthy", broker
    _assert_sets_admin_scram_credential(" ".join(map(str, step["command"])), brokers_at=[
        f"{host}:{port}" for host, port in (_listeners(_env(b)["KAFKA_ADVERTISED_LISTENERS"])["BROKER"]
                                             for b in brokers.values())])


def _scrape_targets() -> dict[str, set[tuple[str, int]]]:
    """{job_name: {(host, port)}} from prometheus.yml (static and DNS-discovered targets)."""
    (prom_cfg,) = _load_all(PROMETHEUS_FILE)
    out: dict[str, set[tuple[str, int]]] = {}
    for job in prom_cfg["scrape_configs"]:
        targets = out.setdefault(job["job_name"], set())
        for sc in job.get("static_configs", []):
            for t in sc["targets"]:
                host, port = t.rsplit(":", 1)
                targets.add((host, int(port)))
        for sd in job.get("dns_sd_configs", []):
            for host in sd["names"]:
                targets.add((host, int(sd["port"])))
    return out


def test_prometheus_scrapes_every_processor_of_every_worker(services, app_services):
    by_job = _scrape_targets()
    targets = set().union(*by_job.values())
    workers = {n: s for n, s in app_services.items() if _command(s)[:1] == ["worker"]}
    assert len(workers) == 2
    for name, svc in workers.items():
        base = _env(svc)["TRACEPIPE_METRICS_PORT"]
        assert base == "9100"
        expected = _expected_metrics_ports(_worker_processors(_command(svc)) or [], base)
        scraped = {port for host, port in targets if host == name}
        assert scraped == expected, (
            f"Prometheus scrapes {name} on {sorted(scraped)}, its processors serve {sorted(expected)}"
        )
    for host, _port in targets:
        assert host == "localhost" or host in services, f"scrape target {host} is not a compose service"
    prom = [s for s in services.values() if str(s.get("image", "")).startswith("prom/prometheus")]
    assert len(prom) == 1
    assert any(str(v).startswith("./prometheus.yml:") for v in prom[0]["volumes"])
    assert any(str(s.get("image", "")).startswith("grafana/grafana") for s in services.values())


def test_prometheus_scrapes_the_dashboard_lag_gauges(app_services):
    (prom_cfg,) = _load_all(PROMETHEUS_FILE)
    (dashboard,) = [n for n, s in app_services.items() if _command(s)[:1] == ["dashboard"]]
    port = int(_env(app_services[dashboard])["TRACEPIPE_DASHBOARD_PORT"])
    jobs = [j for j in prom_cfg["scrape_configs"] if (dashboard, port) in _scrape_targets()[j["job_name"]]]
    assert len(jobs) == 1, f"no single scrape job for {dashboard}:{port}"
    assert jobs[0].get("metrics_path", "/metrics") == "/metrics"


def test_compose_worker_healthchecks_probe_a_served_metrics_port(app_services):
    for name, svc in app_services.items():
        processors = _worker_processors(_command(svc))
        if processors is None:
            continue
        served = _expected_metrics_ports(processors, _env(svc)["TRACEPIPE_METRICS_PORT"])
        test = " ".join(map(str, svc["healthcheck"]["test"]))
        assert "/metrics" in test, name
        port = _url_port(test)
        assert port in served, f"{name} healthcheck probes port {port}, its processors serve {sorted(served)}"


def test_compose_images_are_pinned(services):
    for name, svc in services.items():
        image = str(svc.get("image", ""))
        assert image, f"{name} has no image"
        assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), f"{name}: unpinned {image}"


# --------------------------------------------------------------------------------------------------
# Kafka security, the same in compose and on the plain StatefulSet
# --------------------------------------------------------------------------------------------------


def _protocols(env: dict[str, str]) -> dict[str, str]:
    return dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))


def _mechanisms(env: dict[str, str], listener: str) -> list[str]:
    """SASL mechanisms a listener accepts: its own setting, else the broker-wide one."""
    value = env.get(f"KAFKA_LISTENER_NAME_{listener}_SASL_ENABLED_MECHANISMS") or env["KAFKA_SASL_ENABLED_MECHANISMS"]
    return [m.strip() for m in value.split(",")]


def _jaas_key(listener: str, mechanism: str) -> str:
    # The image's names: `_` is `.`, `___` is `-` (listener.name.client.scram-sha-512.sasl.jaas.config).
    return f"KAFKA_LISTENER_NAME_{listener}_{mechanism.replace('-', '___')}_SASL_JAAS_CONFIG"


def _assert_secure_broker(env: dict[str, str], where: str) -> None:
    """Every listener authenticates; clients log in with SCRAM-SHA-512; PLAIN knows only admin; no ACL, no access."""
    listeners = _listeners(env["KAFKA_LISTENERS"])
    protocols = _protocols(env)
    assert CLIENT_LISTENER in listeners, f"{where}: no {CLIENT_LISTENER} listener"
    for name in listeners:
        assert protocols[name] in {"SASL_PLAINTEXT", "SASL_SSL"}, f"{where}: listener {name} is {protocols[name]}"
        for mechanism in _mechanisms(env, name):
            assert mechanism in {SCRAM, "PLAIN"}, f"{where}: {name} accepts {mechanism}"
            jaas = env.get(_jaas_key(name, mechanism), "")
            assert jaas.rstrip().endswith(";"), f"{where}: {name}/{mechanism} has no JAAS entry"
            if mechanism == "PLAIN":
                # A PLAIN listener checks logins against its JAAS entry: it must know admin and nobody else.
                assert set(re.findall(r"\buser_([A-Za-z0-9_.-]+)=", jaas)) == {ADMIN}, f"{where}: {name} PLAIN users"
                assert re.search(rf'\busername="{ADMIN}"', jaas), f"{where}: {name} does not log in as {ADMIN}"
    assert _mechanisms(env, CLIENT_LISTENER) == [SCRAM], f"{where}: clients must log in with {SCRAM} only"
    inter, controller = env["KAFKA_INTER_BROKER_LISTENER_NAME"], env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert env["KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL"] in _mechanisms(env, inter), where
    assert env["KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL"] in _mechanisms(env, controller), where
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == AUTHORIZER, where
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false", where
    assert env["KAFKA_SUPER_USERS"] == f"User:{ADMIN}", f"{where}: super users {env['KAFKA_SUPER_USERS']}"
    assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == 2 and int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == 3, where


def test_compose_brokers_authenticate_every_listener_and_authorize_by_acl(brokers):
    for name, svc in brokers.items():
        _assert_secure_broker(_env(svc), f"compose {name}")


def test_k8s_kafka_statefulset_authenticates_and_authorizes(k8s_docs):
    kafka = _of_kind(k8s_docs, "StatefulSet")["kafka"]
    (c,) = _pod_spec(kafka)["containers"]
    env = {item["name"]: item.get("value", "") for item in c["env"]}
    _assert_secure_broker(env, "StatefulSet/kafka")
    # The JAAS entries take the admin password from an env var read from a Secret ($(VAR) expansion).
    sources = {item["name"]: item["valueFrom"]["secretKeyRef"] for item in c["env"]
               if "secretKeyRef" in (item.get("valueFrom") or {})}
    # Kubernetes expands $(VAR) only with a variable defined earlier in the list (else the text stays as is).
    order = [item["name"] for item in c["env"]]
    for key, value in env.items():
        for var in re.findall(r"\$\(([A-Z_]+)\)", value):
            assert var in sources or var in {"POD_NAME", "POD_NAMESPACE"}, f"{key} expands $({var}), no such variable"
            assert order.index(var) < order.index(key), f"{key} expands $({var}), defined only after it"
    assert {s["name"] for s in sources.values()} == {ADMIN_SECRET}


def _assert_sets_admin_scram_credential(script: str, brokers_at: list[str]) -> None:
    """The first step on a new cluster: kafka-configs.sh gives admin its SCRAM credential, logging in with PLAIN
    on every broker's BROKER listener (the one login that exists before any SCRAM user does)."""
    words = shlex.split(script.replace("\\\n", " "))
    assert "/opt/kafka/bin/kafka-configs.sh" in words, "the admin credential is set with Kafka's own tool"
    assert _option_value(words, "--entity-type") == "users" and _option_value(words, "--entity-name") == ADMIN
    scram = _option_value(words, "--add-config") or ""
    assert re.fullmatch(rf"{SCRAM}=\[password=\$\$?\{{?ADMIN_PASSWORD\}}?\]", scram), scram
    assert sorted(_option_value(words, "--bootstrap-server").split(",")) == sorted(brokers_at)
    assert "sasl.mechanism=PLAIN" in script and f'username="{ADMIN}"' in script


def _granted(service: dict[str, Any]) -> dict[str, str]:
    """{file name under /run/secrets: secret} of a compose service's secrets."""
    out = {}
    for item in service.get("secrets") or []:
        source, target = (item, item) if isinstance(item, str) else (item["source"], item.get("target", item["source"]))
        out[target] = source
    return out


def _principals_of(args: list[str]) -> set[str]:
    """The Kafka principals a tracepipe command logs in as: a worker's processors (and ops, for its watchdog)."""
    processors = _worker_processors(args)
    if processors is not None:
        return {roles.processor(name) for name in processors} | {roles.OPS}
    if args[:1] == ["api"]:
        return {roles.API}
    if args[:1] == ["dashboard"]:
        return {roles.OPS}
    if args[:2] in (["kafka", "provision"], ["topics", "ensure"]):
        return set(deployed_principals())  # provisioning sets every principal's password
    raise AssertionError(f"which principal does `tracepipe {' '.join(args)}` log in as?")


def test_compose_each_service_gets_exactly_its_principals_passwords(compose, app_services):
    secrets = compose["secrets"]
    for name, svc in app_services.items():
        if _purpose(_steps(svc)[0]) in {"roles", "migrate"}:
            assert not svc.get("secrets"), f"{name} does not talk to Kafka"
            continue
        env = _env(svc)
        assert env["TRACEPIPE_KAFKA_SECURITY"] == "scram" and env["TRACEPIPE_KAFKA_CREDENTIALS"] == "/run/secrets"
        wanted = set().union(*(_principals_of(step) for step in _steps(svc)))
        granted = _granted(svc)
        assert set(granted) == wanted, f"{name} is given {sorted(granted)}, it logs in as {sorted(wanted)}"
        for principal, secret in granted.items():
            assert secrets[secret] == {"environment": f"KAFKA_PASSWORD_{re.sub('[^A-Z0-9]', '_', principal.upper())}"}
        # One principal (the API's, the dashboard's, provisioning's admin) is named; a worker's processors
        # each log in as their own, so it names none.
        user = env.get("TRACEPIPE_KAFKA_USER")
        if _worker_processors(_command(svc)) is None:
            assert user in granted, f"{name} logs in as {user!r}"
        else:
            assert user is None, f"{name}: TRACEPIPE_KAFKA_USER would make every processor one principal"
    assert set(secrets) == {secret_name(p) for p in deployed_principals()}, "one Docker secret per principal"


def test_compose_readme_env_recipe_makes_every_kafka_password(compose):
    text = COMPOSE_README.read_text(encoding="utf-8")
    recipe = re.search(r"cat > \.env <<EOF\n(.*?)\nEOF", text, re.S).group(1)
    made = {line.split("=", 1)[0] for line in recipe.splitlines() if "=" in line}
    assert {s["environment"] for s in compose["secrets"].values()} <= made


def test_k8s_each_pod_gets_exactly_its_principals_passwords(k8s_docs):
    mount = _config(k8s_docs)["TRACEPIPE_KAFKA_CREDENTIALS"]
    assert _config(k8s_docs)["TRACEPIPE_KAFKA_SECURITY"] == "scram"
    checked = 0
    for w, c in _app_containers(k8s_docs):
        args = [str(a) for a in c["args"]]
        if _purpose(args) in {"roles", "migrate", "admin"}:
            continue
        checked += 1
        where = f"{w['metadata']['name']}/{c['name']}"
        (volume,) = [m["name"] for m in c.get("volumeMounts", []) if m["mountPath"] == mount]
        sources = {vol["name"]: vol for vol in _pod_spec(w)["volumes"]}[volume]["projected"]["sources"]
        files = {item["path"]: (src["secret"]["name"], item["key"])
                 for src in sources for item in src["secret"]["items"]}
        assert set(files) == _principals_of(args), f"{where} gets {sorted(files)}"
        assert all(secret == (secret_name(p), "password") for p, secret in files.items()), where
        user = _k8s_env(c, k8s_docs).get("TRACEPIPE_KAFKA_USER")
        assert (user is None) == (_worker_processors(args) is not None) and (user is None or user in files), where
    assert checked == 6, "two workers, api, dashboard, provision, topics"


def test_k8s_kafka_setup_job_sets_admin_then_provisions_then_creates_topics(k8s_docs):
    (job,) = [j for j in _of_kind(k8s_docs, "Job").values() if any(c.get("args") == ["topics", "ensure"]
                                                                    for c in _containers(j))]
    spec = _pod_spec(job)
    first, *others = spec["initContainers"]
    assert first["image"] == KAFKA_IMAGE
    kafka = _of_kind(k8s_docs, "StatefulSet")["kafka"]
    broker_port = next(p["containerPort"] for p in _pod_spec(kafka)["containers"][0]["ports"] if p["name"] == "broker")
    sts, svc = kafka["metadata"]["name"], kafka["spec"]["serviceName"]
    _assert_sets_admin_scram_credential(first["command"][-1], [f"{sts}-{i}.{svc}:{broker_port}" for i in range(3)])
    (password,) = first["env"]
    assert password["valueFrom"]["secretKeyRef"] == {"name": ADMIN_SECRET, "key": "password"}
    assert [c["args"] for c in others + spec["containers"]] == [["kafka", "provision"], ["topics", "ensure"]]


_SECRET_IN_TEXT = re.compile(r"""\b(?:password|user_[A-Za-z0-9_.-]+)=(?:"([^"]*)"|([^\s,\]"']+))""")
# How a secret may appear inside a longer string: compose interpolation, Kubernetes env expansion, a shell
# variable, or printf's placeholder.
_SECRET_REFERENCE = re.compile(
    r"\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}|\$\([A-Z_]+\)|\$\$?\{?[A-Za-z_][A-Za-z0-9_]*\}?|%s")


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_no_password_is_written_in_a_deploy_file(path: Path):
    """JAAS entries, SCRAM configs and scripts name their passwords, they never hold one."""
    offenders = []
    for doc in _load_all(path):
        for where, _key, value in _walk_items(doc):
            texts = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
            for text in texts:
                for m in _SECRET_IN_TEXT.finditer(text):
                    secret = m.group(1) if m.group(1) is not None else m.group(2)
                    if not _SECRET_REFERENCE.fullmatch(secret):
                        offenders.append(f"{where}: {m.group(0)}")
    assert not offenders, f"{path.name} writes passwords: {offenders}"


# --------------------------------------------------------------------------------------------------
# Kubernetes
# --------------------------------------------------------------------------------------------------


# The plain deployment: the application (app/) and Kafka as a StatefulSet (here); strimzi/ replaces the latter.
K8S_APP_DIR = K8S_DIR / "app"
STRIMZI_DIR = K8S_DIR / "strimzi"
K8S_FILES = sorted(p for d in (K8S_DIR, K8S_APP_DIR) for p in d.glob("*.yaml") if p.name != KUSTOMIZATION.name)


@pytest.fixture(scope="module")
def k8s_docs() -> list[dict[str, Any]]:
    return [doc for path in K8S_FILES for doc in _load_all(path)]


def _of_kind(docs, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def _pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"].get("labels") or {}


def _workloads(docs) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] in WORKLOAD_KINDS]


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = _pod_spec(workload)
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def _env_value(container: dict[str, Any], name: str) -> str:
    for item in container.get("env", []):
        if item["name"] == name:
            return item["value"]
    raise KeyError(name)


def _port_ok(port: Any, container: dict[str, Any]) -> bool:
    declared = container.get("ports", [])
    if isinstance(port, int):
        return any(p["containerPort"] == port for p in declared)
    return any(p.get("name") == port for p in declared)


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def test_k8s_every_document_has_api_version_kind_and_name(k8s_docs):
    assert k8s_docs
    for doc in k8s_docs:
        assert doc.get("apiVersion"), doc
        assert doc.get("kind"), doc
        assert (doc.get("metadata") or {}).get("name"), f"{doc['kind']} without metadata.name"
    keys = Counter((d["kind"], d["metadata"]["name"]) for d in k8s_docs)
    dupes = [k for k, n in keys.items() if n > 1]
    assert not dupes, f"objects defined twice: {dupes}"


@pytest.mark.parametrize("directory", [K8S_DIR, K8S_APP_DIR, STRIMZI_DIR], ids=lambda d: d.name)
def test_kustomization_lists_exactly_the_files_present(directory: Path):
    (kustomization,) = _load_all(directory / KUSTOMIZATION.name)
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources)), "a resource is listed twice"
    files = {r for r in resources if r.endswith(".yaml")}
    assert files == {p.name for p in directory.glob("*.yaml") if p.name != KUSTOMIZATION.name}
    # Both entry points (plain, Strimzi) take the application from app/, and set namespace and image.
    bases = {K8S_DIR: {"app"}, STRIMZI_DIR: {"../app"}, K8S_APP_DIR: set()}[directory]
    assert set(resources) - files == bases
    if bases:
        assert kustomization.get("namespace") == "tracepipe"
        assert "tracepipe" in {i["name"] for i in kustomization.get("images") or []}


def test_k8s_workload_selectors_match_their_pod_labels(k8s_docs):
    for doc in k8s_docs:
        if doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet"}:
            selector = doc["spec"]["selector"]["matchLabels"]
            assert _matches(selector, _pod_labels(doc)), f"{doc['kind']}/{doc['metadata']['name']}"


def test_k8s_services_select_a_workload_and_its_ports(k8s_docs):
    workloads = _workloads(k8s_docs)
    for name, svc in _of_kind(k8s_docs, "Service").items():
        selector = svc["spec"].get("selector") or {}
        selected = [w for w in workloads if _matches(selector, _pod_labels(w))]
        assert selected, f"Service/{name} selects no workload ({selector})"
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for w in selected:
                assert any(_port_ok(target, c) for c in _pod_spec(w)["containers"]), (
                    f"Service/{name} targets port {target!r}, not declared by {w['metadata']['name']}"
                )


def test_k8s_pdb_selects_a_workload(k8s_docs):
    workloads = _workloads(k8s_docs)
    for name, pdb in _of_kind(k8s_docs, "PodDisruptionBudget").items():
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert any(_matches(selector, _pod_labels(w)) for w in workloads), f"PDB/{name} selects nothing"


def _documented_secrets(text: str) -> dict[str, set[str]]:
    """Secrets the kustomization documents: `create secret generic NAME --from-literal=KEY=...`."""
    out: dict[str, set[str]] = {}
    flat = text.replace("\\\n", " ")
    value = r"""(?:"[^"]*"|'[^']*'|\S*)"""
    pattern = rf"create secret generic ([a-z0-9-]+)((?:\s+#?\s*--from-literal=[A-Za-z0-9_.-]+={value})+)"
    for m in re.finditer(pattern, flat):
        out[m.group(1)] = set(re.findall(r"--from-literal=([A-Za-z0-9_.-]+)=", m.group(2)))
    return out


def test_k8s_config_and_secret_references_resolve(k8s_docs):
    config_maps = {n: set((d.get("data") or {}).keys()) for n, d in _of_kind(k8s_docs, "ConfigMap").items()}
    secrets = {
        n: set((d.get("data") or {}).keys()) | set((d.get("stringData") or {}).keys())
        for n, d in _of_kind(k8s_docs, "Secret").items()
    }
    secrets.update(_documented_secrets(KUSTOMIZATION.read_text(encoding="utf-8")))
    refs = 0
    for w in _workloads(k8s_docs):
        wname = f"{w['kind']}/{w['metadata']['name']}"
        for c in _containers(w):
            for src in c.get("envFrom", []):
                refs += 1
                if "configMapRef" in src:
                    assert src["configMapRef"]["name"] in config_maps, wname
                if "secretRef" in src:
                    assert src["secretRef"]["name"] in secrets, wname
            for item in c.get("env", []):
                ref = item.get("valueFrom") or {}
                if "configMapKeyRef" in ref:
                    refs += 1
                    cm = ref["configMapKeyRef"]
                    assert cm["key"] in config_maps.get(cm["name"], set()), f"{wname}: {cm} undefined"
                if "secretKeyRef" in ref:
                    refs += 1
                    sk = ref["secretKeyRef"]
                    assert sk["name"] in secrets, f"{wname}: Secret {sk['name']} not defined nor documented"
                    assert sk["key"] in secrets[sk["name"]], f"{wname}: Secret key {sk} not provided"
        for vol in _pod_spec(w).get("volumes", []):
            if "configMap" in vol:
                assert vol["configMap"]["name"] in config_maps, wname
            if "secret" in vol:
                assert vol["secret"]["secretName"] in secrets, wname
    assert refs >= 8


def test_k8s_secrets_hold_no_values(k8s_docs):
    for name, secret in _of_kind(k8s_docs, "Secret").items():
        values = list((secret.get("data") or {}).values()) + list((secret.get("stringData") or {}).values())
        assert all(v in {"", "change-me"} for v in values), f"Secret/{name} carries a real value"
    for w in _workloads(k8s_docs):
        for c in _containers(w):
            for item in c.get("env", []):
                if any(word in item["name"].upper() for word in SECRET_KEY_WORDS):
                    assert "secretKeyRef" in (item.get("valueFrom") or {}), (
                        f"{w['metadata']['name']}: {item['name']} is not read from a Secret"
                    )


def test_k8s_probes_point_to_declared_ports(k8s_docs):
    probes = 0
    for w in _workloads(k8s_docs):
        for c in _containers(w):
            for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                probe = c.get(kind)
                if not probe:
                    continue
                probes += 1
                for action in ("httpGet", "tcpSocket", "grpc"):
                    if action in probe:
                        port = probe[action]["port"]
                        assert _port_ok(port, c), f"{w['metadata']['name']}/{c['name']} {kind} on {port!r}"
    assert probes >= 10


def test_k8s_kafka_statefulset_forms_a_kraft_quorum(k8s_docs):
    kafka = _of_kind(k8s_docs, "StatefulSet")["kafka"]
    replicas = kafka["spec"]["replicas"]
    assert replicas == 3
    assert kafka["spec"].get("podManagementPolicy") == "Parallel"
    headless = _of_kind(k8s_docs, "Service")[kafka["spec"]["serviceName"]]
    assert headless["spec"].get("clusterIP") == "None"
    assert headless["spec"].get("publishNotReadyAddresses") is True
    assert _matches(headless["spec"]["selector"], _pod_labels(kafka))

    (c,) = _pod_spec(kafka)["containers"]
    assert c["image"] == KAFKA_IMAGE
    assert {r.strip() for r in _env_value(c, "KAFKA_PROCESS_ROLES").split(",")} == {"broker", "controller"}
    assert "KAFKA_NODE_ID" in " ".join(c.get("command", [])), "node id must be derived from the pod ordinal"
    voters = _voters(_env_value(c, "KAFKA_CONTROLLER_QUORUM_VOTERS"))
    assert [v[0] for v in voters] == list(range(replicas)), "voter ids must be the ordinals 0..replicas-1"
    svc = kafka["spec"]["serviceName"]
    sts = kafka["metadata"]["name"]
    controller_port = next(p["containerPort"] for p in c["ports"] if p["name"] == "controller")
    for node_id, host, port in voters:
        pod = f"{sts}-{node_id}"
        assert host.split(".")[:2] == [pod, svc], f"voter {node_id}@{host} is not pod {pod} via {svc}"
        assert port == controller_port
    listeners = _listeners(_env_value(c, "KAFKA_LISTENERS"))
    assert listeners[_env_value(c, "KAFKA_CONTROLLER_LISTENER_NAMES")][1] == controller_port
    assert int(_env_value(c, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR")) == replicas
    assert int(_env_value(c, "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR")) == replicas
    assert int(_env_value(c, "KAFKA_MIN_INSYNC_REPLICAS")) == 2
    assert _pod_spec(kafka).get("enableServiceLinks") is False

    claims = {t["metadata"]["name"] for t in kafka["spec"]["volumeClaimTemplates"]}
    assert claims and claims <= {m["name"] for m in c["volumeMounts"]}
    anti = _pod_spec(kafka)["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert any(_matches(t["labelSelector"]["matchLabels"], _pod_labels(kafka)) for t in anti)


def test_k8s_bootstrap_lists_every_kafka_pod(k8s_docs):
    kafka = _of_kind(k8s_docs, "StatefulSet")["kafka"]
    (c,) = _pod_spec(kafka)["containers"]
    client_port = next(p["containerPort"] for p in c["ports"] if p["name"] == "client")
    sts, svc = kafka["metadata"]["name"], kafka["spec"]["serviceName"]
    expected = {(f"{sts}-{i}.{svc}", client_port) for i in range(kafka["spec"]["replicas"])}
    cfg = _of_kind(k8s_docs, "ConfigMap")["tracepipe-config"]["data"]
    assert set(_bootstrap(cfg["TRACEPIPE_KAFKA_BOOTSTRAP"])) == expected
    assert int(cfg["TRACEPIPE_REPLICATION"]) == 3
    pg = _of_kind(k8s_docs, "Service")[cfg["TRACEPIPE_PG_HOST"]]
    assert int(cfg["TRACEPIPE_PG_PORT"]) in {p["port"] for p in pg["spec"]["ports"]}


def test_k8s_postgres_statefulset(k8s_docs):
    pg = _of_kind(k8s_docs, "StatefulSet")["postgres"]
    assert pg["spec"]["replicas"] == 1
    assert pg["spec"]["volumeClaimTemplates"]
    (c,) = _pod_spec(pg)["containers"]
    assert c["image"].startswith("postgres:15")
    password = next(e for e in c["env"] if e["name"] == "POSTGRES_PASSWORD")
    assert "secretKeyRef" in password["valueFrom"]


@pytest.mark.parametrize(
    ("name", "processors"), [("worker-ingest", INGEST_PROCESSORS), ("worker-stages", STAGE_PROCESSORS)]
)
def test_k8s_worker_deployments(k8s_docs, name, processors):
    dep = _of_kind(k8s_docs, "Deployment")[name]
    assert dep["spec"]["replicas"] == 2
    (c,) = _pod_spec(dep)["containers"]
    assert c["args"] == ["worker", "--processors", processors]
    assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"]
    assert c["resources"]["limits"]["memory"]

    base = _of_kind(k8s_docs, "ConfigMap")["tracepipe-config"]["data"]["TRACEPIPE_METRICS_PORT"]
    expected = _expected_metrics_ports(processors.split(","), base)
    declared = {p["containerPort"]: p.get("name") for p in c["ports"]}
    assert set(declared) == expected, (
        f"{name} declares ports {sorted(declared)}, its processors serve {sorted(expected)}"
    )
    for port_name in declared.values():
        assert port_name and len(port_name) <= 15 and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", port_name), port_name
    for kind in ("readinessProbe", "livenessProbe"):
        http = c[kind]["httpGet"]
        assert http["path"] == "/metrics"
        assert http["port"] in set(declared) | set(declared.values()), f"{name} {kind} on {http['port']!r}"
    ann = dep["spec"]["template"]["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true"
    assert ann.get("prometheus.io/path", "/metrics") == "/metrics"
    # One port annotation would send every scrape of the pod to that port; the processors' ports are declared.
    assert "prometheus.io/port" not in ann, f"{name}: prometheus.io/port would hide all but one processor"


def test_k8s_commands_are_real_tracepipe_commands(k8s_docs):
    checked = 0
    for w in _workloads(k8s_docs):
        for c in _containers(w):
            if c["image"].startswith("tracepipe"):
                checked += 1
                assert "command" not in c, f"{w['metadata']['name']}: the image's entrypoint is tracepipe"
                _assert_real_cli_command([str(a) for a in c["args"]], f"{w['kind']}/{w['metadata']['name']}")
    assert checked >= 4


def test_k8s_worker_processors_cover_the_topology(k8s_docs):
    run: list[str] = []
    for w in _workloads(k8s_docs):
        for c in _containers(w):
            processors = _worker_processors([str(a) for a in c.get("args", [])])
            if processors is None or not c["image"].startswith("tracepipe"):
                continue
            unknown = [p for p in processors if p not in TOPOLOGY_NAMES]
            assert not unknown, f"{w['metadata']['name']} runs processors not in the topology: {unknown}"
            run += processors
    missing = [p for p in TOPOLOGY_NAMES if p not in run]
    assert not missing, f"no k8s worker runs {missing}"
    twice = [p for p, n in Counter(run).items() if n > 1]
    assert not twice, f"processors run by two worker Deployments: {twice}"


def test_k8s_dashboard_is_scraped_for_lag(k8s_docs):
    dep = _of_kind(k8s_docs, "Deployment")["dashboard"]
    (c,) = _pod_spec(dep)["containers"]
    assert c["args"] == ["dashboard"]
    port = int(_of_kind(k8s_docs, "ConfigMap")["tracepipe-config"]["data"]["TRACEPIPE_DASHBOARD_PORT"])
    assert port == DASHBOARD_PORT
    assert port in {p["containerPort"] for p in c["ports"]}
    ann = dep["spec"]["template"]["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true"
    assert int(ann["prometheus.io/port"]) == port
    assert ann.get("prometheus.io/path", "/metrics") == "/metrics"


def test_k8s_hpa_scales_an_existing_deployment_with_cpu_requests(k8s_docs):
    hpas = _of_kind(k8s_docs, "HorizontalPodAutoscaler")
    assert hpas
    deployments = _of_kind(k8s_docs, "Deployment")
    for name, hpa in hpas.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments, f"HPA/{name}"
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        for c in _pod_spec(deployments[target["name"]])["containers"]:
            assert c["resources"]["requests"].get("cpu"), f"HPA/{name}: utilisation needs CPU requests"
    assert any(h["spec"]["scaleTargetRef"]["name"] == "worker-stages" for h in hpas.values())


def test_k8s_app_roles_and_images(k8s_docs):
    args = []
    for w in _workloads(k8s_docs):
        for c in _containers(w):
            image = c["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), f"unpinned {image}"
            if image.startswith("tracepipe"):
                args.append(c["args"])
    for role in (["topics", "ensure"], *SETUP_STEPS, ["dashboard"], ["api"]):
        assert role in args, f"no workload runs `tracepipe {' '.join(role)}`"
    jobs = _of_kind(k8s_docs, "Job")
    assert len(jobs) == 2
    for job in jobs.values():
        assert _pod_spec(job)["restartPolicy"] in {"OnFailure", "Never"}
    (kustomization,) = _load_all(KUSTOMIZATION)
    assert "tracepipe" in {i["name"] for i in kustomization.get("images") or []}


# --------------------------------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile_runs_as_non_root():
    instr = _dockerfile_instructions()
    last_from = max(i for i, (op, _) in enumerate(instr) if op == "FROM")
    users = [arg for op, arg in instr[last_from:] if op == "USER"]
    assert users, "the final stage never switches away from root"
    user = users[-1].split(":", 1)[0]
    assert user not in {"root", "0"}, f"final USER is {users[-1]}"


def test_dockerfile_installs_the_pinned_package_with_tracepipe_entrypoint():
    instr = _dockerfile_instructions()
    froms = [arg for op, arg in instr if op == "FROM"]
    assert froms and all(f.split()[0] == "python:3.11-slim" for f in froms)
    runs = " ".join(arg for op, arg in instr if op == "RUN")
    assert re.search(r"pip install -c constraints\.txt \.(\s|$)", runs)
    entry = [arg for op, arg in instr if op == "ENTRYPOINT"]
    assert entry and entry[-1] == '["tracepipe"]'


def test_dockerfile_puts_schemas_where_the_installed_package_looks():
    """pipeline.paths finds schemas/ next to the package: site-packages/schemas once installed."""
    instr = _dockerfile_instructions()
    python = re.match(r"python:(\d+\.\d+)", [arg for op, arg in instr if op == "FROM"][-1])
    assert python
    site = f"/opt/venv/lib/python{python.group(1)}/site-packages/schemas"
    copies = [arg.split() for op, arg in instr if op == "COPY"]
    assert any(p[-1].rstrip("/") == site and p[-2].rstrip("/").endswith("schemas") for p in copies)
    assert any(op == "ENV" and "/opt/venv/bin" in arg for op, arg in instr)


def test_dockerfile_copy_sources_exist():
    missing = []
    for op, arg in _dockerfile_instructions():
        if op != "COPY" or "--from=" in arg:
            continue
        parts = [p for p in arg.split() if not p.startswith("--")]
        for src in parts[:-1]:
            if not any(ch in src for ch in "*?[") and not (ROOT / src).exists():
                missing.append(src)
    if missing == ["constraints.txt"]:
        pytest.skip("constraints.txt (the repository's pin file) has not been generated yet")
    assert not missing, f"COPY sources missing from the build context: {missing}"


# --------------------------------------------------------------------------------------------------
# Kubernetes: the results API and the database roles
# --------------------------------------------------------------------------------------------------


def _config(k8s_docs) -> dict[str, str]:
    return {str(k): str(v) for k, v in _of_kind(k8s_docs, "ConfigMap")["tracepipe-config"]["data"].items()}


def _k8s_env(container: dict[str, Any], k8s_docs) -> dict[str, Any]:
    """A container's environment: ConfigMaps loaded with envFrom, then `env` (values, or ("secret", name, key))."""
    config_maps = {n: d.get("data") or {} for n, d in _of_kind(k8s_docs, "ConfigMap").items()}
    env: dict[str, Any] = {}
    for src in container.get("envFrom", []):
        if "configMapRef" in src:
            env.update({str(k): str(v) for k, v in config_maps[src["configMapRef"]["name"]].items()})
    for item in container.get("env", []):
        ref = item.get("valueFrom") or {}
        if "secretKeyRef" in ref:
            env[item["name"]] = ("secret", ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"])
        elif "configMapKeyRef" in ref:
            env[item["name"]] = str(config_maps[ref["configMapKeyRef"]["name"]][ref["configMapKeyRef"]["key"]])
        elif "value" in item:
            env[item["name"]] = str(item["value"])
    return env


def _app_containers(k8s_docs):
    """(workload, container) for every container running the tracepipe image."""
    return [(w, c) for w in _workloads(k8s_docs) for c in _containers(w) if c["image"].startswith("tracepipe")]


def _container_port(port: Any, container: dict[str, Any]) -> int:
    """The number of a probe's or Service's port, by number or by the container port's name."""
    for declared in container.get("ports", []):
        if port in (declared["containerPort"], declared.get("name")):
            return int(declared["containerPort"])
    raise AssertionError(f"{container['name']} declares no port {port!r}")


def test_k8s_api_deployment_and_service(k8s_docs, api_routes):
    dep = _of_kind(k8s_docs, "Deployment")["api"]
    (c,) = _pod_spec(dep)["containers"]
    assert c["args"] == ["api"]
    cfg = _config(k8s_docs)
    host, port = _api_listens_on(c["args"], _k8s_env(c, k8s_docs))
    assert (host, port) == ("0.0.0.0", API_PORT), f"api listens on {host}:{port}"
    assert int(cfg[f"{PREFIX}API_PORT"]) == API_PORT
    assert port in {p["containerPort"] for p in c["ports"]}, f"api declares no container port {port}"
    for kind, path in (("readinessProbe", READINESS_PATH), ("livenessProbe", LIVENESS_PATH)):
        http = c[kind]["httpGet"]
        assert http["path"] == path, f"api {kind} probes {http['path']}, expected {path}"
        assert _container_port(http["port"], c) == port, f"api {kind} on {http['port']!r}, it listens on {port}"
        assert ("GET", path) in api_routes, f"the results API serves no GET {path}"
    assert dep["spec"]["replicas"] >= 2, "one API pod means downtime on every rollout"
    requests, limits = c["resources"]["requests"], c["resources"]["limits"]
    assert requests["cpu"] and requests["memory"] and limits["memory"]

    services = [s for s in _of_kind(k8s_docs, "Service").values() if _matches(s["spec"]["selector"], _pod_labels(dep))]
    assert len(services) == 1, "exactly one Service should select the API pods"
    (svc_port,) = services[0]["spec"]["ports"]
    assert _container_port(svc_port.get("targetPort", svc_port["port"]), c) == port


def test_k8s_migrate_job_runs_roles_migrate_then_agencies_sync(k8s_docs):
    jobs = _of_kind(k8s_docs, "Job").values()
    (job,) = [j for j in jobs if any(c.get("args") == ["db", "migrate"] for c in _containers(j))]
    spec = _pod_spec(job)
    # Init containers run one after the other, each to success, before the main container starts.
    steps = [c["args"] for c in spec.get("initContainers", [])] + [c["args"] for c in spec["containers"]]
    assert steps == list(SETUP_STEPS), f"the migrate Job runs {steps}, not roles -> migrate -> agencies sync"
    assert len(spec["containers"]) == 1
    cfg = _config(k8s_docs)
    pg = _of_kind(k8s_docs, "StatefulSet")["postgres"]
    (pg_container,) = _pod_spec(pg)["containers"]
    pg_env = _k8s_env(pg_container, k8s_docs)
    # `db roles` connects as TRACEPIPE_PG_USER, which needs CREATEROLE: the image's POSTGRES_USER is a superuser.
    assert cfg["TRACEPIPE_PG_USER"] == pg_env["POSTGRES_USER"]
    for c in _containers(job):
        env = _k8s_env(c, k8s_docs)
        if OWNER_PASSWORD in env:
            assert env[OWNER_PASSWORD] == pg_env["POSTGRES_PASSWORD"], f"{c['name']}: not the owner's password"


def test_k8s_each_container_gets_only_its_own_database_role(k8s_docs):
    seen: dict[str, list[str]] = {}
    owners = []
    for w, c in _app_containers(k8s_docs):
        where = f"{w['kind']}/{w['metadata']['name']}/{c['name']}"
        purpose = _purpose([str(a) for a in c["args"]])
        env = _k8s_env(c, k8s_docs)
        assert _secret_settings(env) == SECRETS_FOR[purpose], (
            f"{where} runs `{' '.join(c['args'])}`: it needs exactly {sorted(SECRETS_FOR[purpose])}, "
            f"has {sorted(_secret_settings(env))}"
        )
        role = ROLE_FOR.get(purpose)
        if role in DB_PURPOSES:
            assert env.get(ROLE_USER[role]), f"{where} connects as the {role} role but lacks {ROLE_USER[role]}"
        seen.setdefault(purpose, []).append(where)
        if OWNER_PASSWORD in env:
            owners.append(w)
    assert owners and all(
        w["kind"] == "Job" and ["db", "migrate"] in [c["args"] for c in _containers(w)] for w in owners
    ), "only the migrate Job may hold the owner's password"
    assert len(seen.get("worker", [])) == 2 and seen.get("api") and seen.get("roles"), seen


def test_k8s_every_secret_setting_has_one_source(k8s_docs):
    """The password `db roles` sets is the one the workers and the API log in with: same Secret and key."""
    sources: dict[str, set[Any]] = {}
    for _w, c in _app_containers(k8s_docs):
        for name, value in _k8s_env(c, k8s_docs).items():
            if name in _secret_settings([name]):
                assert isinstance(value, tuple), f"{c['name']}: {name} is not read from a Secret"
                sources.setdefault(name, set()).add(value)
    assert set(sources) >= {OWNER_PASSWORD, API_PEPPER, *ROLE_PASSWORD.values()}
    for name, found in sources.items():
        assert len(found) == 1, f"{name} comes from several Secrets: {sorted(found)}"
    secrets = [src[1:] for (src,) in sources.values()]
    assert len(secrets) == len(set(secrets)), "two settings read the same Secret key"


def test_k8s_roles_are_the_ones_the_migration_grants(k8s_docs):
    cfg = _config(k8s_docs)
    granted = _roles_granted_by_migration()
    for purpose in DB_PURPOSES:
        assert cfg.get(ROLE_USER[purpose]) in granted, (
            f"{ROLE_USER[purpose]}={cfg.get(ROLE_USER[purpose])!r}: migration 0006 grants nothing to it"
        )


def test_k8s_tracepipe_pods_run_unprivileged_as_the_image_user(k8s_docs):
    users = [arg for op, arg in _dockerfile_instructions() if op == "USER"]
    uid, _, gid = users[-1].partition(":")
    for w, c in _app_containers(k8s_docs):
        where = f"{w['metadata']['name']}/{c['name']}"
        pod = _pod_spec(w).get("securityContext") or {}
        assert pod.get("runAsNonRoot") is True, where
        assert str(pod.get("runAsUser")) == uid and (not gid or str(pod.get("runAsGroup")) == gid), where
        sc = c.get("securityContext") or {}
        assert sc.get("allowPrivilegeEscalation") is False, where
        assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
        assert _pod_spec(w).get("enableServiceLinks") is False, f"{where}: service links inject stray variables"


def _projected_secrets(workload: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """{volume name: [(Secret, key)]} of a pod's projected volumes."""
    return {vol["name"]: [(src["secret"]["name"], item["key"]) for src in vol["projected"]["sources"]
                          for item in src["secret"]["items"]]
            for vol in _pod_spec(workload).get("volumes", []) if "projected" in vol}


def test_kustomization_documents_every_secret_the_pods_read(k8s_docs):
    documented = _documented_secrets(KUSTOMIZATION.read_text(encoding="utf-8"))
    read = {
        (ref["name"], ref["key"])
        for w in _workloads(k8s_docs)
        for c in _containers(w)
        for item in c.get("env", [])
        if (ref := (item.get("valueFrom") or {}).get("secretKeyRef"))
    }
    read |= {pair for w in _workloads(k8s_docs) for pairs in _projected_secrets(w).values() for pair in pairs}
    assert {name for name, _ in read} == set(documented), "every Secret read, and only those, is documented"
    for name, key in read:
        assert key in documented[name], f"kustomization.yaml does not say how to create {name} with key {key}"


# --------------------------------------------------------------------------------------------------
# Settings: every TRACEPIPE_* a deploy file sets is one the code reads
# --------------------------------------------------------------------------------------------------


def _compose_settings_set(compose) -> set[str]:
    return {key for _path, key, _value in _walk_items(compose) if key.startswith(PREFIX)}


def _k8s_settings_set(k8s_docs) -> set[str]:
    names = {str(k) for d in _of_kind(k8s_docs, "ConfigMap").values() for k in (d.get("data") or {})}
    names |= {item["name"] for w in _workloads(k8s_docs) for c in _containers(w) for item in c.get("env", [])}
    return {n for n in names if n.startswith(PREFIX)}


def _dockerfile_settings_set() -> set[str]:
    names = set()
    for op, arg in _dockerfile_instructions():
        if op in {"ENV", "ARG"}:
            names |= set(re.findall(r"(?:^|\s)([A-Z_][A-Z0-9_]*)=", arg))
    return {n for n in names if n.startswith(PREFIX)}


def _readme_settings_table() -> set[str]:
    text = COMPOSE_README.read_text(encoding="utf-8")
    section = text.split("## Settings the application reads", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(TRACEPIPE_[A-Z0-9_]+)`", section))


def test_every_tracepipe_variable_in_the_deploy_files_is_a_known_setting(compose, k8s_docs):
    sources = {
        "docker-compose.yml": _compose_settings_set(compose),
        "k8s": _k8s_settings_set(k8s_docs),
        "Dockerfile": _dockerfile_settings_set(),
        "compose/README.md settings table": _readme_settings_table(),
    }
    assert sources["docker-compose.yml"] and sources["k8s"] and sources["compose/README.md settings table"]
    for where, names in sources.items():
        unknown = sorted(n for n in names if n[len(PREFIX) :] not in ENV_VARS)
        assert not unknown, f"{where} sets {unknown}, which pipeline.settings.ENV_VARS does not know (typo?)"
    undocumented = sources["docker-compose.yml"] - sources["compose/README.md settings table"]
    assert not undocumented, f"the compose README's settings table lacks {sorted(undocumented)}"


def test_the_deploy_files_settings_are_valid(app_services, k8s_docs):
    """Settings.from_env accepts every container's environment (secrets stand in as placeholders)."""
    interpolation = re.compile(r"\$\{[^}]*\}")
    for name, svc in app_services.items():
        env = {k: interpolation.sub("placeholder", v) for k, v in _env(svc).items()}
        settings = Settings.from_env(env)
        for purpose in {ROLE_FOR.get(_purpose(step)) for step in _steps(svc)} & set(DB_PURPOSES):
            assert settings.db_role(purpose)[0] == env[ROLE_USER[purpose]], name
    for _w, c in _app_containers(k8s_docs):
        env = {k: v if isinstance(v, str) else "placeholder" for k, v in _k8s_env(c, k8s_docs).items()}
        Settings.from_env(env)
    cfg = _config(k8s_docs)
    assert not _secret_settings(cfg), f"the ConfigMap holds secrets: {sorted(_secret_settings(cfg))}"


def test_api_command_reads_the_host_and_port_settings():
    """The deploy files set TRACEPIPE_API_HOST/_PORT, not --host/--port: `tracepipe api` must read them."""
    api = typer.main.get_command(cli_app).commands["api"]  # type: ignore[attr-defined]
    options = {param.name: param for param in api.params}
    assert options["host"].envvar == f"{PREFIX}API_HOST"
    assert options["port"].envvar == f"{PREFIX}API_PORT"
    assert str(options["port"].default) == ENV_VARS["API_PORT"][0]


def test_dockerfile_exposes_the_api_and_dashboard_ports():
    exposed: set[int] = set()
    for op, arg in _dockerfile_instructions():
        if op == "EXPOSE":
            for item in arg.split():
                low, _, high = item.split("/", 1)[0].partition("-")
                exposed |= set(range(int(low), int(high or low) + 1))
    assert {API_PORT, DASHBOARD_PORT} <= exposed, f"EXPOSE {sorted(exposed)}"
    base = int(ENV_VARS["METRICS_PORT"][0])
    assert _expected_metrics_ports(TOPOLOGY_NAMES, str(base)) <= exposed


# --------------------------------------------------------------------------------------------------
# Strimzi (deploy/k8s/strimzi): the operator's resources, and the generated ones match the topology
# --------------------------------------------------------------------------------------------------

STRIMZI_API = "kafka.strimzi.io/v1beta2"


@pytest.fixture(scope="module")
def strimzi_docs() -> dict[str, list[dict[str, Any]]]:
    """Every Strimzi resource, by kind."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(STRIMZI_DIR.glob("*.yaml")):
        if path.name != KUSTOMIZATION.name:
            for doc in _load_all(path):
                out.setdefault(doc["kind"], []).append(doc)
    return out


def test_strimzi_runs_three_kraft_nodes_with_scram_and_simple_authorization(strimzi_docs):
    (kafka,) = strimzi_docs["Kafka"]
    cluster = kafka["metadata"]["name"]
    assert kafka["apiVersion"] == STRIMZI_API
    pools = [p for p in strimzi_docs["KafkaNodePool"] if p["metadata"]["labels"]["strimzi.io/cluster"] == cluster]
    assert pools and all(p["apiVersion"] == STRIMZI_API for p in pools)
    for role in ("broker", "controller"):
        assert sum(p["spec"]["replicas"] for p in pools if role in p["spec"]["roles"]) == 3, f"{role}s"
    spec = kafka["spec"]["kafka"]
    listeners = spec["listeners"]
    assert listeners and all(item["authentication"]["type"] == "scram-sha-512" for item in listeners), listeners
    assert spec["authorization"] == {"type": "simple", "superUsers": [ADMIN]}
    config = spec["config"]
    assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
    assert config["offsets.topic.replication.factor"] == 3
    assert config["transaction.state.log.replication.factor"] == 3 and config["transaction.state.log.min.isr"] == 2
    assert config["auto.create.topics.enable"] is False and config["allow.everyone.if.no.acl.found"] is False
    operators = kafka["spec"]["entityOperator"]
    assert "topicOperator" in operators and "userOperator" in operators
    # The User Operator's Secrets are the ones the workloads read: kafka-<user>, key `password`.
    assert operators["userOperator"]["secretPrefix"] == "kafka-"


def test_strimzi_bootstrap_is_the_clusters_scram_listener(strimzi_docs):
    (kafka,) = strimzi_docs["Kafka"]
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    (kustomization,) = _load_all(STRIMZI_DIR / KUSTOMIZATION.name)
    (patch,) = [p for p in kustomization["patches"] if p["target"]["name"] == "tracepipe-config"]
    (op,) = yaml.safe_load(patch["patch"])
    assert op["path"] == "/data/TRACEPIPE_KAFKA_BOOTSTRAP"
    assert op["value"] == f"{kafka['metadata']['name']}-kafka-bootstrap:{listener['port']}"


def test_strimzi_has_a_kafka_topic_per_deployed_topic(strimzi_docs):
    from pipeline.stack.topics import min_insync_replicas
    from pipeline.topology import TOPICS, agency_lanes

    by_name = {t["spec"]["topicName"]: t for t in strimzi_docs["KafkaTopic"]}
    wanted = [*TOPICS, *(lane for agency in agency_ids() for lane in agency_lanes(agency))]
    assert set(by_name) == {spec.name for spec in wanted}
    assert {"FGR", "ATF", "FGE-JAL"} <= set(agency_ids()), "the built-in registry's agencies that may submit"
    for spec in wanted:
        topic = by_name[spec.name]
        assert topic["apiVersion"] == STRIMZI_API and topic["metadata"]["labels"]["strimzi.io/cluster"] == "tracepipe"
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["partitions"] == (spec.partitions or DEPLOYED.partitions)
        assert topic["spec"]["config"] == {**spec.configs(), "min.insync.replicas": str(min_insync_replicas(3))}


def test_strimzi_has_a_kafka_user_per_principal_with_exactly_its_acls(strimzi_docs):
    from pipeline.stack import kafka_acls

    users = {u["metadata"]["name"]: u for u in strimzi_docs["KafkaUser"]}
    expected = kafka_acls.rules_by_principal(DEPLOYED, agency_ids())
    assert len(users) == len(expected) and {p.lower() for p in expected} == set(users)
    operation = {"All": "ALL", "Read": "READ", "Write": "WRITE", "Create": "CREATE", "Describe": "DESCRIBE",
                 "DescribeConfigs": "DESCRIBE_CONFIGS"}
    for principal, rules in expected.items():
        user = users[principal.lower()]
        assert user["apiVersion"] == STRIMZI_API and user["metadata"]["labels"]["strimzi.io/cluster"] == "tracepipe"
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}, principal
        if principal == ADMIN:
            assert "authorization" not in user["spec"], "the super user needs no ACL"
            continue
        assert user["spec"]["authorization"]["type"] == "simple"
        # Read the KafkaUser's ACLs back as (type, pattern, name, operation, allow) and compare with the rules.
        found = Counter()
        for acl in user["spec"]["authorization"]["acls"]:
            resource = acl["resource"]
            pattern = {"literal": "LITERAL", "prefix": "PREFIXED"}[resource.get("patternType", "literal")]
            for op in acl["operations"]:
                found[(resource["type"].upper(), pattern, resource.get("name", ""), operation[op],
                       acl.get("type", "allow") == "allow")] += 1
        wanted = Counter((r.resource_type.value, r.pattern.value, r.resource_name, r.operation.value, r.allow)
                         for r in rules)
        assert found == wanted, f"KafkaUser {principal}: ACLs differ from pipeline/stack/kafka_acls.py"


def test_the_workload_principals_keep_their_names_on_strimzi():
    """A pod logs in as its role's principal: the KafkaUser (a Kubernetes name: lower case, no `_`) must be it."""
    from pipeline.kafka_access import principals

    for name in (ADMIN, principals.API, principals.OPS, principals.DOWNSTREAM,
                 *(principals.processor(spec) for spec in TOPOLOGY_NAMES)):
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name), f"{name!r} cannot be a KafkaUser name"


def test_generated_deploy_files_match_the_topology():
    from pipeline.stack import deploy_files

    stale = deploy_files.drifted()
    assert not stale, f"out of date: {stale}; run `.venv/bin/tracepipe deploy render --write`"
