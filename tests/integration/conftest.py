"""Fixtures shared by the fault suites (tests/integration/faults/ on a private single-node stack, and the
cluster's in tests/integration/cluster/): the scenario, and the clean run every faulted run is compared with.

The clean run is made once per session on the session's own stack: a run's outcome names no topic, offset or
database, so one reference serves every stack.
"""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.producers.scenario.truth import TruthKind
from tests.integration.faults import scenario_run
from tests.integration.faults.scenario_run import PACED, RunReport, new_run, records_template


@pytest.fixture(scope="session")
def fault_scenario():
    """The scenario every fault test publishes."""
    return scenario_run.fault_scenario()


@pytest.fixture(scope="session")
def shared_records_template(stack, settings, fault_scenario) -> str:
    """The scenario's records on the session's PostgreSQL (the clean run's, and the cluster's)."""
    return records_template(settings, fault_scenario)


@pytest.fixture(scope="session")
def clean_run(stack, settings, shared_records_template, fault_scenario) -> RunReport:
    """The scenario run without faults on the session's stack, published paced like the faulted runs are."""
    run = new_run(settings, shared_records_template, fault_scenario, "clean", **PACED)
    run.start()
    report = run.finish()
    print(report.line())
    kinds = Counter(row.kind for row in fault_scenario.truth)
    # The reference itself must be right, or equal outcomes would prove nothing.
    assert report.sent == len(fault_scenario.events)
    assert report.outcome.traces == kinds[TruthKind.NEW_FIREARM] + kinds[TruthKind.SERIAL_TYPO_SIGHTING]
    assert report.outcome.recoveries == report.outcome.traces + kinds[TruthKind.REPEAT_SIGHTING]
    assert report.outcome.possible_duplicates == kinds[TruthKind.SERIAL_TYPO_SIGHTING]
    assert report.outcome.dead_letters == kinds[TruthKind.INVALID]
    assert report.outcome.unfinished == 0
    return report
