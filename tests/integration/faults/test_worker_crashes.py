"""kill -9 of each of the ten processors, once each, staggered while records are in flight: the supervisor
starts each one again, and the run ends exactly as the clean run did."""

from __future__ import annotations

import os
import signal
import time

from tests.integration.faults.scenario_run import PACED, PROCESSORS, new_run

STAGGER_S = 3.0  # between two kills: the next one lands while the last one's successor is starting


def test_killing_every_processor_once_mid_run_changes_no_outcome(faults_stack, private_records_template,
                                                                 fault_scenario, clean_run):
    with new_run(faults_stack, private_records_template, fault_scenario, "processors", **PACED) as run:
        run.start()
        stored_at_kill = {}
        run.wait_for_traces(1)
        for name in PROCESSORS:  # in flow order, intake first
            stored_at_kill[name] = run.traces_stored()
            os.kill(run.harness.workers.procs[name].pid, signal.SIGKILL)
            time.sleep(STAGGER_S)
        run.fault_ended = time.monotonic()
        run.notes["traces stored at each kill"] = stored_at_kill
        report = run.finish()
    print(report.line())
    assert 0 < stored_at_kill[PROCESSORS[0]] < clean_run.outcome.traces  # mid-run
    assert all(report.revivals[name] >= 1 for name in PROCESSORS), report.revivals
    assert report.sent == clean_run.sent
    assert report.outcome == clean_run.outcome
