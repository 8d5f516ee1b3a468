"""One schema file: a record type at one version, parsed once for both Avro libraries and fingerprinted."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import avro.errors
import avro.schema
import fastavro

from pipeline.contract.fingerprint import parsing_canonical_form, rabin_fingerprint64
from pipeline.errors import TracepipeError

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
_FILE_NAME = re.compile(r"^(?P<stem>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.avsc$")


class SchemaContractError(TracepipeError):
    """A schema file is malformed or breaks the naming rules of schemas/ (a bug in the repo, not in data)."""


@dataclass(frozen=True)
class SchemaVersion:
    """One .avsc file: a record type at one version, parsed once for both Avro libraries."""

    name: str
    version: int
    path: Path
    definition: Mapping[str, Any] = field(repr=False)
    canonical_form: str = field(repr=False)
    fingerprint: int
    avro_schema: avro.schema.RecordSchema = field(repr=False, compare=False)
    fastavro_schema: Any = field(repr=False, compare=False)

    @property
    def header(self) -> bytes:
        """Avro single-object encoding header: marker C3 01 and the little-endian fingerprint."""
        return SINGLE_OBJECT_MAGIC + self.fingerprint.to_bytes(8, "little")

    @property
    def label(self) -> str:
        """Short human label for messages, e.g. `io.tracepipe.SeizureEvent v2`."""
        return f"{self.name} v{self.version}"


def load_schema_file(path: Path) -> SchemaVersion:
    """Parse one `<snake_name>.v<N>.avsc` file; the file name must match the record name it defines."""
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise SchemaContractError(f"{path.name}: schema files are named <record_name>.v<N>.avsc")
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
        avro_schema = avro.schema.parse(json.dumps(definition))
        fastavro_schema = fastavro.parse_schema(definition, named_schemas={})
    except (OSError, ValueError, avro.errors.AvroException, fastavro.schema.SchemaParseException) as exc:
        raise SchemaContractError(f"{path.name}: not a valid Avro schema: {exc}") from exc
    if not isinstance(avro_schema, avro.schema.RecordSchema):
        raise SchemaContractError(f"{path.name}: the top-level schema must be a record")
    expected_stem = re.sub(r"(?<!^)(?=[A-Z])", "_", avro_schema.name).lower()
    if match["stem"] != expected_stem:
        raise SchemaContractError(f"{path.name}: defines {avro_schema.fullname}; name it {expected_stem}.v<N>.avsc")
    canonical_form = parsing_canonical_form(definition)
    return SchemaVersion(
        name=avro_schema.fullname,
        version=int(match["version"]),
        path=path,
        definition=definition,
        canonical_form=canonical_form,
        fingerprint=rabin_fingerprint64(canonical_form.encode("utf-8")),
        avro_schema=avro_schema,
        fastavro_schema=fastavro_schema,
    )
