"""Seizure submission over HTTP: validated as `tracepipe publish` validates a file, published to seizures.raw
as the caller's agency (pipeline/api/submit.py), recorded in `submissions` so its status answers at once."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Annotated, Any

import psycopg2
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from kafka.errors import KafkaError
from psycopg2.extras import execute_values
from pydantic import BaseModel, Field

from pipeline.api.deps import Connection, allowed, lang
from pipeline.api.errors import ApiError, error_body
from pipeline.api.models import ErrorBody
from pipeline.api.submit import (
    CSV,
    JSON,
    MAX_BODY_BYTES,
    MAX_RECORDS,
    NDJSON,
    Batch,
    Problem,
    parse_body,
    record_schema,
)
from pipeline.kafka_access import clients, principals
from pipeline.producers.publisher import SeizurePublisher
from pipeline.producers.submissions_topic import submission_lanes
from pipeline.rules.access import Caller, may_submit
from pipeline.topology import SEIZURES_RAW

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["submissions"])
Submitter = Annotated[Caller, Depends(allowed(may_submit))]

# A body over the limit is still read (and dropped) up to this much, so the client gets its 413 instead of a
# connection reset halfway through sending; beyond it the connection is simply closed after the answer.
DRAIN_LIMIT = 4 * MAX_BODY_BYTES
BODY_LIMIT_TEXT = f"{MAX_BODY_BYTES // (1024 * 1024)} MB"
# An HTTP request waits for the broker: give up in seconds rather than the SDK's minute (a 503 says try again).
PRODUCER_TIMEOUTS = {"bootstrap_timeout_ms": 5_000, "max_block_ms": 5_000, "request_timeout_ms": 10_000,
                     "delivery_timeout_ms": 30_000}
_PUBLISHER_LOCK = threading.Lock()
UPSERT = ("INSERT INTO submissions (agency_id, event_id, account_id, received_at) VALUES %s "
          "ON CONFLICT (agency_id, event_id) DO UPDATE SET account_id = EXCLUDED.account_id, "
          "received_at = EXCLUDED.received_at")


class RecordProblem(BaseModel):
    """Why one record was not published (or a warning about one that was)."""

    record: int = Field(description="0-based position of the record in the body (element, data row or line)")
    line: int | None = Field(description="line of a CSV or NDJSON body, as an editor counts; null for JSON")
    field: str = Field(description='the field ("-" for the record as a whole)')
    error: str = Field(description="a stable code: missing, bad_date, agency_mismatch, ...")
    message: str = Field(description="the reason, in the caller's language")


class SubmissionReport(BaseModel):
    """What happened to a body's records: received = published + rejected."""

    received: int
    published: int = Field(description="records the broker confirmed (acks=all): on the stream, to be processed")
    rejected: int = Field(description="records not published, each with at least one entry in `errors`")
    errors: list[RecordProblem]
    warnings: list[RecordProblem] = Field(description="published anyway (an unknown CSV column, ...)")
    status_recorded: bool = Field(description="whether GET /v1/seizures/{event_id}/status already answers "
                                              "'received' (false: it answers once the pipeline has read them)")


class SubmissionRefused(SubmissionReport):
    """Nothing was published: every record was rejected (an error body with the per-record report)."""

    error: str
    message: str


def _request_body() -> dict[str, Any]:
    record = record_schema()
    return {"required": True, "description": f"One record or an array of up to {MAX_RECORDS:,} (JSON), or a CSV with "
                                             "a header row, or JSON Lines; column names in English or Spanish, as "
                                             f"`tracepipe publish` reads files; at most {BODY_LIMIT_TEXT}.",
            "content": {
                JSON: {"schema": {"anyOf": [record, {"type": "array", "items": record, "minItems": 1,
                                                     "maxItems": MAX_RECORDS}]}},
                CSV: {"schema": {"type": "string"}},
                NDJSON: {"schema": {"type": "string"}},
            }}


async def body_bytes(request: Request) -> bytes:
    """The request body, at most MAX_BODY_BYTES (413 otherwise)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_LIMIT:
        raise ApiError(413, "body_too_large", limit=BODY_LIMIT_TEXT)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_BODY_BYTES:
            chunks.append(chunk)
        elif size > DRAIN_LIMIT:
            break
    if size > MAX_BODY_BYTES:
        raise ApiError(413, "body_too_large", limit=BODY_LIMIT_TEXT)
    return b"".join(chunks)


def publisher_of(app: FastAPI) -> SeizurePublisher:
    """The app's one producer (acks=all, idempotent), made on first use; the app closes it when it stops."""
    publisher: SeizurePublisher | None = getattr(app.state, "publisher", None)
    if publisher is None:
        with _PUBLISHER_LOCK:
            publisher = getattr(app.state, "publisher", None)
            if publisher is None:
                settings = app.state.settings
                connection = clients.client_options(settings, principals.API)
                publisher = SeizurePublisher(connection, settings.topic(SEIZURES_RAW.name),
                                             client_id="tracepipe-api", timeouts=PRODUCER_TIMEOUTS)
                app.state.publisher = publisher
                app.state.publisher_close = publisher.close
    return publisher


def _record_received(conn: Any, who: Caller, data: list[dict[str, Any]], now: datetime) -> bool:
    """Upsert one `submissions` row per published record; False (logged) if the database refused.

    Runs after the broker confirmed the records. A crash or a database error in between leaves published
    events without a row: acceptable, since the stream is the truth and the status endpoint then answers from
    what the sink writes once the pipeline has read them.
    """
    rows = {(d["agency_id"], d["event_id"]): (d["agency_id"], d["event_id"], who.account_id, now) for d in data}
    try:
        with conn.cursor() as cur:
            execute_values(cur, UPSERT, list(rows.values()))
        conn.commit()
        return True
    except psycopg2.Error as exc:
        log.warning("submissions of %s not recorded: %s", who.account_id, type(exc).__name__)
        try:
            conn.rollback()
        except psycopg2.Error:
            pass
        return False


def _report(batch: Batch, published: int, problems: list[Problem], recorded: bool, language: str) -> dict[str, Any]:
    return {"received": batch.received, "published": published, "rejected": batch.received - published,
            "errors": [p.as_json(language) for p in sorted(problems, key=lambda p: p.record)],
            "warnings": [p.as_json(language) for p in batch.warnings], "status_recorded": recorded}


@router.post("/seizures", status_code=202, response_model=SubmissionReport, summary="Submit seizures",
             openapi_extra={"requestBody": _request_body()},
             responses={413: {"model": ErrorBody, "description": f"over {MAX_RECORDS:,} records or {BODY_LIMIT_TEXT}"},
                        415: {"model": ErrorBody, "description": "not JSON, CSV or JSON Lines in UTF-8"},
                        422: {"model": SubmissionRefused, "description": "every record was rejected"},
                        503: {"model": ErrorBody, "description": "the broker is unavailable: nothing was published"}})
def submit_seizures(request: Request, who: Submitter, conn: Connection,
                    language: Annotated[str, Depends(lang)], body: Annotated[bytes, Depends(body_bytes)]) -> Any:
    """Publish seizures to the pipeline as the caller's agency, validated as `tracepipe publish` validates a
    file: each bad record is reported (position, field, reason) and the good ones are published. A record
    without agency_id is the caller's agency's; one naming another agency is rejected (`agency_mismatch`)."""
    report, refused = publish_body(request.app, conn, who, body, request.headers.get("content-type"), language)
    if refused:
        return JSONResponse({**error_body("records_rejected", language), **report}, 422)
    return report


def publish_body(app: FastAPI, conn: Any, who: Caller, body: bytes, content_type: str | None,
                 language: str) -> tuple[dict[str, Any], bool]:
    """The submission path shared by this route and the web app's submit page: parse and validate the body as
    the caller's agency, publish the good records, record them as received. Returns (SubmissionReport as a
    dict, True when every record was rejected and nothing was published); ApiError for a body that is not
    records (400, 413, 415) or a broker that is down (503)."""
    now = datetime.now(UTC)
    batch = parse_body(body, content_type, who.agency_id, now)
    if not batch.datums:
        return _report(batch, 0, batch.rejected, False, language), True
    if not app.state.broker_ready():
        raise ApiError(503, "broker_unavailable")
    try:
        publisher = publisher_of(app)
    except KafkaError as exc:
        log.warning("no producer for submissions: %s", type(exc).__name__)
        raise ApiError(503, "broker_unavailable") from None
    # With Kafka security on, to the caller's agency's own topics: intake then knows who sent each record.
    lanes = submission_lanes(app.state.settings, who.agency_id)
    sent = publisher.publish_many(batch.datums, topic=lanes.topic, urgent_topic=lanes.urgent_topic)
    failed = {index for index, _reason in sent.failed}
    if len(failed) == len(batch.datums):
        raise ApiError(503, "broker_unavailable")
    problems = list(batch.rejected)
    for index in sorted(failed):
        position, line = batch.places[index]
        problems.append(Problem(position, line, "-", "record_not_confirmed"))
    published = [datum for index, datum in enumerate(batch.datums) if index not in failed]
    recorded = _record_received(conn, who, published, now)
    log.info("submission by %s (%s): %d received, %d published", who.account_id, who.agency_id, batch.received,
             len(published))
    return _report(batch, len(published), problems, recorded, language), False
