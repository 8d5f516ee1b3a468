"""Metrics as observer hooks: a step observer that counts what each record became, and a faust Sensor that serves
/metrics for the life of the worker.

Why an observer at the agent loop's edge rather than a faust Sensor's event hooks
(on_stream_event_in/out, on_send_initiated):

* The observer sees the step's own `Outgoing` records, with **logical** topic names and the payloads the step
  wrote. A Sensor sees physical (namespaced) topics, and every send of the app: table changelogs and the
  metrics snapshots themselves would have to be filtered out, and the namespace stripped.
* What the pipeline decided is read straight off those records: a dead letter's reason from its DeadLetter
  payload, a dedupe decision from the topic it went to (requested / recoveries / duplicates), a trace opened,
  a possible duplicate. The business logic (pipeline/rules, the step functions) stays free of metric calls.
* A tracing step's records lookups are read the same way: the stages a trace passed through in the step and
  how it left the last one (forwarded, completed, or closed with a reason) say which lookups found their record
  (pipeline/ops/metrics/lookups.py). Each record is decoded once: the incoming trace, and each trace the step produced.
* Database errors are the one count not read off records: a batch processor's connection calls
  `StepObserver.database_error` on each PostgreSQL error it retries (pipeline/worker/app.py wires it).
* One record in, its outputs out, one call: counts are exact by construction (no pairing of "in" and "out"
  events whose timing faust decides), and the observer is a plain function of in-memory records, unit-tested
  without a broker.
* The agent loop pays one call per record; the observer never raises into it (a failure is counted in
  tracepipe_observer_errors_total and logged).

The Sensor is used for its lifecycle only: faust starts sensors with the app, before table recovery, so
/metrics (also the Kubernetes probes' endpoint) answers while a long changelog recovery runs, and stops
them with the app.

Ports: TRACEPIPE_METRICS_PORT is a base port (default 9100; 0 disables the endpoint). Each processor listens
on base + its index in pipeline.topology.PROCESSORS (intake 9100, dedupe 9101, serial_linker 9102, ...), so
`tracepipe worker` running several processors, one process each, on one host does not collide. A port that
is already taken is logged as an error and the worker runs on without the endpoint (processing matters more
than the scrape); its snapshots still reach `metrics.snapshots`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import faust
from faust.sensors import Sensor
from prometheus_client import CollectorRegistry, start_http_server

from pipeline.contract.codec import decode, decoded, writer_schema
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record
from pipeline.errors import CodecError, ConfigError
from pipeline.ops.metrics.instruments import DECISIONS, REASONS, TOPIC_NAMES, ProcessorMetrics, bounded
from pipeline.ops.metrics.lookups import step_lookups
from pipeline.ops.metrics.snapshots import install_snapshots
from pipeline.rules.dedupe import Decision
from pipeline.settings import Settings
from pipeline.topology import (
    PROCESSORS,
    SEIZURES_DEAD_LETTER,
    SEIZURES_DUPLICATES,
    TRACES_AT_DEALER,
    TRACES_AT_DEALER_OOB,
    TRACES_AT_PURCHASER,
    TRACES_AT_WHOLESALER,
    TRACES_COMPLETED,
    TRACES_POSSIBLE_DUPLICATES,
    TRACES_RECOVERIES,
    TRACES_REQUESTED,
    TRACES_URGENT,
    ProcessorSpec,
)

log = logging.getLogger(__name__)

METRICS_ADDRESS = "0.0.0.0"  # noqa: S104 - scraped from other hosts/pods; serves counts only, no record data

# The dedupe step sends each sighting to exactly one of these topics: the topic is the decision.
DEDUPE_DECISION_BY_TOPIC: dict[str, str] = {
    TRACES_REQUESTED.name: str(Decision.OPEN_TRACE),
    TRACES_URGENT.name: str(Decision.OPEN_TRACE),  # the express lane: an urgent trace opened
    TRACES_RECOVERIES.name: str(Decision.ADD_RECOVERY),
    SEIZURES_DUPLICATES.name: str(Decision.EXACT_DUPLICATE),
}

# Topics carrying a TraceInFlight to a tracing stage (or the express lane): a processor reading one of them makes
# records lookups, and forwards its traces on them.
TRACE_TOPICS: frozenset[str] = frozenset(topic.name for topic in (
    TRACES_REQUESTED, TRACES_URGENT, TRACES_AT_WHOLESALER, TRACES_AT_DEALER, TRACES_AT_DEALER_OOB,
    TRACES_AT_PURCHASER))


def metrics_port(processor_name: str, base_port: int, processors: Sequence[ProcessorSpec] = PROCESSORS) -> int | None:
    """The /metrics port of `processor_name`: base port + its index in the topology; None when disabled (base 0)."""
    if base_port == 0:
        return None
    names = [spec.name for spec in processors]
    if processor_name not in names:
        raise ConfigError(f"no processor {processor_name!r} in the topology")
    port = base_port + names.index(processor_name)
    if base_port < 0 or port > 65535:
        raise ConfigError(
            f"TRACEPIPE_METRICS_PORT must be 0 (off) or a port from 1 to {65536 - len(names)}, got {base_port}")
    return port


class StepObserver:
    """Counts one processed record and what it became: `observer(incoming, outputs, seconds)`.

    `seconds` is the time from the start of the step to its outputs being handed to the producer.
    """

    def __init__(self, metrics: ProcessorMetrics, *, reads_results: bool = False, reads_traces: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self.metrics = metrics
        self.reads_results = reads_results  # traces.completed is an input (the sink): count its TraceResults
        self.reads_traces = reads_traces  # a trace topic is an input (the stages, express): count records lookups
        self.clock = clock
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def __call__(self, incoming: Incoming, outputs: Sequence[Outgoing], seconds: float) -> None:
        """Count `incoming` and its `outputs`; never raises."""
        try:
            self._observe(incoming, outputs, seconds)
        except Exception:  # noqa: BLE001 - metrics must never stop the pipeline
            self.metrics.observer_errors.labels(self.metrics.processor).inc()
            log.exception("%s: metrics observer failed at offset %s", self.metrics.processor, incoming.offset)

    def _child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, looked up once per label set (label values are bounded, so is the cache):
        the lookup cost more than the increment, eight times per record."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def _observe(self, incoming: Incoming, outputs: Sequence[Outgoing], seconds: float) -> None:
        m, name, child = self.metrics, self.metrics.processor, self._child
        child(m.events_in, name).inc()
        for out in outputs:
            topic = bounded(out.topic, TOPIC_NAMES)
            child(m.events_out, name, topic).inc()
            if topic == SEIZURES_DEAD_LETTER.name:
                child(m.dead_letters, name, self._reason(out)).inc()
            elif topic == TRACES_POSSIBLE_DUPLICATES.name:
                child(m.possible_duplicates, name).inc()
            decision = DEDUPE_DECISION_BY_TOPIC.get(topic)
            if decision is not None:
                child(m.dedupe_decisions, name, bounded(decision, DECISIONS)).inc()
            if topic in (TRACES_REQUESTED.name, TRACES_URGENT.name):
                child(m.traces_opened, name).inc()
        if self.reads_results and not any(out.topic == SEIZURES_DEAD_LETTER.name for out in outputs):
            self._trace_result(incoming)
        child(m.step_seconds, name).observe(max(0.0, seconds))
        published = incoming.timestamp_ms / 1000
        child(m.publish_to_process_seconds, name).observe(max(0.0, self.clock() - published))
        child(m.last_event_timestamp, name).set(published)
        if self.reads_traces:
            self._lookups(incoming, outputs)

    def database_error(self, _exc: BaseException) -> None:
        """The `on_error` callback of a batch processor's database connection: one PostgreSQL error met (labelled
        with the processor's name: a tracing stage, express or sink); never raises into the retry loop."""
        try:
            self.metrics.database_error(self.metrics.processor)
        except Exception:  # noqa: BLE001 - metrics must never stop the pipeline
            self.metrics.observer_errors.labels(self.metrics.processor).inc()
            log.exception("%s: counting a database error failed", self.metrics.processor)

    def _lookups(self, incoming: Incoming, outputs: Sequence[Outgoing]) -> None:
        """Count the records lookups of a tracing step from the trace it read and the traces it produced (a dead
        letter, the step's failure, made no lookup worth counting)."""
        produced = [(out, Record.TRACE_RESULT if out.topic == TRACES_COMPLETED.name else Record.TRACE_IN_FLIGHT)
                    for out in outputs if out.topic == TRACES_COMPLETED.name or out.topic in TRACE_TOPICS]
        if not produced:
            return
        try:
            trace = decoded(incoming, Record.TRACE_IN_FLIGHT)  # the step's own decode, when it made one
        except CodecError:
            self.metrics.observer_errors.labels(self.metrics.processor).inc()
            return
        for out, record in produced:
            try:
                datum = out.datum if out.datum is not None else decode(out.value, record)
            except CodecError:
                self.metrics.observer_errors.labels(self.metrics.processor).inc()
                continue
            for stage, outcome in step_lookups(trace, datum):
                self.metrics.record_lookup(stage, outcome)

    def _trace_result(self, incoming: Incoming) -> None:
        """Count a TraceResult input; the sink's other inputs (recoveries, possible duplicates) are left alone."""
        try:
            if writer_schema(incoming.value).name != Record.TRACE_RESULT:
                return
            result = decoded(incoming, Record.TRACE_RESULT)  # the sink decoded it already
        except CodecError:
            self.metrics.observer_errors.labels(self.metrics.processor).inc()
            return
        self.metrics.observe_trace_result(result)

    def _reason(self, letter: Outgoing) -> str:
        try:
            return bounded(decode(letter.value, Record.DEAD_LETTER)["reason_code"], REASONS)
        except CodecError:
            self.metrics.observer_errors.labels(self.metrics.processor).inc()
            return "OTHER"


class MetricsServerSensor(Sensor):
    """Serves a registry on http://0.0.0.0:PORT/metrics from app start to app stop (a thread of its own)."""

    def __init__(self, registry: CollectorRegistry, port: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registry = registry
        self.port = port
        self._server: Any = None

    async def on_start(self) -> None:
        """Start the HTTP server thread (a busy port is logged, not fatal)."""
        try:
            self._server, _thread = start_http_server(self.port, METRICS_ADDRESS, registry=self.registry)
        except OSError as exc:
            log.error("cannot serve /metrics on port %s (%s); running without it", self.port, exc)
            return
        log.info("serving /metrics on port %s", self.port)

    async def on_stop(self) -> None:
        """Stop serving and free the port."""
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.shutdown)
            server.server_close()


def install_metrics(app: faust.App, settings: Settings, spec: ProcessorSpec) -> StepObserver:
    """Wire one worker's metrics into its faust app: /metrics server, periodic snapshots; returns the observer
    the agent calls once per record (`settings.metrics_base_port` and `settings.snapshot_seconds`).
    """
    metrics = ProcessorMetrics(spec.name)
    port = metrics_port(spec.name, settings.metrics_base_port)
    if port is not None:
        app.sensors.add(MetricsServerSensor(metrics.registry, port))
    if settings.snapshot_seconds:
        install_snapshots(app, settings, metrics, settings.snapshot_seconds)
    inputs = {topic.name for topic in spec.inputs()}
    return StepObserver(metrics, reads_results=TRACES_COMPLETED.name in inputs,
                        reads_traces=spec.reads.name in TRACE_TOPICS)
