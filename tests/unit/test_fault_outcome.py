"""The fault suite's outcome digest: equal for two runs that decided the same things, whichever sighting
opened a trace; different as soon as one sighting, reason, purchaser, link or dead letter differs."""

from __future__ import annotations

from dataclasses import replace

from tests.integration.faults.acked import Acknowledged, without_outcome
from tests.integration.faults.outcome import Tables, outcome_of

RUN = Tables(
    traces=[("TR-A", "gun-a", "NONE", "P1"), ("TR-B", "gun-b", "NO_MANUFACTURER_RECORD", None)],
    recoveries=[("FGR", "e1", "TR-A"), ("FGE-JAL", "e2", "TR-A"), ("FGR", "e3", "TR-B")],
    links=[("TR-A", "TR-B")],
    seizure_outcomes=[("FGR", "e4", "DEAD_LETTER", "MISSING_SERIAL_AND_MAKER")],
    dead_letters=[("seizures.raw:0:7", "DECODE_CORRUPT")],
    stages=["completed", "completed"],
)


def test_another_opening_sighting_gives_the_same_outcome():
    reopened = Tables(
        traces=[("TR-B2", "gun-b", "NO_MANUFACTURER_RECORD", None), ("TR-A2", "gun-a", "NONE", "P1")],
        recoveries=[("FGE-JAL", "e2", "TR-A2"), ("FGR", "e3", "TR-B2"), ("FGR", "e1", "TR-A2")],
        links=[("TR-B2", "TR-A2")],
        seizure_outcomes=RUN.seizure_outcomes, dead_letters=RUN.dead_letters, stages=RUN.stages)
    assert outcome_of(reopened) == outcome_of(RUN)


def test_any_difference_in_what_was_decided_shows():
    variants = [
        replace(RUN, traces=[("TR-A", "gun-a", "NONE", "P2"), RUN.traces[1]]),  # another purchaser
        replace(RUN, traces=[("TR-A", "gun-a", "FIREARM_REPORTED_STOLEN", "P1"), RUN.traces[1]]),
        replace(RUN, recoveries=RUN.recoveries[:2]),  # a lost sighting
        replace(RUN, recoveries=[*RUN.recoveries[:2], ("FGR", "e3", "TR-A")]),  # attached to another gun
        replace(RUN, links=[]),
        replace(RUN, seizure_outcomes=[]),
        replace(RUN, dead_letters=[*RUN.dead_letters, ("traces.at-dealer:1:3", "PROCESSING_ERROR")]),
        replace(RUN, stages=["completed", "dealer"]),
    ]
    assert all(outcome_of(variant) != outcome_of(RUN) for variant in variants)


def test_an_acknowledged_record_is_owed_a_sighting_a_seizure_outcome_or_a_dead_letter():
    raw, urgent = "seizures.raw", "seizures.urgent"
    acked = Acknowledged({(raw, 0, 1): ("FGR", "e1"), (raw, 0, 2): ("FGE-JAL", "e2"), (raw, 1, 0): ("FGR", "e4"),
                          (raw, 2, 7): None, (raw, 3, 3): ("FGR", "lost"), (raw, 4, 4): None,
                          (urgent, 5, 0): None, (urgent, 2, 7): None})
    letters = [("seizures.raw:2:7", "DECODE_CORRUPT"), ("traces.at-dealer:4:4", "PROCESSING_ERROR"),
               ("seizures.urgent:5:0", "DECODE_CORRUPT")]
    # urgent 2:7 shares raw 2:7's partition and offset, but not its topic: still owed.
    assert without_outcome(acked, replace(RUN, dead_letters=letters)) == [(raw, 3, 3), (raw, 4, 4), (urgent, 2, 7)]
