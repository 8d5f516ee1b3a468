"""Request latency of the results API over the demo's data: search and trace detail, p50 and p99.

The API runs in this process (uvicorn in a thread) over the demo database, as its own least-privilege
role; requests go over a keep-alive HTTP connection, one at a time, as an analyst's page would make them.
Each run measures every request kind; the table reports the median of the runs and their spread.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import psycopg2

from pipeline.accounts.store import Actor, create_account
from pipeline.api.app import create_app
from pipeline.errors import ConfigError
from pipeline.rules.access import Role
from pipeline.settings import Settings
from pipeline.stack.serving import ServerThread

DEMO_DATABASE = "tracepipe_demo"
SEARCHES = {
    "search: newest page": "/v1/traces?limit=50",
    "search: completed, short time to crime": "/v1/traces?outcome=COMPLETED&ttc_max=1095&limit=50",
    "search: maker + recovery dates": "/v1/traces?maker=GLOCK&recovered_from=2024-07-01&recovered_to=2024-07-31",
    "search: near serial": "/v1/traces?serial={serial}&serial_near=true",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(conn: http.client.HTTPConnection, path: str, token: str) -> float:
    began = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise ConfigError(f"{path} answered {response.status}")
    return time.perf_counter() - began


def _sample_traces(demo: Settings, n: int) -> tuple[list[str], list[str]]:
    conn = psycopg2.connect(demo.pg_dsn())
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT trace_id, serial FROM traces WHERE serial IS NOT NULL ORDER BY trace_id LIMIT %s", (n,))
            rows = cur.fetchall()
    finally:
        conn.close()
    if not rows:
        raise ConfigError("the demo database has no traces: run `make demo` first")
    return [r[0] for r in rows], [r[1] for r in rows]


def run_api_bench(n: int, settings: Settings, runs: int = 3) -> list[dict[str, Any]]:
    """`n` requests of each kind per run, `runs` runs, as a national analyst (every trace is in scope)."""
    demo = settings.with_changes(pg_db=DEMO_DATABASE)
    trace_ids, serials = _sample_traces(demo, max(n, 10))
    admin = psycopg2.connect(demo.pg_dsn_as("admin"))
    try:
        with admin:
            _, token = create_account(admin, Actor("bench", "admin"), "FGR", Role.NATIONAL_ANALYST, "api bench",
                                      datetime.now(UTC), days=1)
    finally:
        admin.close()
    port = _free_port()
    kinds: dict[str, list[list[float]]] = {}
    with ServerThread(create_app(demo), "127.0.0.1", port, "results API"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        _timed(conn, "/v1/traces?limit=1", token)  # warm the pool and the plans
        for _ in range(runs):
            for name, template in SEARCHES.items():
                kinds.setdefault(name, []).append(
                    [_timed(conn, template.format(serial=serials[i % len(serials)]), token) for i in range(n)])
            kinds.setdefault("trace detail", []).append(
                [_timed(conn, f"/v1/traces/{trace_ids[i % len(trace_ids)]}", token) for i in range(n)])
        conn.close()
    rows = []
    for name, per_run in kinds.items():
        p50s = [_percentile(run, 0.50) * 1000 for run in per_run]
        p99s = [_percentile(run, 0.99) * 1000 for run in per_run]
        rows.append({"request": name, "requests per run": n, "runs": runs,
                     "p50 ms (median of runs)": f"{statistics.median(p50s):.1f}",
                     "p99 ms (median of runs)": f"{statistics.median(p99s):.1f}",
                     "p99 spread ms": f"{min(p99s):.1f}–{max(p99s):.1f}"})
    return rows

