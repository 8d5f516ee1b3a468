"""Kafka's own producer and consumer perf tools (`org.apache.kafka.tools.ProducerPerformance` and
`ConsumerPerformance`, in the broker's jars) on the same broker: what Java clients get from it, the ceiling
no Python hop can pass. The producer is configured like the agencies' publisher (acks=all, idempotent,
linger 5 ms) and sends records of the size of the benchmark's raw events.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import StackError
from pipeline.kafka_access import clients, principals
from pipeline.paths import require_executable
from pipeline.settings import Settings
from pipeline.stack.kafka import JAVA_HINT, KafkaPaths

_PRODUCER_LINE = re.compile(r"(\d+) records sent, ([\d.]+) records/sec")


@dataclass(frozen=True)
class PerfRun:
    """Records per second each tool reported on one topic."""

    producer_per_s: float
    consumer_per_s: float  # fetch rate: after the consumer joined its group


def _java(settings: Settings, main_class: str, *args: str, timeout_s: float) -> str:
    java = require_executable(settings.java, JAVA_HINT)
    argv = [java, "-Xmx256m", "-cp", f"{KafkaPaths.of(settings).lib}/*", main_class, *args]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout_s)  # noqa: S603
    if result.returncode != 0:
        raise StackError(f"{main_class} failed: {(result.stdout + result.stderr).strip()[-300:]}")
    return result.stdout


def run_perf_tools(settings: Settings, topic: str, records: int, record_size: int,
                   timeout_s: float = 300.0) -> PerfRun:
    """Produce `records` records of `record_size` bytes to `topic` as fast as possible, then consume them."""
    with tempfile.TemporaryDirectory(prefix="tracepipe-perf-") as scratch:
        login: tuple[str, ...] = ()  # the SCRAM login, in a 0600 file the tools read
        if settings.kafka_scram:
            login = (str(clients.java_client_config(settings, principals.ADMIN, Path(scratch) / "client.properties")),)
        produced = _java(settings, "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                         "--num-records", str(records), "--record-size", str(record_size), "--throughput", "-1",
                         *(("--producer.config", *login) if login else ()),
                         "--producer-props", f"bootstrap.servers={settings.kafka_bootstrap}", "acks=all",
                         "enable.idempotence=true", "linger.ms=5", timeout_s=timeout_s)
        lines = _PRODUCER_LINE.findall(produced)
        if not lines:
            raise StackError(f"ProducerPerformance printed no summary: {produced.strip()[-300:]}")
        consumed = _java(settings, "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server",
                         settings.kafka_bootstrap, "--topic", topic, "--messages", str(records),
                         *(("--consumer.config", *login) if login else ()),
                         "--group", f"{topic}-perf", "--timeout", "60000", timeout_s=timeout_s)
    return PerfRun(float(lines[-1][1]), _consumer_rate(consumed))


def _consumer_rate(output: str) -> float:
    """fetch.nMsg.sec from ConsumerPerformance's header + values lines."""
    rows = [line for line in output.splitlines() if "," in line]
    for header, values in zip(rows, rows[1:], strict=False):
        names = [name.strip() for name in header.split(",")]
        if "fetch.nMsg.sec" in names:
            return float(values.split(",")[names.index("fetch.nMsg.sec")])
    raise StackError(f"ConsumerPerformance printed no summary: {output.strip()[-300:]}")
