"""One run of a scenario through the whole pipeline on the private stack, with faults done while it runs.

The run gets its own topic namespace and its own copy of the seeded records database; it publishes (paced,
if asked, so records are in flight over a longer window), lets the caller inject faults, waits until the
pipeline has drained, and reduces what the sink wrote to an `Outcome`.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2

from pipeline.producers.scenario import Scenario, generate_scenario
from pipeline.settings import Settings
from pipeline.worker.supervisor import parse_processors
from tests.integration.faults.outcome import Outcome, outcome_of, read_tables, redeliveries
from tests.integration.faults.private_stack import copy_database, worker_env
from tests.integration.harness import PipelineHarness, seeded_records_database

SEED = 4242
DAYS = 5  # about 340 events: new guns, repeat sightings, serial typos, re-sends, invalid ones, urgent ones
PROCESSORS = parse_processors("all")
PACED = {"slices": 10, "gap_s": 2.0}  # publishing spread over ~20 s, so records are in flight for longer


def fault_scenario() -> Scenario:
    """The scenario every fault test publishes."""
    return generate_scenario(days=DAYS, seed=SEED)


def records_template(settings: Settings, scenario: Scenario) -> str:
    """A database on `settings`' PostgreSQL holding the scenario's commerce records, copied for every run."""
    return seeded_records_database(settings, scenario.firearms, SEED).pg_db


@dataclass
class RunReport:
    """What a run sent, what it ended with, and how the pipeline coped (for the assertions and the docs)."""

    label: str
    sent: int
    outcome: Outcome
    redeliveries: int  # results written to traces.completed more than once (absorbed by the sink's upsert)
    seconds: float  # from the first publish to drained
    recovery_s: float | None  # from the end of the last fault to drained
    revivals: dict[str, int] = field(default_factory=dict)  # workers started again after ending on their own
    watchdog_restarts: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        """One line for the test log (copied into docs/RELIABILITY.md)."""
        o = self.outcome
        return (f"[{self.label}] sent {self.sent}, traces {o.traces}, recoveries {o.recoveries}, possible duplicates "
                f"{o.possible_duplicates}, seizure outcomes {o.seizure_outcomes}, dead letters {o.dead_letters}, "
                f"unfinished {o.unfinished}, results re-delivered {self.redeliveries}, run {self.seconds:.1f} s, "
                f"recovery {'-' if self.recovery_s is None else f'{self.recovery_s:.1f} s'}, revivals "
                f"{sum(self.revivals.values())}, watchdog restarts {sum(self.watchdog_restarts.values())}, "
                f"notes {self.notes}")


class ScenarioRun:
    """Workers for every processor on a fresh namespace and database of `stack`, publishing `events`."""

    def __init__(self, stack: Settings, template_db: str, processors: Sequence[str], events: Sequence[Any],
                 label: str, slices: int = 1, gap_s: float = 0.0) -> None:
        self.label, self.events, self.slices, self.gap_s = label, list(events), slices, gap_s
        run_db = copy_database(stack, template_db, f"fault_{label}_{uuid.uuid4().hex[:6]}")
        self.datadir = Path(tempfile.mkdtemp(prefix=f"tracepipe-faults-{label}-"))
        self.harness = PipelineHarness(run_db, processors, extra_env=worker_env(run_db, self.datadir))
        self.settings = self.harness.settings
        self.sent = 0
        self.fault_ended: float | None = None
        self.notes: dict[str, Any] = {}
        self._publisher: threading.Thread | None = None
        self._publish_error: BaseException | None = None

    def __enter__(self) -> ScenarioRun:
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the workers whatever happened (again, after `finish`: stopping twice is harmless)."""
        if self._publisher is not None:  # started
            self.harness.stop()
        shutil.rmtree(self.datadir, ignore_errors=True)

    def start(self) -> None:
        """Start the workers, then publish in `slices` parts `gap_s` apart (in a thread)."""
        self.harness.start()
        self.began = time.monotonic()
        self._publisher = threading.Thread(target=self._publish, name="scenario-publisher", daemon=True)
        self._publisher.start()

    def _publish(self) -> None:
        size = max(1, -(-len(self.events) // self.slices))
        try:
            for index, start in enumerate(range(0, len(self.events), size)):
                if index:
                    time.sleep(self.gap_s)
                self.sent += self.harness.publish(self.events[start:start + size])
        except BaseException as exc:  # noqa: BLE001 - reported by finish()
            self._publish_error = exc

    def wait_published(self, timeout_s: float = 120.0) -> None:
        """Block until every event is on the broker."""
        assert self._publisher is not None
        self._publisher.join(timeout_s)
        assert not self._publisher.is_alive(), "publishing did not finish"
        if self._publish_error is not None:
            raise self._publish_error

    def traces_stored(self) -> int:
        """Traces the sink has written so far."""
        with psycopg2.connect(self.settings.pg_dsn()) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM traces")
            return int(cur.fetchone()[0])

    def wait_for_traces(self, at_least: int, timeout_s: float = 180.0) -> int:
        """Block until the sink has written at least `at_least` traces; returns how many it had."""
        deadline = time.monotonic() + timeout_s
        while (stored := self.traces_stored()) < at_least:
            assert time.monotonic() < deadline, f"only {stored} traces after {timeout_s:.0f} s"
            time.sleep(0.2)
        return stored

    def finish(self, timeout_s: float = 300.0) -> RunReport:
        """Wait until published and drained, stop the workers, read the outcome."""
        try:
            self.wait_published()
            self.harness.wait_drained(timeout=timeout_s)
            drained = time.monotonic()
            revivals, restarts = dict(self.harness.reviver.revivals), dict(self.harness.watchdog.restarts)
        finally:
            self.__exit__()
        return RunReport(self.label, self.sent, outcome_of(read_tables(self.settings)), redeliveries(self.settings),
                         drained - self.began, None if self.fault_ended is None else drained - self.fault_ended,
                         revivals, restarts, self.notes)


def new_run(stack: Settings, template_db: str, scenario: Scenario, label: str, **publishing: Any) -> ScenarioRun:
    """A run of the scenario with every processor on `stack`, not started yet."""
    return ScenarioRun(stack, template_db, PROCESSORS, scenario.events, label, **publishing)
