"""Fixtures of the fault suite: one private stack for the package, the scenario, its seeded records (seeded
once, copied per run) and the clean run every faulted run is compared with."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.producers.scenario import generate_scenario
from pipeline.producers.scenario.truth import TruthKind
from pipeline.worker.supervisor import parse_processors
from tests.integration.faults.private_stack import private_stack
from tests.integration.faults.scenario_run import RunReport, ScenarioRun
from tests.integration.harness import seeded_records_database

SEED = 4242
DAYS = 5  # about 340 events: new guns, repeat sightings, serial typos, re-sends, invalid ones, urgent ones
PROCESSORS = parse_processors("all")
PACED = {"slices": 10, "gap_s": 2.0}  # publishing spread over ~20 s, so records are in flight for longer


@pytest.fixture(scope="package")
def faults_stack(stack, settings):
    """A private broker and PostgreSQL cluster that the tests may kill (never the session's shared stack)."""
    with private_stack(settings) as private:
        yield private


@pytest.fixture(scope="package")
def scenario():
    return generate_scenario(days=DAYS, seed=SEED)


@pytest.fixture(scope="package")
def records_template(faults_stack, scenario) -> str:
    """A database holding the scenario's commerce records, copied for every run."""
    return seeded_records_database(faults_stack, scenario.firearms, SEED).pg_db


def new_run(faults_stack, records_template, scenario, label: str, **publishing) -> ScenarioRun:
    """A run of the scenario on the private stack, not started yet."""
    return ScenarioRun(faults_stack, records_template, PROCESSORS, scenario.events, label, **publishing)


@pytest.fixture(scope="package")
def clean_run(faults_stack, records_template, scenario) -> RunReport:
    """The scenario run without faults, published paced like the faulted runs that are."""
    run = new_run(faults_stack, records_template, scenario, "clean", **PACED)
    run.start()
    report = run.finish()
    print(report.line())
    kinds = Counter(row.kind for row in scenario.truth)
    # The reference itself must be right, or equal outcomes would prove nothing.
    assert report.sent == len(scenario.events)
    assert report.outcome.traces == kinds[TruthKind.NEW_FIREARM] + kinds[TruthKind.SERIAL_TYPO_SIGHTING]
    assert report.outcome.recoveries == report.outcome.traces + kinds[TruthKind.REPEAT_SIGHTING]
    assert report.outcome.possible_duplicates == kinds[TruthKind.SERIAL_TYPO_SIGHTING]
    assert report.outcome.dead_letters == kinds[TruthKind.INVALID]
    assert report.outcome.unfinished == 0
    return report
