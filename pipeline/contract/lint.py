"""House rules for schemas/*.avsc that Avro itself does not enforce: docs everywhere, no drifting copies.

Each .avsc file is self-contained, so shared types (Priority, Hop, FirearmSummary...) are copied between
files; these checks catch a copy edited in one file and not the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pipeline.contract.fingerprint import NAMED_TYPES, full_name

SchemaFile = tuple[str, Mapping[str, Any]]  # (file name, parsed JSON definition)


def undocumented(schema: Any, where: str = "") -> list[str]:
    """Paths (`Record.field`) of named types and fields in `schema` that lack a `doc`."""
    if isinstance(schema, list):
        return [missing for branch in schema for missing in undocumented(branch, where)]
    if not isinstance(schema, dict):
        return []
    missing: list[str] = []
    if schema.get("type") in NAMED_TYPES:
        where = f"{where}{schema['name']}"
        if not schema.get("doc"):
            missing.append(where)
    for child in schema.get("fields", []):
        if not child.get("doc"):
            missing.append(f"{where}.{child['name']}")
        missing += undocumented(child["type"], f"{where}.{child['name']}:")
    for key in ("items", "values", "type"):
        if isinstance(schema.get(key), dict | list):
            missing += undocumented(schema[key], where)
    return missing


def documentation_problems(files: Iterable[SchemaFile], namespace: str) -> list[str]:
    """Files outside `namespace` and every record, enum or field without a `doc`."""
    problems: list[str] = []
    for file_name, definition in files:
        if definition.get("namespace") != namespace:
            problems.append(f"{file_name}: namespace must be {namespace}")
        problems += [f"{file_name}: {where} has no doc" for where in undocumented(definition)]
    return problems


def named_definitions(schema: Any, namespace: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(full name, definition minus `namespace`) of every named type defined in `schema`, outermost first."""
    if isinstance(schema, list):
        return [found for branch in schema for found in named_definitions(branch, namespace)]
    if not isinstance(schema, dict):
        return []
    found = []
    if schema.get("type") in NAMED_TYPES:
        name = full_name(schema["name"], schema.get("namespace", namespace))
        namespace = name.rpartition(".")[0]
        found.append((name, {key: value for key, value in schema.items() if key != "namespace"}))
    children = [f["type"] for f in schema.get("fields", [])] + [schema.get(k) for k in ("items", "values", "type")]
    for child in children:
        if isinstance(child, dict | list):
            found += named_definitions(child, namespace)
    return found


def drift_problems(files: Iterable[SchemaFile]) -> list[str]:
    """Named types defined in several files whose definitions (docs and defaults included) differ."""
    seen: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    for file_name, definition in files:
        for name, named in named_definitions(definition):
            text = json.dumps(named, sort_keys=True)
            first_file, first_text = seen.setdefault(name, (file_name, text))
            if first_text != text:
                problems.append(f"{name} differs between {first_file} and {file_name}")
    return problems
