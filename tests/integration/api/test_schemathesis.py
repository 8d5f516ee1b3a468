"""Schemathesis (property-based, from the OpenAPI document) against the real API: no 5xx, no schema violation.

It runs on its own database and topic namespace, so what it creates, submits or switches never touches the
other API tests' world.
"""

from __future__ import annotations

import socket
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from pipeline.api.app import create_app
from pipeline.stack.serving import ServerThread
from pipeline.stack.topics import ensure_topics
from tests.integration.api.conftest import populate_world, world_database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def fuzzed(stack, settings):
    """(base URL, world) of an API of its own, for the module."""
    private = world_database(settings, "t_fuzz").with_changes(namespace=f"t-fuzz-{uuid.uuid4().hex[:8]}.")
    ensure_topics(private)
    world = populate_world(private)
    port = _free_port()
    with ServerThread(create_app(private), "127.0.0.1", port, "results API"):
        yield f"http://127.0.0.1:{port}", world


def _operations(base_url: str):
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(base_url: str, token: str | None, examples: int) -> int:
    """Every operation, `examples` generated requests each; returns how many requests were made."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    made = 0
    for operation in _operations(base_url):

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def one(case) -> None:
            nonlocal made
            response = case.call(headers=headers, timeout=30)
            made += 1
            case.validate_response(response, checks=CHECKS)

        one()
    return made


CHECKS = [not_a_server_error, response_schema_conformance]


def test_as_a_national_analyst(fuzzed):
    assert _fuzz(fuzzed[0], fuzzed[1].tokens["national"], 25) > 100


def test_as_an_admin(fuzzed):
    assert _fuzz(fuzzed[0], fuzzed[1].tokens["admin"], 20) > 100


def test_without_a_token(fuzzed):
    assert _fuzz(fuzzed[0], None, 8) > 20
