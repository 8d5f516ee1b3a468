"""kill -9 of PostgreSQL and of the broker mid-run, both kept down for two minutes, then started again: the
workers recover by themselves (no restart but the supervisor's and the watchdog's) and lose nothing."""

from __future__ import annotations

import time

from tests.integration.faults.inject import kill_broker, kill_postgres, restart_stack
from tests.integration.faults.scenario_run import new_run

OUTAGE_S = 120.0


def test_broker_and_database_down_two_minutes_mid_run_changes_no_outcome(faults_stack, private_records_template,
                                                                        fault_scenario, clean_run):
    with new_run(faults_stack, private_records_template, fault_scenario, "outage") as run:
        run.start()
        run.wait_published()
        stored = run.wait_for_traces(1)
        try:
            kill_postgres(faults_stack)
            kill_broker(faults_stack)
            time.sleep(OUTAGE_S)
        finally:
            began = time.monotonic()
            restart_stack(faults_stack)  # also after a failure: the next test needs the stack
        run.fault_ended = time.monotonic()
        run.notes.update({"traces stored at the kill": stored, "outage s": OUTAGE_S,
                          "stack restart s": round(run.fault_ended - began, 1)})
        report = run.finish()
    print(report.line())
    assert 0 < stored < clean_run.outcome.traces  # mid-run
    assert report.sent == clean_run.sent
    assert report.outcome == clean_run.outcome
