"""A worker process loads what it runs on and nothing more: kafka-python (the supervisor's watchdog, the CLI,
the lag tools use it) costs each of the ten workers about 7 MiB resident, and a worker's Kafka client is
aiokafka, under faust."""

from __future__ import annotations

import subprocess
import sys


def _loaded_after(module: str) -> set[str]:
    probe = f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return set(result.stdout.split())


def test_a_worker_does_not_load_kafka_python():
    loaded = _loaded_after("pipeline.worker.run")
    assert "faust" in loaded and "aiokafka" in loaded  # the probe sees what it should
    assert "kafka" not in loaded


def test_the_supervisor_still_has_its_watchdog():
    assert "kafka" in _loaded_after("pipeline.worker.supervisor")
