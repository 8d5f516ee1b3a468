"""The Avro contract: loads schemas/*.avsc, indexes versions by fingerprint, checks new readers read old data.

Payloads carry the writer schema's fingerprint instead of a registry id (Avro single-object encoding),
so no registry server is needed: every process loads the same files and finds writers by fingerprint.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import avro.errors
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from pipeline.contract.fingerprint import full_name
from pipeline.contract.libraries import LIBRARIES
from pipeline.contract.lint import documentation_problems, drift_problems
from pipeline.contract.schema_file import SchemaContractError, SchemaVersion, load_schema_file
from pipeline.errors import UnknownSchemaError
from pipeline.paths import SCHEMAS_DIR

NAMESPACE = "io.tracepipe"


class Record(StrEnum):
    """Full names of the record types on the topics, so callers never spell them by hand."""

    SEIZURE_EVENT = "io.tracepipe.SeizureEvent"
    ENRICHED_SEIZURE = "io.tracepipe.EnrichedSeizure"
    TRACE_IN_FLIGHT = "io.tracepipe.TraceInFlight"
    TRACE_RESULT = "io.tracepipe.TraceResult"
    DEAD_LETTER = "io.tracepipe.DeadLetter"
    METRICS_SNAPSHOT = "io.tracepipe.MetricsSnapshot"
    RECOVERY_ATTACHED = "io.tracepipe.RecoveryAttached"
    SERIAL_INDEX_ENTRY = "io.tracepipe.SerialIndexEntry"
    POSSIBLE_DUPLICATE = "io.tracepipe.PossibleDuplicate"


class SchemaRegistry:
    """Every known schema version, found by fingerprint (decoding) or by record name (encoding)."""

    def __init__(self, versions: Iterable[SchemaVersion]) -> None:
        self._by_fingerprint: dict[int, SchemaVersion] = {}
        self._by_name: dict[str, dict[int, SchemaVersion]] = {}
        for version in versions:
            clash = self._by_fingerprint.get(version.fingerprint)
            if clash is not None:
                raise SchemaContractError(f"{version.path.name} and {clash.path.name} have the same fingerprint")
            self._by_fingerprint[version.fingerprint] = version
            self._by_name.setdefault(version.name, {})[version.version] = version

    @property
    def names(self) -> list[str]:
        """Full names of all record types, sorted."""
        return sorted(self._by_name)

    def versions(self, name: str) -> list[SchemaVersion]:
        """All versions of a record type, oldest first."""
        by_number = self._by_name[self._full_name(name)]
        return [by_number[number] for number in sorted(by_number)]

    def latest(self, name: str) -> SchemaVersion:
        """The newest version of a record type: what writers use and readers resolve to."""
        return self.versions(name)[-1]

    def get(self, name: str, version: int) -> SchemaVersion:
        """A specific version of a record type."""
        try:
            return self._by_name[self._full_name(name)][version]
        except KeyError as exc:
            raise UnknownSchemaError(f"no schema {self._full_name(name)} v{version} in schemas/") from exc

    def by_fingerprint(self, fingerprint: int) -> SchemaVersion:
        """The schema version a payload was written with."""
        try:
            return self._by_fingerprint[fingerprint]
        except KeyError as exc:
            raise UnknownSchemaError(f"unknown writer schema fingerprint {fingerprint:#018x}") from exc

    def _full_name(self, name: str) -> str:
        full = full_name(str(name), NAMESPACE)
        if full not in self._by_name:
            raise UnknownSchemaError(f"no record type {full} in schemas/ (known: {', '.join(self.names)})")
        return full


def load_registry(schema_dir: Path | None = None) -> SchemaRegistry:
    """Load every .avsc file of `schema_dir` (default: the repo's schemas/ folder)."""
    directory = schema_dir or SCHEMAS_DIR
    paths = sorted(directory.glob("*.avsc"))
    if not paths:
        raise SchemaContractError(f"no .avsc files in {directory}")
    return SchemaRegistry(load_schema_file(path) for path in paths)


@functools.cache
def default_registry() -> SchemaRegistry:
    """The repo's schemas, parsed once per process (the only cached state of the codec)."""
    return load_registry()


_LOGICAL_SAMPLES = {
    "date": date(2024, 5, 2),
    "timestamp-millis": datetime(2024, 5, 3, 14, 30, 15, 123000, tzinfo=UTC),
}
_PRIMITIVE_SAMPLES = {
    "null": None,
    "boolean": True,
    "int": 7,
    "long": 2**40,
    "float": 1.5,
    "double": 19.43,
    "bytes": b"\x00\xff",
    "string": "muestra",
}


def sample_datum(version: SchemaVersion) -> dict[str, Any]:
    """A datum valid for `version` with every optional value filled in, to exercise each field."""
    datum: dict[str, Any] = _sample(version.avro_schema)
    return datum


def _sample(schema: avro.schema.Schema) -> Any:
    logical = schema.props.get("logicalType")
    if logical in _LOGICAL_SAMPLES:
        return _LOGICAL_SAMPLES[logical]
    if isinstance(schema, avro.schema.RecordSchema):
        return {f.name: _sample(f.type) for f in schema.fields}
    if isinstance(schema, avro.schema.UnionSchema):
        return _sample(schema.schemas[-1])  # the non-null branch
    if isinstance(schema, avro.schema.EnumSchema):
        return schema.symbols[-1]
    if isinstance(schema, avro.schema.ArraySchema):
        return [_sample(schema.items)]
    if isinstance(schema, avro.schema.MapSchema):
        return {"clave": _sample(schema.values)}
    if isinstance(schema, avro.schema.FixedSchema):
        return bytes(schema.size)
    return _PRIMITIVE_SAMPLES[schema.type]


def check_compatibility(registry: SchemaRegistry | None = None) -> list[str]:
    """Problems (empty list = OK) with the latest reader of each record reading data of every older version.

    Checked twice: by avro's schema-compatibility rules, and by writing a sample datum with the old
    schema and reading it back with both libraries' resolving readers.
    """
    registry = registry or default_registry()
    problems: list[str] = []
    for name in registry.names:
        reader = registry.latest(name)
        for writer in registry.versions(name)[:-1]:
            problems += _rule_problems(reader, writer) + _round_trip_problems(writer, reader)
    return problems


def _rule_problems(reader: SchemaVersion, writer: SchemaVersion) -> list[str]:
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]  # avro ships no annotations here
    result = checker.get_compatibility(reader.avro_schema, writer.avro_schema)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    details = "; ".join(sorted(result.messages)) or "incompatible"
    return [f"{reader.label} cannot read {writer.label}: {details} at {', '.join(sorted(result.locations))}"]


def _round_trip_problems(writer: SchemaVersion, reader: SchemaVersion) -> list[str]:
    sample = sample_datum(writer)
    body = LIBRARIES["avro"].write(writer, sample)
    problems = []
    for library in LIBRARIES.values():
        try:
            decoded = library.read(body, writer, reader)
        except Exception as exc:  # any failure is the finding being reported
            problems.append(f"{library.name}: {reader.label} failed to read {writer.label} data: {exc!r}")
            continue
        if not _kept(sample, decoded):
            problems.append(f"{library.name}: {reader.label} changed values of {writer.label} data")
    return problems


def _kept(written: Any, read: Any) -> bool:
    """Whether every value the reader still has a field for survived resolution unchanged."""
    if isinstance(written, dict) and isinstance(read, dict):
        return all(_kept(written[key], read[key]) for key in written.keys() & read.keys())
    if isinstance(written, list) and isinstance(read, list):
        return len(written) == len(read) and all(map(_kept, written, read))
    return bool(written == read)


def check_contract(registry: SchemaRegistry | None = None) -> list[str]:
    """Every schema check (docs, namespace, copied types, compatibility), for `tracepipe schemas check`."""
    registry = registry or default_registry()
    every_file = [(v.path.name, v.definition) for name in registry.names for v in registry.versions(name)]
    latest_files = [(v.path.name, v.definition) for v in map(registry.latest, registry.names)]
    return documentation_problems(every_file, NAMESPACE) + drift_problems(latest_files) + check_compatibility(registry)
