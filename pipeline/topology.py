"""The whole flow on one screen: every topic, and which processor reads and writes which.

Topic names are declared here and nowhere else; `tracepipe topics ensure` creates them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """A Kafka topic the pipeline owns, with the configs it is created with."""

    name: str
    purpose: str
    retention_ms: int = 7 * DAY_MS
    compacted: bool = False
    partitions: int | None = None  # None: the configured default (TRACEPIPE_PARTITIONS)
    max_message_bytes: int | None = None  # None: the broker's default (1 MiB)

    def configs(self) -> dict[str, str]:
        """Topic-level configs passed to the broker at creation."""
        size = {"max.message.bytes": str(self.max_message_bytes)} if self.max_message_bytes else {}
        if self.compacted:
            return {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000", **size}
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_ms), **size}


# Half the broker's 1 MiB: a raw record's dead letter carries all its bytes plus the reason and coordinates,
# and must itself fit in a message. A valid event is a few kB (pipeline/rules/text_rules.py bounds every field).
RAW_RECORD_LIMIT = 512 * 1024
SEIZURES_RAW = TopicSpec("seizures.raw", "seizure events as agencies publish them (Avro)",
                         max_message_bytes=RAW_RECORD_LIMIT)
# URGENT seizures travel their own topics up to dedupe (the "urgent lane"), read by a second agent of the same
# intake and dedupe apps: no routine backlog sits in front of them. See docs/ARCHITECTURE.md, "Priority".
SEIZURES_URGENT = TopicSpec("seizures.urgent", "URGENT seizure events as agencies publish them (Avro)",
                            max_message_bytes=RAW_RECORD_LIMIT)
SEIZURES_DEAD_LETTER = TopicSpec(
    "seizures.dead-letter", "events that could not be processed, with reason and original bytes",
    retention_ms=30 * DAY_MS,
)
SEIZURES_ENRICHED = TopicSpec("seizures.enriched", "validated, normalised seizures keyed by firearm identity")
SEIZURES_ENRICHED_URGENT = TopicSpec(
    "seizures.enriched-urgent", "validated URGENT seizures keyed by firearm identity (partitioned as the routine)"
)
SEIZURES_DUPLICATES = TopicSpec(
    "seizures.duplicates", "exact re-sends (same agency + event id), dropped from the flow but kept for counting",
    retention_ms=30 * DAY_MS,
)
TRACES_REQUESTED = TopicSpec("traces.requested", "first sighting of a firearm: a trace to run")
TRACES_URGENT = TopicSpec(
    "traces.urgent", "URGENT trace requests: an express lane that no routine backlog can delay"
)
TRACES_RECOVERIES = TopicSpec("traces.recoveries", "later sightings attached to an open trace")
TRACES_SERIAL_INDEX = TopicSpec(
    "traces.serial-index",
    "every sighting's serial (opening and extra recoveries), keyed by maker (the possible-duplicate search)",
)
TRACES_POSSIBLE_DUPLICATES = TopicSpec(
    "traces.possible-duplicates", "pairs of traces probably entered twice with a serial typo, for an analyst",
    compacted=True,
)
TRACES_AT_WHOLESALER = TopicSpec("traces.at-wholesaler", "traces whose manufacturer/importer hop is known")
TRACES_AT_DEALER = TopicSpec("traces.at-dealer", "traces whose wholesaler hop is known")
TRACES_AT_DEALER_OOB = TopicSpec(
    "traces.at-dealer-oob", "traces waiting on the out-of-business records search (slow path)"
)
TRACES_AT_PURCHASER = TopicSpec("traces.at-purchaser", "traces whose dealer sale is known")
TRACES_COMPLETED = TopicSpec(
    "traces.completed", "every finished trace, latest state per trace id", compacted=True
)
METRICS_SNAPSHOTS = TopicSpec(
    "metrics.snapshots", "periodic metrics snapshots (Avro)", retention_ms=3 * DAY_MS
)

TOPICS: tuple[TopicSpec, ...] = (
    SEIZURES_RAW,
    SEIZURES_URGENT,
    SEIZURES_DEAD_LETTER,
    SEIZURES_ENRICHED,
    SEIZURES_ENRICHED_URGENT,
    SEIZURES_DUPLICATES,
    TRACES_REQUESTED,
    TRACES_URGENT,
    TRACES_RECOVERIES,
    TRACES_SERIAL_INDEX,
    TRACES_POSSIBLE_DUPLICATES,
    TRACES_AT_WHOLESALER,
    TRACES_AT_DEALER,
    TRACES_AT_DEALER_OOB,
    TRACES_AT_PURCHASER,
    TRACES_COMPLETED,
    METRICS_SNAPSHOTS,
)


@dataclass(frozen=True)
class ProcessorSpec:
    """A stream processor: the one topic it consumes and the topics it may produce to."""

    name: str
    reads: TopicSpec
    writes: tuple[TopicSpec, ...] = field(default_factory=tuple)
    table: str | None = None  # keyed state (faust table, changelog-backed), keyed like `reads`
    also_reads: tuple[TopicSpec, ...] = field(default_factory=tuple)  # more inputs (the sink only)
    # The URGENT lane of `reads`: same records, same step, consumed by a second agent of the same app (and
    # table), so an urgent record never queues behind the routine backlog of `reads`.
    urgent_reads: TopicSpec | None = None

    def inputs(self) -> tuple[TopicSpec, ...]:
        """Every topic the processor consumes: its main input, its urgent lane, its other inputs."""
        return (self.reads, *((self.urgent_reads,) if self.urgent_reads else ()), *self.also_reads)


# Every stage may also write dead letters; listed explicitly where it is the main error route.
PROCESSORS: tuple[ProcessorSpec, ...] = (
    ProcessorSpec("intake", SEIZURES_RAW, (SEIZURES_ENRICHED, SEIZURES_ENRICHED_URGENT, SEIZURES_DEAD_LETTER),
                  urgent_reads=SEIZURES_URGENT),
    ProcessorSpec(
        "dedupe", SEIZURES_ENRICHED,
        (TRACES_REQUESTED, TRACES_URGENT, TRACES_RECOVERIES, SEIZURES_DUPLICATES, TRACES_SERIAL_INDEX),
        table="firearms", urgent_reads=SEIZURES_ENRICHED_URGENT,
    ),
    ProcessorSpec("serial_linker", TRACES_SERIAL_INDEX, (TRACES_POSSIBLE_DUPLICATES,), table="serial_buckets"),
    ProcessorSpec("manufacturer", TRACES_REQUESTED, (TRACES_AT_WHOLESALER, TRACES_COMPLETED)),
    ProcessorSpec("wholesaler", TRACES_AT_WHOLESALER, (TRACES_AT_DEALER, TRACES_COMPLETED)),
    ProcessorSpec("dealer", TRACES_AT_DEALER, (TRACES_AT_PURCHASER, TRACES_AT_DEALER_OOB, TRACES_COMPLETED)),
    ProcessorSpec("dealer_oob", TRACES_AT_DEALER_OOB, (TRACES_AT_PURCHASER, TRACES_COMPLETED)),
    ProcessorSpec("purchaser", TRACES_AT_PURCHASER, (TRACES_COMPLETED,)),
    ProcessorSpec("express", TRACES_URGENT, (TRACES_COMPLETED,)),
    # The sink also follows every trace topic and the dead letters and re-sends, so PostgreSQL can say what
    # became of each seizure: the stage its trace is at, or why it was not traced.
    ProcessorSpec(
        "sink", TRACES_COMPLETED, (),
        also_reads=(TRACES_RECOVERIES, TRACES_POSSIBLE_DUPLICATES, TRACES_REQUESTED, TRACES_URGENT,
                    TRACES_AT_WHOLESALER, TRACES_AT_DEALER, TRACES_AT_DEALER_OOB, TRACES_AT_PURCHASER,
                    SEIZURES_DEAD_LETTER, SEIZURES_DUPLICATES),
    ),
)


def processor(name: str) -> ProcessorSpec:
    """The declared processor called `name` (KeyError if none)."""
    return {spec.name: spec for spec in PROCESSORS}[name]


# With Kafka security on, each agency publishes to topics of its own, which only its principal may write
# (pipeline/stack/kafka_acls.py): the topic a record arrived on says who sent it. seizures.raw and
# seizures.urgent stay for trusted tools and for a stack without security. Intake reads all of them.
AGENCY_SUBMISSIONS_PREFIX = SEIZURES_RAW.name + "."
AGENCY_URGENT_PREFIX = SEIZURES_URGENT.name + "."
AGENCY_TOPIC_PARTITIONS = 2  # one agency's submissions are a small share of the flow


def agency_submissions(agency_id: str, urgent: bool = False) -> TopicSpec:
    """An agency's submissions topic, `seizures.raw.<agency id>` (its URGENT lane: `seizures.urgent.<agency
    id>`): configured like seizures.raw."""
    lane, prefix = (SEIZURES_URGENT, AGENCY_URGENT_PREFIX) if urgent else (SEIZURES_RAW, AGENCY_SUBMISSIONS_PREFIX)
    return replace(lane, name=prefix + agency_id, partitions=AGENCY_TOPIC_PARTITIONS,
                   purpose=f"{'URGENT ' if urgent else ''}seizure events published by agency {agency_id}")


def agency_lanes(agency_id: str) -> tuple[TopicSpec, TopicSpec]:
    """Both submissions topics of one agency: its routine one and its URGENT lane."""
    return agency_submissions(agency_id), agency_submissions(agency_id, urgent=True)


def submitting_agency(topic: str) -> str | None:
    """The agency whose submissions topic (either lane) `topic` is (a logical or namespaced name), or None for
    any other topic. Agency ids hold no dot, so the id is what follows the last prefix."""
    for prefix in (AGENCY_SUBMISSIONS_PREFIX, AGENCY_URGENT_PREFIX):
        _, found, agency = topic.rpartition(prefix)
        if found and agency and "." not in agency:
            return agency
    return None


def is_urgent_lane(topic: str) -> bool:
    """True for seizures.urgent and the agencies' urgent topics (logical or namespaced names)."""
    return topic.endswith(SEIZURES_URGENT.name) or AGENCY_URGENT_PREFIX in topic


def agency_topics_among(names: Iterable[str], namespace: str = "") -> list[str]:
    """The agency submissions topics (both lanes) of `namespace` among physical topic `names` (what a broker
    lists)."""
    prefixes = (namespace + AGENCY_SUBMISSIONS_PREFIX, namespace + AGENCY_URGENT_PREFIX)
    return sorted(name for name in names
                  if name.startswith(prefixes) and submitting_agency(name[len(namespace):]))
