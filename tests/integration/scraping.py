"""Reading real /metrics endpoints in tests: free ports, scrapes, samples by key, Prometheus' own linter."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from pipeline.ops.metrics.instruments import sample_key


def free_base_port(count: int) -> int:
    """A base port with `count` consecutive free ports after it (the workers bind base + topology index)."""
    for _ in range(200):
        base = random.randrange(20000, 60000)
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("0.0.0.0", port))
        except OSError:
            continue
        return base
    raise AssertionError("no free range of ports for the metrics endpoints")


def fetch(url: str, timeout: float = 60.0) -> bytes:
    """The body at `url`, waiting for the server to come up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def scrape(port: int, timeout: float = 60.0) -> str:
    """The /metrics text of the process on `port` (waits for it to come up)."""
    return fetch(f"http://127.0.0.1:{port}/metrics", timeout).decode()


def samples(text: str) -> dict[str, float]:
    """Every sample of an exposition by its key, e.g. `tracepipe_events_in_total{processor="intake"}`."""
    return {sample_key(s): s.value for family in text_string_to_metric_families(text) for s in family.samples}


def counter_samples(text: str) -> dict[str, int]:
    """The monotonic samples (counter totals, histogram buckets and counts), as a snapshot's `counters` holds them."""
    return {sample_key(s): int(s.value) for family in text_string_to_metric_families(text) for s in family.samples
            if (family.type == "counter" and s.name.endswith("_total"))
            or (family.type == "histogram" and s.name.endswith(("_bucket", "_count")))}


def promtool_problems(text: str) -> str:
    """Output of `promtool check metrics` on an exposition ('' when clean)."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: apt-get install -y --no-install-recommends prometheus"
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    return "" if result.returncode == 0 and not result.stdout.strip() else result.stdout + result.stderr
