"""The results API's FastAPI application: routes, error handlers, a connection pool as the API's role.

`create_app(settings)` builds it; `serve_api` runs it with uvicorn (`tracepipe api`). The API connects to
PostgreSQL as its own least-privilege role (settings: TRACEPIPE_PG_API_USER) and never logs request bodies.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from psycopg2.pool import ThreadedConnectionPool

from pipeline.api.errors import install_error_handlers
from pipeline.api.models import ErrorBody
from pipeline.api.routes import admin, health, leads, submissions, traces
from pipeline.settings import Settings

API_VERSION = "1.0.0"
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 503)}


class LazyPool:
    """A connection pool opened on first use, so the app starts (and answers 503) while PostgreSQL is down."""

    def __init__(self, dsn: str, size: int = 8) -> None:
        self._dsn, self._size = dsn, size
        self._pool: ThreadedConnectionPool | None = None

    def getconn(self) -> Any:
        """A connection (opening the pool if needed)."""
        if self._pool is None:
            self._pool = ThreadedConnectionPool(1, self._size, self._dsn)
        return self._pool.getconn()

    def putconn(self, conn: Any) -> None:
        """Give a connection back (closed ones are discarded)."""
        if self._pool is not None:
            self._pool.putconn(conn, close=bool(conn.closed))

    def close(self) -> None:
        """Close every connection."""
        if self._pool is not None:
            self._pool.closeall()
            self._pool = None


def _broker_probe(settings: Settings) -> bool:
    host, _, port = settings.kafka_bootstrap.split(",")[0].rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=2):
            return True
    except (OSError, ValueError):
        return False


def create_app(settings: Settings) -> FastAPI:
    """The API for one deployment's settings."""
    pool = LazyPool(settings.pg_dsn_as("api"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()
        app.state.publisher_close()

    app = FastAPI(title="tracepipe results API", version=API_VERSION, lifespan=lifespan, responses=ERRORS,
                  description="Firearm-trace results for agency accounts (English and Spanish: `?lang=` or "
                              "Accept-Language). Authenticate with `Authorization: Bearer <token>`.")
    app.state.settings = settings
    app.state.default_lang = settings.lang
    app.state.pool = pool
    app.state.pepper = settings.api_pepper.reveal().encode()
    app.state.broker_ready = lambda: _broker_probe(settings)
    app.state.publisher_close = lambda: None
    install_error_handlers(app)
    for module in (health, traces, submissions, leads, admin):
        app.include_router(module.router)
    return app


def openapi_document(settings: Settings) -> str:
    """The OpenAPI document as checked in (docs/openapi.json): stable key order, one trailing newline."""
    return json.dumps(create_app(settings).openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def serve_api(settings: Settings, host: str, port: int) -> None:
    """Run the API until Ctrl-C."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
