"""Which industry-records lookups a tracing step made, and what each found, read off the trace it produced.

Pure functions of decoded records (a TraceInFlight in, the TraceInFlight or TraceResult out) for the metrics
observer; they mirror the decisions in pipeline/rules/tracing.py without touching them:

* Every stage a trace passes through records itself in `stage_timings` (stage_runner.timed), whether it
  forwards or closes the trace; hops are no measure (the manufacturer appends two, dealer and dealer_oob
  none). So the stages a step ran are the timings the output has beyond the input's: one for a stage
  processor, one or more for the express lane, which walks the stages in one pass.
* A stage the trace went on from found what it looked for (the dealer stage that routes a closed dealer's
  trace to the out-of-business search found that dealer's licence). The last stage found it too if it
  forwarded or completed the trace, or closed it on what a record said (PRE_1968, FOREIGN_NO_US_IMPORT_RECORD:
  the manufacture record; FIREARM_REPORTED_STOLEN: a theft report); it found nothing if it closed the trace
  for a missing record (NOT_FOUND_REASONS); and it looked nothing up if it closed the trace before asking
  (NO_LOOKUP_REASONS: no usable serial or maker).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FOUND = "found"
NOT_FOUND = "not_found"

# Close reasons (CloseReason symbols of TraceResult) meaning "the stage's record was not there".
NOT_FOUND_REASONS: frozenset[str] = frozenset({
    "NO_MANUFACTURER_RECORD",
    "DISTRIBUTION_RECORD_NOT_FOUND",
    "DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND",
})
# Close reasons decided before any record is asked for (decide_manufacturer's first checks).
NO_LOOKUP_REASONS: frozenset[str] = frozenset({"SERIAL_OBLITERATED", "INSUFFICIENT_DATA"})


def closing_outcome(reason: str | None) -> str | None:
    """The lookup outcome of the stage that ended a step: `reason` is the TraceResult's close reason ("NONE" when
    completed), or None when the trace was forwarded. None when the stage looked nothing up."""
    if reason in NO_LOOKUP_REASONS:
        return None
    return NOT_FOUND if reason in NOT_FOUND_REASONS else FOUND


def stages_walked(incoming: Mapping[str, Any], output: Mapping[str, Any]) -> list[str]:
    """The stages a step ran on a trace, in order: the output's stage timings beyond the incoming trace's (the
    last one is the stage that forwarded, closed or completed it)."""
    before = len(incoming.get("stage_timings") or [])
    return [timing["stage"] for timing in (output.get("stage_timings") or [])[before:]]


def step_lookups(incoming: Mapping[str, Any], output: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(stage, outcome) per records lookup a tracing step made: `incoming` is the TraceInFlight it read, `output`
    the TraceInFlight it forwarded or the TraceResult it finished (the only one of the two with a `reason`)."""
    walked = stages_walked(incoming, output)
    if not walked:
        return []
    lookups = [(stage, FOUND) for stage in walked[:-1]]
    outcome = closing_outcome(output.get("reason"))
    if outcome is not None:
        lookups.append((walked[-1], outcome))
    return lookups
