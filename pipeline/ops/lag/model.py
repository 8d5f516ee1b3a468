"""Consumer lag computed from offsets already read from Kafka: pure data and functions, no I/O.

Definitions (the same as Kafka's kafka-consumer-groups tool wherever that tool shows a figure):

- log end: the offset the next produced record will get (the high watermark, read_uncommitted).
- lag = log end − committed offset (never below 0).
- A partition the group never committed (a stage that has not run yet, or an assigned partition before its
  first commit) counts from the **log start** (earliest offset still on the broker): lag = log end − log start.
  That is what a consumer with auto.offset.reset=earliest, as every faust processor here is, still has to read;
  Kafka's tool shows "-" there instead.
- seconds behind = now − timestamp of the oldest unconsumed record (the record at the committed offset, or at
  the log start when that record is gone or was never committed); 0 when caught up; None when the timestamp
  could not be read in time.
- A stage (processor) is judged by its input topic only: faust's changelog topics, consumed by the same group
  to rebuild tables, are shown per partition but never count towards the stage total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from pipeline.settings import Settings
from pipeline.topology import PROCESSORS

PREFIX_WILDCARD = "*"


@dataclass(frozen=True)
class Stage:
    """A processor as lag sees it: its consumer group and the one input topic it must keep up with."""

    name: str
    group: str
    topic: str


def pipeline_stages(settings: Settings) -> tuple[Stage, ...]:
    """Every processor of the topology, in flow order, with its physical group and input topic names."""
    return tuple(Stage(spec.name, settings.group(spec.name), settings.topic(spec.reads.name)) for spec in PROCESSORS)


@dataclass(frozen=True)
class PartitionOffsets:
    """What Kafka says about one partition for one group: the raw facts lag is computed from."""

    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group never committed this partition
    log_start: int
    log_end: int

    @property
    def position(self) -> int:
        """Where the group resumes: its committed offset, or the log start if it never committed."""
        return self.log_start if self.committed is None else self.committed

    @property
    def lag(self) -> int:
        """Records still to consume: log end − position (see the module docstring)."""
        return max(0, self.log_end - self.position)

    @property
    def oldest_unconsumed(self) -> int | None:
        """Offset of the oldest record still to read (its age is the time lag); None when caught up.

        Past the log start, because retention may have deleted the record at an old committed offset.
        """
        return None if self.lag == 0 else max(self.log_start, self.position)


@dataclass(frozen=True)
class PartitionLag:
    """One row of the report: a group's position in one partition."""

    group: str
    topic: str
    partition: int
    committed: int | None
    log_start: int
    log_end: int
    lag: int
    seconds_behind: float | None
    changelog: bool


@dataclass(frozen=True)
class GroupLag:
    """A consumer group's totals over every partition it consumes (changelogs included)."""

    group: str
    state: str
    partitions: int
    lag: int
    seconds_behind: float | None


@dataclass(frozen=True)
class StageLag:
    """A processor's totals over its input topic: where traces pile up."""

    stage: str
    group: str
    topic: str
    partitions: int
    never_committed: int
    lag: int
    seconds_behind: float | None


@dataclass(frozen=True)
class LagReport:
    """Everything `tracepipe lag` shows, taken at one moment."""

    taken_at_ms: int
    partitions: tuple[PartitionLag, ...]
    groups: tuple[GroupLag, ...]
    stages: tuple[StageLag, ...]

    def as_json(self) -> dict[str, object]:
        """A JSON-ready dict with stable keys (documented by the dataclass fields above)."""
        return {
            "taken_at": datetime.fromtimestamp(self.taken_at_ms / 1000, tz=UTC).isoformat(timespec="milliseconds"),
            "partitions": [asdict(row) for row in self.partitions],
            "groups": [asdict(row) for row in self.groups],
            "stages": [asdict(row) for row in self.stages],
        }


def select_groups(wanted: Sequence[str] | None, known: Iterable[str], stage_groups: Sequence[str]) -> list[str]:
    """Groups to report: None means every known group and every stage group (even one that never ran);
    "NAME" means that group; "PREFIX*" means every known or stage group starting with PREFIX.

    Stage groups come first in flow order, the rest sorted, so the report reads like the pipeline.
    """
    candidates = list(dict.fromkeys([*stage_groups, *sorted(set(known) - set(stage_groups))]))
    if wanted is None:
        return candidates
    chosen: list[str] = []
    for pattern in wanted:
        if pattern.endswith(PREFIX_WILDCARD):
            chosen += [group for group in candidates if group.startswith(pattern[: -len(PREFIX_WILDCARD)])]
        else:
            chosen.append(pattern)
    return list(dict.fromkeys(chosen))


def is_changelog(group: str, topic: str) -> bool:
    """True for a faust changelog topic of this group's tables (faust names them "<app id>-<table>-changelog")."""
    return topic.startswith(f"{group}-") and topic.endswith("-changelog")


def seconds_behind(offsets: PartitionOffsets, oldest_timestamp_ms: int | None, now_ms: int) -> float | None:
    """Age of the oldest unconsumed record in seconds: 0 when caught up, None when its timestamp is unknown."""
    if offsets.lag == 0:
        return 0.0
    if oldest_timestamp_ms is None or oldest_timestamp_ms < 0:
        return None
    return max(0.0, (now_ms - oldest_timestamp_ms) / 1000)


def worst_seconds(values: Iterable[float | None]) -> float | None:
    """The largest known age; None only if some age is unknown and none is known (caught up counts as 0)."""
    values = list(values)
    known = [value for value in values if value is not None]
    if known:
        return max(known)
    return None if values else 0.0


def partition_lags(
    offsets: Iterable[PartitionOffsets], timestamps: Mapping[tuple[str, int, int], int], now_ms: int
) -> list[PartitionLag]:
    """Per-partition rows; `timestamps` maps (topic, partition, offset) to that record's timestamp in ms."""
    rows = []
    for item in offsets:
        oldest = item.oldest_unconsumed
        timestamp = None if oldest is None else timestamps.get((item.topic, item.partition, oldest))
        rows.append(PartitionLag(
            item.group, item.topic, item.partition, item.committed, item.log_start, item.log_end, item.lag,
            seconds_behind(item, timestamp, now_ms), is_changelog(item.group, item.topic),
        ))
    return rows


def group_totals(rows: Sequence[PartitionLag], groups: Sequence[str], states: Mapping[str, str]) -> list[GroupLag]:
    """Totals per group, in the order of `groups`; a group with no partitions shows 0."""
    totals = []
    for group in groups:
        mine = [row for row in rows if row.group == group]
        totals.append(GroupLag(group, states.get(group, "Unknown"), len(mine), sum(row.lag for row in mine),
                               worst_seconds(row.seconds_behind for row in mine)))
    return totals


def stage_totals(rows: Sequence[PartitionLag], stages: Sequence[Stage]) -> list[StageLag]:
    """Totals per stage over its input topic only (its group's changelog and other topics do not count)."""
    totals = []
    for stage in stages:
        mine = [row for row in rows if row.group == stage.group and row.topic == stage.topic]
        totals.append(StageLag(
            stage.name, stage.group, stage.topic, len(mine), sum(row.committed is None for row in mine),
            sum(row.lag for row in mine), worst_seconds(row.seconds_behind for row in mine),
        ))
    return totals


def build_report(
    offsets: Sequence[PartitionOffsets],
    timestamps: Mapping[tuple[str, int, int], int],
    groups: Sequence[str],
    states: Mapping[str, str],
    stages: Sequence[Stage],
    now_ms: int,
) -> LagReport:
    """The whole report: rows sorted by group order then topic and partition, totals per group and per stage.

    Only stages whose group is among `groups` are totalled, so a `--group` filter narrows both tables.
    """
    order = {group: index for index, group in enumerate(groups)}
    rows = sorted(partition_lags(offsets, timestamps, now_ms),
                  key=lambda row: (order.get(row.group, len(order)), row.changelog, row.topic, row.partition))
    chosen_stages = [stage for stage in stages if stage.group in order]
    return LagReport(now_ms, tuple(rows), tuple(group_totals(rows, groups, states)),
                     tuple(stage_totals(rows, chosen_stages)))


def format_age(seconds: float | None) -> str:
    """Compact age for a table cell: 0, 42s, 3m05s, 2h07m; ? when unknown."""
    if seconds is None:
        return "?"
    whole = int(seconds)
    if whole < 60:
        return "0" if seconds == 0 else f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
