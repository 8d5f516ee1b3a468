"""The two Avro implementations behind one interface: `avro` (Apache reference) and `fastavro` (fast path).

They read and write bodies only; pipeline/contract/codec.py adds the single-object header and turns their
many exception types into CodecError. Keeping both lets tests prove they agree byte for byte.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

import avro.io
import fastavro

from pipeline.contract.schema_file import SchemaVersion


class AvroLibrary(Protocol):
    """Writes an Avro binary body, and reads one resolving the writer schema to the reader schema."""

    name: str

    def write(self, schema: SchemaVersion, datum: Mapping[str, Any]) -> bytes:
        """Encode `datum` with `schema`."""
        ...

    def read(self, body: bytes, writer: SchemaVersion, reader: SchemaVersion) -> dict[str, Any]:
        """Decode a body written with `writer` into the shape of `reader`."""
        ...


def _require_consumed(buffer: io.BytesIO, size: int) -> None:
    """A valid body is read exactly to its end; leftovers mean the wrong schema or a corrupt payload."""
    left = size - buffer.tell()
    if left:
        raise ValueError(f"{left} bytes left over after the record")


def _record(datum: object) -> dict[str, Any]:
    """Our schemas are all records, so a body that decodes to anything else is corrupt."""
    if not isinstance(datum, dict):
        raise ValueError(f"decoded a {type(datum).__name__}, not a record")
    return datum


class ReferenceAvro:
    """The Apache `avro` package: validates every datum, slow; the yardstick for correctness."""

    name = "avro"

    def write(self, schema: SchemaVersion, datum: Mapping[str, Any]) -> bytes:
        """Encode `datum` with `schema` (fails on missing fields even when they have defaults)."""
        buffer = io.BytesIO()
        avro.io.DatumWriter(schema.avro_schema).write(datum, avro.io.BinaryEncoder(buffer))
        return buffer.getvalue()

    def read(self, body: bytes, writer: SchemaVersion, reader: SchemaVersion) -> dict[str, Any]:
        """Decode with avro's resolving DatumReader."""
        buffer = io.BytesIO(body)
        datum = avro.io.DatumReader(writer.avro_schema, reader.avro_schema).read(avro.io.BinaryDecoder(buffer))
        _require_consumed(buffer, len(body))
        return _record(datum)


class FastAvro:
    """fastavro's compiled schemaless reader and writer, with schemas parsed once at load."""

    name = "fastavro"

    def write(self, schema: SchemaVersion, datum: Mapping[str, Any]) -> bytes:
        """Encode `datum`; unknown fields are an error (a misspelt field must not vanish silently)."""
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, schema.fastavro_schema, datum, strict_allow_default=True)
        return buffer.getvalue()

    def read(self, body: bytes, writer: SchemaVersion, reader: SchemaVersion) -> dict[str, Any]:
        """Decode with fastavro, resolving only when the reader differs from the writer."""
        buffer = io.BytesIO(body)
        reader_schema = None if reader is writer else reader.fastavro_schema
        datum = fastavro.schemaless_reader(buffer, writer.fastavro_schema, reader_schema)
        _require_consumed(buffer, len(body))
        return _record(datum)


LIBRARIES: Mapping[str, AvroLibrary] = MappingProxyType({lib.name: lib for lib in (ReferenceAvro(), FastAvro())})
