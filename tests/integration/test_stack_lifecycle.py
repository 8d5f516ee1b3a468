"""`tracepipe stack` on a second, throwaway stack: up twice, status, down, and the missing-tool error."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid

import pytest

from pipeline.paths import PROJECT_ROOT
from pipeline.stack import kafka, local, postgres
from pipeline.stack.process import pid_alive
from pipeline.stack.topics import table_changelogs
from pipeline.topology import TOPICS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], env={**os.environ, "COLUMNS": "200", **env},
        capture_output=True, text=True, check=False, cwd=PROJECT_ROOT, timeout=300,
    )


@pytest.fixture
def throwaway_env(settings):
    """Environment for a second stack with its own state folder and ports (inside the project, so the
    'postgres' system user can reach it when tests run as root)."""
    state = PROJECT_ROOT / ".stack" / f"test-{uuid.uuid4().hex[:8]}"
    env = {
        "TRACEPIPE_STATE_DIR": str(state),
        "TRACEPIPE_KAFKA_PORT": str(_free_port()),
        "TRACEPIPE_KAFKA_CONTROLLER_PORT": str(_free_port()),
        "TRACEPIPE_KAFKA_HEAP": "256m",
        "TRACEPIPE_PG_PORT": str(_free_port()),
    }
    yield env
    throwaway = settings.from_env({**os.environ, **env})
    local.down(throwaway)
    shutil.rmtree(state, ignore_errors=True)


def test_up_twice_then_status_then_down(throwaway_env, settings):
    first = _cli(throwaway_env, "stack", "up")
    assert first.returncode == 0, first.stdout + first.stderr
    second = _cli(throwaway_env, "stack", "up")
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout
    throwaway = settings.from_env({**os.environ, **throwaway_env})
    declared = len(TOPICS) + len(table_changelogs(throwaway))  # the tables' changelogs are created with the topics
    assert f"0 topic(s) created, {declared} already present" in second.stdout

    running = _cli(throwaway_env, "stack", "status")
    assert running.returncode == 0
    assert running.stdout.count("running") == 1 + throwaway.kafka_nodes  # PostgreSQL and each Kafka node

    assert postgres.stop(throwaway) is True
    half = _cli(throwaway_env, "stack", "status")
    assert half.returncode == 1
    pg_line = next(line for line in half.stdout.splitlines() if "postgresql" in line)
    assert "stopped" in pg_line and "tracepipe stack up" in pg_line
    kafka_line = next(line for line in half.stdout.splitlines() if "kafka" in line)
    assert "running" in kafka_line

    pid_file = kafka.KafkaPaths.of(throwaway).pid
    pid = int(pid_file.read_text())
    down = _cli(throwaway_env, "stack", "down")
    assert down.returncode == 0
    assert not pid_file.exists()
    assert not pid_alive(pid)
    assert all(not row.running for row in local.status(throwaway))


def test_missing_java_is_one_clear_line(throwaway_env):
    result = _cli({**throwaway_env, "TRACEPIPE_JAVA": "/nonexistent/java"}, "stack", "up")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "openjdk" in lines[0], result.stderr


def test_missing_java_message_in_spanish_prefix(throwaway_env):
    result = _cli({**throwaway_env, "TRACEPIPE_JAVA": "/nonexistent/java"}, "--lang", "es", "stack", "up")
    assert result.returncode == 2
    assert result.stderr.startswith("error:")


def test_bad_cli_value_is_one_line(throwaway_env):
    result = _cli({**throwaway_env, "TRACEPIPE_PARTITIONS": "many"}, "stack", "status")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "TRACEPIPE_PARTITIONS must be a whole number" in result.stderr
