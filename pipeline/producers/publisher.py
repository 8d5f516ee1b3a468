"""The agency-side SDK: publish seizure events to Kafka, confirmed by the broker before reporting success."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from pipeline.contract.codec import encode
from pipeline.contract.registry import Record
from pipeline.errors import TracepipeError
from pipeline.topology import SEIZURES_RAW


class PublishError(TracepipeError):
    """The broker did not confirm a record within the producer's retries."""


def event_key(datum: Mapping[str, Any]) -> bytes:
    """Kafka key of a seizure event: agency id + the agency's own event id (re-sends share it)."""
    return f"{datum['agency_id']}:{datum['event_id']}".encode()


@dataclass
class PublishReport:
    """What happened to a batch: confirmed count and failures (index, reason)."""

    confirmed: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


class SeizurePublisher:
    """Idempotent, acks=all producer of seizure events; use as a context manager so it always closes.

    kafka-python's idempotent producer (enable_idempotence) keeps retries from writing a record twice;
    `publish_many` waits for every delivery before it returns, so "sent" always means "on the broker".
    """

    def __init__(self, connection: Mapping[str, Any], topic: str = SEIZURES_RAW.name, *,
                 urgent_topic: str | None = None, retries: int = 5, client_id: str = "tracepipe-publisher",
                 timeouts: Mapping[str, int] | None = None) -> None:
        """`connection`: the client options of pipeline/kafka_access/clients.py `client_options` (servers and
        login); `urgent_topic`: where URGENT events go (the urgent lane; default: `topic` too); `timeouts`:
        KafkaProducer time limits to tighten (the API's bootstrap_timeout_ms, max_block_ms, ...)."""
        self.topic = topic
        self.urgent_topic = urgent_topic
        config: dict[str, Any] = {
            "request_timeout_ms": 15_000, "delivery_timeout_ms": 60_000, **(timeouts or {}),
        }
        self._producer = KafkaProducer(
            **connection, client_id=client_id, acks="all", enable_idempotence=True,
            retries=retries, max_in_flight_requests_per_connection=5, linger_ms=5, **config,
        )

    def __enter__(self) -> SeizurePublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def publish(self, datum: Mapping[str, Any]) -> None:
        """Encode and send one event; returns once the broker confirmed it, else raises PublishError."""
        report = self.publish_many([datum])
        if report.failed:
            raise PublishError(report.failed[0][1])

    def publish_raw(self, key: bytes | None, value: bytes) -> None:
        """Send bytes as they are (tests and the scenario generator use it to inject garbage)."""
        try:
            self._producer.send(self.topic, key=key, value=value).get(timeout=60)
        except KafkaError as exc:
            raise PublishError(f"broker did not confirm the record: {exc}") from exc

    def publish_raw_many(self, records: Iterable[tuple[bytes | None, bytes | None]], chunk: int = 2000) -> int:
        """Send (key, value) pairs as they are, waiting for every confirmation chunk by chunk; returns how many
        the broker confirmed (raises PublishError on the first it refused). A None value is a tombstone."""
        confirmed = 0
        pending: list[Any] = []
        for key, value in records:
            pending.append(self._producer.send(self.topic, key=key, value=value))
            if len(pending) >= chunk:
                confirmed += self._confirm_raw(pending)
                pending = []
        return confirmed + self._confirm_raw(pending)

    def _confirm_raw(self, pending: list[Any]) -> int:
        self._producer.flush()
        try:
            for future in pending:
                future.get(timeout=60)
        except KafkaError as exc:
            raise PublishError(f"broker did not confirm the record: {exc}") from exc
        return len(pending)

    def publish_many(self, data: Iterable[Mapping[str, Any]], on_confirmed: Callable[[int], None] | None = None,
                     chunk: int = 2000, topic: str | None = None, urgent_topic: str | None = None) -> PublishReport:
        """Encode and send many events (to `topic`, else the publisher's; URGENT ones to `urgent_topic`, else
        the publisher's urgent topic, else the same topic), waiting for confirmations chunk by chunk; encoding
        errors are reported."""
        routine = topic or self.topic
        urgent = urgent_topic or (self.urgent_topic if topic is None else None) or routine
        report = PublishReport()
        pending: list[tuple[int, Any]] = []
        refused: str | None = None  # set when the producer refuses a send (no metadata in time: broker down)
        for index, datum in enumerate(data):
            if refused is not None:
                report.failed.append((index, refused))  # not sent; the rest of `data` is still read and counted
                continue
            try:
                value = encode(Record.SEIZURE_EVENT, datum)
            except TracepipeError as exc:
                report.failed.append((index, str(exc)))
                continue
            try:
                target = urgent if datum.get("priority") == "URGENT" else routine
                future = self._producer.send(target, key=event_key(datum), value=value)
            except KafkaError as exc:
                refused = f"broker did not accept the record: {exc}"
                report.failed.append((index, refused))
                continue
            pending.append((index, future))
            if len(pending) >= chunk:
                self._confirm(pending, report, on_confirmed)
                pending = []
        self._confirm(pending, report, on_confirmed)
        return report

    def _confirm(self, pending: list[tuple[int, Any]], report: PublishReport,
                 on_confirmed: Callable[[int], None] | None) -> None:
        self._producer.flush()
        confirmed = 0
        for index, future in pending:
            try:
                future.get(timeout=60)
            except KafkaError as exc:
                report.failed.append((index, f"broker did not confirm the record: {exc}"))
                continue
            confirmed += 1
        report.confirmed += confirmed
        if on_confirmed and confirmed:
            on_confirmed(confirmed)

    def close(self) -> None:
        """Flush what is pending and close the connection."""
        self._producer.flush()
        self._producer.close()
