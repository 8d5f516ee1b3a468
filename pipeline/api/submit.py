"""Seizures submitted over HTTP, turned into SeizureEvent datums exactly as `tracepipe publish` turns a file.

Pure apart from reading the schemas (no Kafka, no PostgreSQL, no HTTP): the body's bytes and media type in,
the datums to publish and the per-record problems out. The rules are the CLI's: the same column names in
English and Spanish (pipeline/producers/agency_file.py `parse_row`, `read_csv_lines`, `read_jsonl_lines`),
the same reasons, and the same encoding step `publish_many` runs before sending. Two rules of its own: a
record is always published as the caller's agency (an absent agency_id becomes the caller's; naming
another agency rejects the record), and the body's size, record count and nesting are bounded.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.api.errors import ApiError
from pipeline.api.text import say
from pipeline.contract.codec import encode
from pipeline.contract.registry import Record
from pipeline.errors import TracepipeError
from pipeline.producers.agency_file import (
    EVENT_COLUMNS,
    FIREARM_COLUMNS,
    ID_LIMIT,
    POSSESSOR_COLUMNS,
    REASONS,
    REQUIRED,
    TEXT_LIMIT,
    LineError,
    ParsedLine,
    parse_row,
    read_csv_lines,
    read_jsonl_lines,
)

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_RECORDS = 1_000
JSON, CSV, NDJSON = "application/json", "text/csv", "application/x-ndjson"
MEDIA_TYPES = (JSON, CSV, NDJSON)
_CHARSETS = ("utf-8", "utf8", "us-ascii", "ascii")
AGENCY_KEYS = ("agency_id", *EVENT_COLUMNS["agency_id"])


@dataclass(frozen=True)
class Problem:
    """Why one record was rejected (or a warning about it): where, which field, a message key and its values.

    `error` is a reason code of agency_file.REASONS (the CLI's) or a key of pipeline/api/text.py. Values
    never hold what the agency typed, except the agency id it named (not personal data).
    """

    record: int  # 0-based position in the body (array element, data row, non-blank line)
    line: int | None  # line of a CSV or NDJSON body (as an editor counts); None for a JSON body
    field: str
    error: str
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, lang: str) -> str:
        """The reason in the caller's language."""
        if self.error in REASONS:
            return LineError(self.line or 0, self.field, self.error).reason(lang)
        return say(self.error, lang, **self.values)

    def as_json(self, lang: str) -> dict[str, Any]:
        """The problem as the API answers it (routes/submissions.py RecordProblem)."""
        return {"record": self.record, "line": self.line, "field": self.field, "error": self.error,
                "message": self.message(lang)}


@dataclass
class Batch:
    """A body's records: the datums ready to publish (with their record positions) and what was refused."""

    received: int = 0
    datums: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    places: list[tuple[int, int | None]] = dataclasses.field(default_factory=list)  # (position, line) per datum
    rejected: list[Problem] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)



def media_type(content_type: str | None) -> str:
    """The body's media type (415 unless JSON, CSV or NDJSON in UTF-8)."""
    kind, _, params = (content_type or "").partition(";")
    kind = kind.strip().lower()
    if kind.startswith("application/") and kind.endswith("+json"):
        kind = JSON
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _CHARSETS:
            raise ApiError(415, "unsupported_media_type", types=", ".join(MEDIA_TYPES))
    if kind not in MEDIA_TYPES:
        raise ApiError(415, "unsupported_media_type", types=", ".join(MEDIA_TYPES))
    return kind


def same_agency(given: Any, own: str) -> bool:
    """Whether an agency id as typed names the caller's agency (case and surrounding blanks ignored)."""
    if isinstance(given, bool) or not isinstance(given, str | int):
        return False
    return str(given).strip().casefold() == own.casefold()


def _given_agency(row: Mapping[str, Any]) -> Any:
    for key in AGENCY_KEYS:
        value = row.get(key)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value
    return None


class _AsCaller:
    """`parse_row` with the caller's agency put in every record, and another agency named noted as a problem."""

    def __init__(self, own: str) -> None:
        self.own = own
        self.named: dict[int, str] = {}  # line -> the other agency id a record named (for the message)

    def __call__(self, row: Mapping[str, Any], line: int, now: datetime | None) -> ParsedLine:
        given = _given_agency(row)
        as_caller = {key: value for key, value in row.items() if key not in AGENCY_KEYS}
        as_caller["agency_id"] = self.own
        parsed = parse_row(as_caller, line, now)
        if given is None or same_agency(given, self.own):
            return parsed
        if isinstance(given, bool) or not isinstance(given, str | int):
            problem = LineError(line, "agency_id", "bad_type")
        else:
            shown = str(given)
            self.named[line] = shown if len(shown) <= 60 else shown[:60] + "…"
            problem = LineError(line, "agency_id", "agency_mismatch")
        return ParsedLine(line, None, (problem, *(parsed.errors if parsed.datum is None else ())))

    def values(self, error: LineError) -> dict[str, Any]:
        """Values of a problem's message (only agency_mismatch has any)."""
        if error.code != "agency_mismatch":
            return {}
        return {"given": self.named.get(error.line, "?"), "own": self.own}


def _json_records(text: str) -> list[Any]:
    try:
        body = json.loads(text)
    except RecursionError:
        raise ApiError(400, "too_deeply_nested") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, "bad_json_body", line=exc.lineno, column=exc.colno) from None
    except ValueError:  # e.g. an integer of more than 4,300 digits
        raise ApiError(400, "bad_json_body", line=1, column=1) from None
    if isinstance(body, dict):
        return [body]
    if not isinstance(body, list):
        raise ApiError(400, "body_not_records")
    return body


def _too_many(count: int) -> None:
    if count > MAX_RECORDS:
        raise ApiError(413, "too_many_records", limit=MAX_RECORDS)


def _parsed_lines(kind: str, text: str, parse: _AsCaller, now: datetime) -> Iterator[tuple[int | None, ParsedLine]]:
    """(line or None, parsed record) for every record of the body, in order."""
    if kind == JSON:
        records = _json_records(text)
        _too_many(len(records))
        for position, record in enumerate(records):
            if isinstance(record, dict):
                yield None, parse(record, position + 1, now)
            else:
                yield None, ParsedLine(position + 1, None, (LineError(position + 1, "-", "bad_json"),))
        return
    if kind == NDJSON:
        # Universal newlines, as a file opened in text mode: line numbers are an editor's.
        yield from ((parsed.line, parsed) for parsed in read_jsonl_lines(io.StringIO(text, newline=None), now, parse))
        return
    lines = read_csv_lines(io.StringIO(text, newline=""), now, parse)
    while True:
        try:
            parsed = next(lines)
        except StopIteration:
            return
        except csv.Error as exc:  # an unclosed quote, a field over the csv module's size limit
            raise ApiError(400, "bad_csv", problem=str(exc)[:200]) from None
        yield parsed.line, parsed


def parse_body(body: bytes, content_type: str | None, own_agency: str, now: datetime) -> Batch:
    """Every record of a body, validated as `tracepipe publish` validates a file's lines, as the caller's agency.

    Raises ApiError for a body that is not records at all (415, 400) or holds too many of them (413).
    """
    kind = media_type(content_type)
    text = body.decode("utf-8-sig", errors="replace")  # as the CLI reads files: a bad byte becomes U+FFFD
    parse = _AsCaller(own_agency)
    batch = Batch()
    for position, (line, parsed) in enumerate(_parsed_lines(kind, text, parse, now)):
        _too_many(position + 1)
        batch.received += 1
        problems = [Problem(position, line, error.field, error.code, parse.values(error)) for error in parsed.errors]
        if parsed.datum is None:
            batch.rejected.extend(problems)
            continue
        try:
            encode(Record.SEIZURE_EVENT, parsed.datum)  # what publish_many does first: the schema's last word
        except TracepipeError as exc:
            batch.rejected.append(Problem(position, line, "-", "record_not_encodable", {"detail": str(exc)[:300]}))
            continue
        batch.warnings.extend(problems)
        batch.datums.append(parsed.datum)
        batch.places.append((position, line))
    if batch.received == 0:
        raise ApiError(400, "no_records")
    return batch


def record_schema() -> dict[str, Any]:
    """JSON Schema of one submitted record, for the OpenAPI document (English names; Spanish ones work too)."""
    text = {"type": ["string", "integer", "null"], "maxLength": TEXT_LIMIT}
    ident = {"type": ["string", "integer"], "maxLength": ID_LIMIT}
    properties: dict[str, Any] = {name: dict(text) for name in EVENT_COLUMNS}
    properties.update({
        "agency_id": {**ident, "type": ["string", "integer", "null"],
                      "description": "your agency (the default); another agency's id rejects the record"},
        "event_id": {**ident, "description": "your own id of the seizure (a re-send under it is a duplicate)"},
        "reported_at": {"type": ["string", "null"], "description": "ISO 8601 timestamp (default: now)"},
        "recovery_date": {"type": "string", "description": "YYYY-MM-DD"},
        "latitude": {"type": ["number", "string", "null"]},
        "longitude": {"type": ["number", "string", "null"]},
        "priority": {"type": ["string", "null"], "description": "ROUTINE/RUTINA (default) or URGENT/URGENTE"},
        "firearm": {"type": "object", "properties": {
            name: {"type": ["string", "number", "null"], "maxLength": TEXT_LIMIT} for name in FIREARM_COLUMNS}},
        "possessor": {"type": ["object", "null"], "properties": {
            name: {"type": ["string", "null"], "maxLength": TEXT_LIMIT} for name in POSSESSOR_COLUMNS}},
    })
    return {
        "type": "object",
        "description": "A seizure as `tracepipe publish` reads a JSON line: these English names, or the Spanish "
                       "column names (agencia, folio, fecha_aseguramiento, estado, delito, marca, serie, ...). "
                       f"Required: {', '.join(name for name in REQUIRED if name != 'agency_id')}.",
        "properties": properties,
    }
