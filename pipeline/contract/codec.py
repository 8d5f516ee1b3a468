"""Avro single-object encoding for topic payloads: header C3 01 + 8-byte fingerprint + binary body.

The fingerprint names the writer schema, so any process holding schemas/ decodes any version and
resolves it to the reader's (new fields get defaults) without a registry server. Every failure is a
CodecError subclass, so callers route bad bytes to the dead-letter topic instead of crashing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import avro.io

from pipeline.contract.envelope import Incoming
from pipeline.contract.libraries import LIBRARIES, AvroLibrary
from pipeline.contract.registry import SchemaRegistry, default_registry
from pipeline.contract.schema_file import SINGLE_OBJECT_MAGIC, SchemaVersion
from pipeline.errors import CodecError, CorruptPayloadError, EncodeError, UnknownSchemaError

HEADER_SIZE = len(SINGLE_OBJECT_MAGIC) + 8
# Chosen by measurement (`python -m pipeline.bench.codec`, 20,000 SeizureEvents, one run): avro encodes
# ~6,800 and decodes ~12,700 records/s, fastavro ~57,000 and ~68,000 (8x and 5x). avro remains the
# reference the tests cross-check against.
DEFAULT_LIBRARY = "fastavro"


def _library(name: str) -> AvroLibrary:
    try:
        return LIBRARIES[name]
    except KeyError as exc:
        raise CodecError(f"unknown Avro library {name!r}; choose one of {', '.join(LIBRARIES)}") from exc


def _schema(record: str | SchemaVersion, registry: SchemaRegistry | None) -> SchemaVersion:
    if isinstance(record, SchemaVersion):
        return record
    return (registry or default_registry()).latest(record)


def encode(
    record: str | SchemaVersion,
    datum: Mapping[str, Any],
    *,
    library: str = DEFAULT_LIBRARY,
    registry: SchemaRegistry | None = None,
) -> bytes:
    """Encode `datum` as a single-object payload, with the latest version of `record` unless given a version.

    `record` is a record name (`Record.SEIZURE_EVENT`, "SeizureEvent") or a SchemaVersion from the registry.
    """
    schema = _schema(record, registry)
    try:
        body = _library(library).write(schema, datum)
    except CodecError:
        raise
    except Exception as exc:  # each library signals a bad datum with its own exception types
        raise EncodeError(f"cannot encode {schema.label} with {library}: {_mismatch(schema, datum, exc)}") from exc
    return schema.header + body


def _mismatch(schema: SchemaVersion, datum: Any, exc: Exception) -> str:
    """Name the offending top-level field without echoing values (possessor data is personal)."""
    if not isinstance(datum, Mapping):
        return f"expected a mapping, got {type(datum).__name__}"
    unknown = sorted(set(datum) - set(schema.avro_schema.fields_dict))
    if unknown:
        return f"unknown field(s) {', '.join(map(str, unknown))}"
    for field in schema.avro_schema.fields:
        if field.name not in datum and not field.has_default:
            return f"missing field {field.name}"
        if field.name in datum and not avro.io.validate(field.type, datum[field.name]):
            return f"field {field.name} does not match type {field.type.type}"
    omitted = [field.name for field in schema.avro_schema.fields if field.name not in datum]
    if omitted:  # only the reference `avro` writer insists on fields that have defaults
        return f"missing field(s) {', '.join(omitted)} (this writer does not fill in defaults)"
    return type(exc).__name__


def writer_schema(payload: bytes, *, registry: SchemaRegistry | None = None) -> SchemaVersion:
    """The schema version named by a payload's header (reads no body)."""
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise CorruptPayloadError(f"payload must be bytes, got {type(payload).__name__}")
    if len(payload) < HEADER_SIZE:
        raise CorruptPayloadError(f"payload of {len(payload)} bytes is shorter than the {HEADER_SIZE}-byte header")
    if payload[:2] != SINGLE_OBJECT_MAGIC:
        raise CorruptPayloadError(f"payload starts with {bytes(payload[:2]).hex()}, not the Avro marker c301")
    fingerprint = int.from_bytes(payload[2:HEADER_SIZE], "little")
    return (registry or default_registry()).by_fingerprint(fingerprint)


def decode(
    payload: bytes,
    reader: str | SchemaVersion | None = None,
    *,
    library: str = DEFAULT_LIBRARY,
    registry: SchemaRegistry | None = None,
) -> dict[str, Any]:
    """Decode a single-object payload into the shape of `reader` (default: the latest version of its writer).

    Raises UnknownSchemaError when the fingerprint is unknown or the payload holds another record type,
    CorruptPayloadError when the header or body is malformed.
    """
    writer = writer_schema(payload, registry=registry)
    target = _schema(reader if reader is not None else writer.name, registry)
    if target.name != writer.name:
        raise UnknownSchemaError(f"payload holds {writer.label}, not a {target.name}")
    return decode_body(bytes(payload[HEADER_SIZE:]), writer, target, library=library)


def decoded(incoming: Incoming, reader: str) -> dict[str, Any]:
    """`decode(incoming.value, reader)`, done once per record and remembered on it: a step and the metrics
    observer both read the record, and fastavro's decode is much of a stage's CPU. Treat the result as
    read-only (the rules build new records rather than change the ones they read)."""
    held = incoming.decoded_as.get(reader)
    if held is None:
        held = incoming.decoded_as[reader] = decode(incoming.value, reader)
    return held


def decode_body(
    body: bytes, writer: SchemaVersion, reader: SchemaVersion, *, library: str = DEFAULT_LIBRARY
) -> dict[str, Any]:
    """Decode a bare Avro body (no header) written with `writer`, e.g. a datum from another Avro tool."""
    try:
        return _library(library).read(body, writer, reader)
    except CodecError:
        raise
    except Exception as exc:  # garbage bytes surface as EOF, index, unicode, overflow... errors
        raise CorruptPayloadError(
            f"cannot decode {writer.label} body ({len(body)} bytes) as {reader.label} with {library}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
