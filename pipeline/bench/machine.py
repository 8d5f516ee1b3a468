"""Where and with what a benchmark ran: the machine (cores, memory, CPU) and the versions of everything
measured, so a figure in benchmarks/results/ can be compared with one taken elsewhere or later."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg2

from pipeline.settings import Settings
from pipeline.stack.kafka import KafkaPaths

PACKAGES = ("faust-streaming", "aiokafka", "kafka-python", "fastavro", "avro", "psycopg2")


def machine() -> dict[str, Any]:
    """Host name, cores, physical memory, CPU model and kernel of this machine."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1).strip() if found else ""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"host": platform.node(), "cores": os.cpu_count(), "memory_gib": round(memory, 1), "cpu": model,
            "kernel": platform.release()}


def versions(settings: Settings) -> dict[str, str]:
    """Python, tracepipe, the client libraries, the Kafka broker (its jar) and the PostgreSQL server."""
    found = {"python": platform.python_version(), "tracepipe": metadata.version("tracepipe")}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "absent"
    jars = sorted(KafkaPaths.of(settings).lib.glob("kafka-clients-*.jar"))
    found["kafka"] = jars[-1].stem.removeprefix("kafka-clients-") if jars else "unknown"
    conn = psycopg2.connect(settings.pg_dsn())
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            row = cur.fetchone()
            found["postgresql"] = str(row[0]) if row else "unknown"
    finally:
        conn.close()
    found["java"] = _java_version(settings)
    return found


def _java_version(settings: Settings) -> str:
    """The JVM's version string (the broker and Kafka's perf tools run on it)."""
    try:
        result = subprocess.run([settings.java, "-version"], capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return "unknown"
    first = (result.stderr or result.stdout).strip().splitlines()
    return first[0] if first else "unknown"
