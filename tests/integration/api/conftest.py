"""Fixtures of the results API tests: a private database holding the known world, the API served by uvicorn."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg2
import pytest
import requests
import uvicorn

from pipeline.accounts.registry import register_agencies
from pipeline.api.app import create_app
from pipeline.db.migrate import migrate
from pipeline.stack.postgres import ensure_database
from tests.integration.api.world import World, add_agencies_and_accounts, build_world, expire


@dataclass
class Api:
    """The running API: its base URL, settings and the world behind it."""

    url: str
    settings: object
    world: World

    def get(self, path: str, who: str | None = None, token: str | None = None, **params) -> requests.Response:
        """GET as the account named `who` of the world (or with a raw token)."""
        return requests.get(self.url + path, params=params, headers=self.headers(who, token), timeout=30)

    def post(self, path: str, who: str | None = None, token: str | None = None, **kwargs) -> requests.Response:
        """POST as the account named `who`."""
        headers = {**self.headers(who, token), **kwargs.pop("headers", {})}
        return requests.post(self.url + path, headers=headers, timeout=60, **kwargs)

    def headers(self, who: str | None, token: str | None = None) -> dict[str, str]:
        """The Authorization header of an account."""
        token = token if token is not None else (self.world.tokens[who] if who else None)
        return {"Authorization": f"Bearer {token}"} if token is not None else {}

    @contextmanager
    def owner(self) -> Iterator:
        """A connection as the schema owner (for checks the API may not do)."""
        conn = psycopg2.connect(self.settings.pg_dsn())
        try:
            with conn:
                yield conn
        finally:
            conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def world_database(settings, prefix: str = "t_api"):
    """Settings of a new private, migrated database with the agency registry in it."""
    private = settings.with_changes(pg_db=f"{prefix}_{uuid.uuid4().hex[:10]}")
    ensure_database(private)
    migrate(private)
    register_agencies(private)
    return private


def populate_world(settings) -> World:
    """Write the known world (traces, records, accounts) into a database made by world_database."""
    owner = psycopg2.connect(settings.pg_dsn())
    admin = psycopg2.connect(settings.pg_dsn_as("admin"))
    try:
        with owner:
            built = build_world(owner)
        with admin:
            add_agencies_and_accounts(admin, built)
        with owner:
            expire(owner, built)
    finally:
        owner.close()
        admin.close()
    return built


@pytest.fixture(scope="session")
def api_settings(stack, settings):
    """A private, migrated database with the registry in it."""
    return world_database(settings)


@pytest.fixture(scope="session")
def world(api_settings) -> World:
    """The known world (traces, records, accounts)."""
    return populate_world(api_settings)


@pytest.fixture(scope="session")
def api(api_settings, world) -> Iterator[Api]:
    """The API served over HTTP by a real uvicorn in a thread, for the whole session."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(api_settings), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield Api(f"http://127.0.0.1:{port}", api_settings, world)
    server.should_exit = True
    thread.join(10)


@contextmanager
def serve_another_api(settings, world: World) -> Iterator[Api]:
    """An app of other settings (its own topic namespace, a broker that is down...) over the same world's
    database, served over HTTP while the block runs."""
    from pipeline.stack.serving import ServerThread

    port = _free_port()
    with ServerThread(create_app(settings), "127.0.0.1", port, "results API"):
        yield Api(f"http://127.0.0.1:{port}", settings, world)
