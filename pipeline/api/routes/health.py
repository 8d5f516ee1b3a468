"""Liveness and readiness: the process answers; the database and the broker answer it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness", responses={503: {"description": "a dependency is down"}})
def readyz(request: Request) -> Any:
    """PostgreSQL answers a query and the Kafka bootstrap servers accept a connection (503 otherwise)."""
    checks = {"database": _database_ok(request), "broker": request.app.state.broker_ready()}
    ready = all(checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


def _database_ok(request: Request) -> bool:
    import psycopg2

    try:
        conn = request.app.state.pool.getconn()
    except psycopg2.Error:
        return False
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
        return True
    except psycopg2.Error:
        return False
    finally:
        request.app.state.pool.putconn(conn)
