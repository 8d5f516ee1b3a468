"""Schema fingerprints per the Avro specification: Parsing Canonical Form, then CRC-64-AVRO (Rabin).

Implemented here rather than borrowed so the single-object header does not depend on one library's
reading of the spec; tests cross-check it against avro, fastavro and Java avro-tools.
"""

from __future__ import annotations

import json
from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED_TYPES = frozenset({"record", "error", "enum", "fixed"})
_CANONICAL_KEYS = ("name", "type", "fields", "symbols", "items", "values", "size")
_RABIN_EMPTY = 0xC15D213AA4D7A795


def _rabin_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ (_RABIN_EMPTY if value & 1 else 0)
        table.append(value)
    return tuple(table)


_RABIN_TABLE = _rabin_table()


def rabin_fingerprint64(data: bytes) -> int:
    """CRC-64-AVRO fingerprint of `data`, unsigned (single-object headers store it little-endian)."""
    value = _RABIN_EMPTY
    for byte in data:
        value = (value >> 8) ^ _RABIN_TABLE[(value ^ byte) & 0xFF]
    return value


def full_name(name: str, namespace: str) -> str:
    """Avro full name: a dotted name stands alone, a short one takes the enclosing namespace."""
    return name if "." in name or not namespace else f"{namespace}.{name}"


def parsing_canonical_form(schema: Any) -> str:
    """Parsing Canonical Form of a schema given as parsed JSON: only what decides how bytes are read."""
    return json.dumps(_canonical(schema, "", set()), separators=(",", ":"), ensure_ascii=False)


def schema_fingerprint(schema: Any) -> int:
    """CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form."""
    return rabin_fingerprint64(parsing_canonical_form(schema).encode("utf-8"))


def _canonical(schema: Any, namespace: str, defined: set[str]) -> Any:
    if isinstance(schema, list):
        return [_canonical(branch, namespace, defined) for branch in schema]
    if isinstance(schema, str):
        return schema if schema in PRIMITIVES else full_name(schema, namespace)
    type_ = schema["type"]
    if type_ in PRIMITIVES or not isinstance(type_, str):
        return _canonical(type_, namespace, defined)  # {"type": "int", "logicalType": ...} is just "int"
    out: dict[str, Any] = {}
    if type_ in NAMED_TYPES:
        name = full_name(schema["name"], schema.get("namespace", namespace))
        if name in defined:
            return name
        defined.add(name)
        namespace = name.rpartition(".")[0]
        out["name"] = name
    out["type"] = "record" if type_ == "error" else type_
    if "fields" in schema:
        out["fields"] = [
            {"name": f["name"], "type": _canonical(f["type"], namespace, defined)} for f in schema["fields"]
        ]
    for key in ("symbols", "size"):
        if key in schema:
            out[key] = schema[key]
    for key in ("items", "values"):
        if key in schema:
            out[key] = _canonical(schema[key], namespace, defined)
    return {key: out[key] for key in _CANONICAL_KEYS if key in out}
