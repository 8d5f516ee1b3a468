"""The events each part publishes, cut from deterministic scenarios and encoded before any clock starts.

Parts that share one running pipeline (latency levels, then urgent probes under a backlog) take consecutive
slices of one scenario, in scenario order, so a gun's first sighting is always published before its repeats
and every probe opens a new trace. Probes are first sightings with a readable serial, marked URGENT; a
backlog is marked ROUTINE throughout, so only the probes use the express lane.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.bench.kafka_io import KeyValue, encoded
from pipeline.producers.scenario import Scenario, TruthKind, generate_scenario
from pipeline.vocab import SerialStatus

NEW_SHARE = 0.8  # at least this share of a scenario's events are first sightings (about 0.87 in practice)


def with_priority(events: Sequence[dict[str, Any] | bytes], priority: str) -> list[dict[str, Any] | bytes]:
    """The events with every seizure's priority set (garbage left as it is)."""
    changed: list[dict[str, Any] | bytes] = []
    for event in events:
        if isinstance(event, dict):
            event = {**event, "priority": priority}
        changed.append(event)
    return changed


def first_sightings(scenario: Scenario, start: int, stop: int) -> list[dict[str, Any]]:
    """Events in [start, stop) that are the first sighting of a gun with a readable serial."""
    found = []
    for row in scenario.truth[start:stop]:
        event = scenario.events[row.index]
        if row.kind is TruthKind.NEW_FIREARM and row.serial_status is SerialStatus.PRESENT and isinstance(event, dict):
            found.append(event)
    return found


def resighting(event: dict[str, Any], tag: str) -> dict[str, Any]:
    """The same gun reported again under a new event id (dedupe must attach it to the open trace)."""
    again = copy.deepcopy(event)
    again["event_id"] = f"{event['event_id']}-{tag}"
    return again


def scenario_for(events: int, seed: int, per_day: float = 1000.0) -> Scenario:
    """A scenario of at least `events` events at `per_day` a day."""
    return generate_scenario(days=max(1, math.ceil(events / per_day * 1.05) + 1), seed=seed, events_per_day=per_day)


@dataclass
class LiveWorkload:
    """What a running pipeline is sent: a warm-up, one slice per offered rate, idle probes, then per backlog
    size a ROUTINE backlog and a pool of URGENT probes to trickle while it drains."""

    scenario: Scenario
    warmup: list[KeyValue]
    levels: list[list[KeyValue]] = field(default_factory=list)
    idle_probes: list[KeyValue] = field(default_factory=list)
    backlogs: list[tuple[list[KeyValue], list[KeyValue]]] = field(default_factory=list)


def live_workload(seed: int, rates: Sequence[int], level_s: float, backlogs: Sequence[int], probe_rate: float,
                  idle_s: float, warmup: int = 100) -> LiveWorkload:
    """Cut the live parts' events from one scenario; probe pools are sized for the slowest drain expected."""
    level_sizes = [max(1, round(rate * level_s)) for rate in rates]
    idle = max(1, round(probe_rate * idle_s))
    pools = [max(10, round(probe_rate * (size / 40 + 60))) for size in backlogs]
    needed = warmup + sum(level_sizes) + sum(backlogs) + math.ceil((idle + sum(pools)) / NEW_SHARE)
    scenario = scenario_for(needed, seed)
    events, at = scenario.events, 0

    def take(count: int) -> list[dict[str, Any] | bytes]:
        nonlocal at
        piece, at = list(events[at:at + count]), at + count
        return piece

    def probes(count: int) -> list[KeyValue]:
        nonlocal at
        stop = at
        while len(first_sightings(scenario, at, stop)) < count and stop < len(events):
            stop += count
        found, at = first_sightings(scenario, at, stop)[:count], stop
        return encoded(with_priority(found, "URGENT"))

    work = LiveWorkload(scenario, encoded(with_priority(take(warmup), "ROUTINE")))
    work.levels = [encoded(take(size)) for size in level_sizes]
    work.idle_probes = probes(idle)
    for size, pool in zip(backlogs, pools, strict=True):
        backlog = encoded(with_priority(take(size), "ROUTINE"))
        work.backlogs.append((backlog, probes(pool)))
    return work
