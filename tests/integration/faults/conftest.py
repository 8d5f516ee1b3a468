"""The fault suite's private stack (killed by the tests, never the session's shared one) and its copy of the
scenario's records; the scenario and the clean run come from tests/integration/conftest.py."""

from __future__ import annotations

import pytest

from tests.integration.faults.private_stack import private_stack
from tests.integration.faults.scenario_run import records_template


@pytest.fixture(scope="package")
def faults_stack(stack, settings):
    """A private broker and PostgreSQL cluster that the tests may kill."""
    with private_stack(settings) as private:
        yield private


@pytest.fixture(scope="package")
def private_records_template(faults_stack, fault_scenario) -> str:
    """The scenario's records on the private PostgreSQL, copied for every run."""
    return records_template(faults_stack, fault_scenario)
