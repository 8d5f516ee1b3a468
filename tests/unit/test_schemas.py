"""The Avro contract: schema files, fingerprints, registry, and the compatibility and house-rule checks."""

import json
import shutil
from pathlib import Path

import avro.schema
import fastavro.schema
import pytest

from pipeline.contract.fingerprint import PRIMITIVES, parsing_canonical_form, rabin_fingerprint64, schema_fingerprint
from pipeline.contract.registry import (
    Record,
    check_compatibility,
    check_contract,
    default_registry,
    load_registry,
)
from pipeline.contract.schema_file import SchemaContractError
from pipeline.errors import UnknownSchemaError
from pipeline.paths import SCHEMAS_DIR

U64 = 2**64

# Published vectors from Apache Avro's share/test/data/schema-tests.txt (canonical form, signed fingerprint).
SPEC_VECTORS = [
    ('"null"', 7195948357588979594),
    ('"boolean"', -6970731678124411036),
    ('"int"', 8247732601305521295),
    ('"long"', -3434872931120570953),
    ('["int","boolean"]', 5392556393470105090),
    ('{"name":"foo","type":"fixed","size":15}', 1756455273707447556),
    ('{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}', 7843277075252814651),
    (
        '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
        -1759257747318642341,
    ),
]


@pytest.fixture
def schema_copy(tmp_path: Path) -> Path:
    """A private copy of schemas/ that a test may break."""
    target = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, target)
    return target


def test_every_record_type_is_in_the_registry_with_its_versions():
    registry = default_registry()
    assert registry.names == sorted(Record)
    assert [v.version for v in registry.versions(Record.SEIZURE_EVENT)] == [1, 2]
    assert registry.latest("SeizureEvent") is registry.get(Record.SEIZURE_EVENT, 2)
    for name in registry.names:
        for version in registry.versions(name):
            assert registry.by_fingerprint(version.fingerprint) is version


def test_the_shipped_schemas_pass_every_contract_check():
    assert check_contract() == []


def test_field_names_other_modules_code_against():
    latest = default_registry().latest
    assert list(latest(Record.SEIZURE_EVENT).avro_schema.fields_dict) == [
        "agency_id", "event_id", "reported_at", "recovery_date", "state", "municipality", "latitude",
        "longitude", "crime_type", "priority", "firearm", "possessor", "notes", "case_number",
    ]  # fmt: skip
    assert "case_number" not in default_registry().get(Record.SEIZURE_EVENT, 1).avro_schema.fields_dict
    enriched = latest(Record.ENRICHED_SEIZURE).avro_schema.fields_dict
    assert enriched["event"].type.fullname == Record.SEIZURE_EVENT
    assert enriched["firearm_type"].type.symbols[-1] == "UNKNOWN"
    result = latest(Record.TRACE_RESULT).avro_schema.fields_dict
    assert result["reason"].type.symbols[0] == "NONE"
    assert {"purchaser_id", "time_to_crime_days", "first_sale_date", "source_state"} <= result.keys()


@pytest.mark.parametrize(("canonical", "signed"), SPEC_VECTORS)
def test_fingerprint_matches_the_avro_spec_test_vectors(canonical, signed):
    assert parsing_canonical_form(json.loads(canonical)) == canonical
    assert rabin_fingerprint64(canonical.encode()) == signed % U64


def test_canonical_form_follows_the_spec_transformations():
    schema = {
        "type": "error",
        "name": "Outer",
        "namespace": "a.b",
        "doc": "stripped",
        "aliases": ["stripped"],
        "fields": [
            {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}, "default": 0},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["X"], "default": "X"}},
            {"name": "again", "type": "Kind"},
            {"name": "other", "type": {"type": "fixed", "name": "c.Hash", "size": 4}},
            {"name": "tags", "type": {"type": "map", "values": {"type": "string"}}},
        ],
    }
    assert parsing_canonical_form(schema) == (
        '{"name":"a.b.Outer","type":"record","fields":['
        '{"name":"when","type":"long"},'
        '{"name":"kind","type":{"name":"a.b.Kind","type":"enum","symbols":["X"]}},'
        '{"name":"again","type":"a.b.Kind"},'
        '{"name":"other","type":{"name":"c.Hash","type":"fixed","size":4}},'
        '{"name":"tags","type":{"type":"map","values":"string"}}]}'
    )


def test_fingerprints_agree_with_fastavro_and_python_avro():
    for name in default_registry().names:
        for version in default_registry().versions(name):
            assert version.canonical_form == fastavro.schema.to_parsing_canonical_form(version.definition)
            fastavro_hex = fastavro.schema.fingerprint(version.canonical_form, "CRC-64-AVRO")
            assert version.header[2:].hex() == fastavro_hex
            # avro 1.12.2 writes logical-typed primitives as {"type": "long"} in its canonical form, against
            # the spec (Java and fastavro write "long"), so compare on the schema with those spelt "long".
            plain = _primitives_as_names(version.definition)
            avro_bytes = avro.schema.parse(json.dumps(plain)).fingerprint("CRC-64-AVRO")
            assert int.from_bytes(avro_bytes, "little") == version.fingerprint == schema_fingerprint(plain)


def _primitives_as_names(schema):
    """The schema with every {"type": "<primitive>", ...} (e.g. a logical type) written as "<primitive>"."""
    if isinstance(schema, list):
        return [_primitives_as_names(branch) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    if schema["type"] in PRIMITIVES:
        return schema["type"]
    plain = {key: _primitives_as_names(value) for key, value in schema.items() if key in ("type", "items", "values")}
    if "fields" in schema:
        plain["fields"] = [field | {"type": _primitives_as_names(field["type"])} for field in schema["fields"]]
    return schema | plain


def test_unknown_names_and_fingerprints_raise_unknown_schema():
    registry = default_registry()
    with pytest.raises(UnknownSchemaError, match="io.tracepipe.Nope"):
        registry.latest("Nope")
    with pytest.raises(UnknownSchemaError, match="v9"):
        registry.get(Record.SEIZURE_EVENT, 9)
    with pytest.raises(UnknownSchemaError, match="fingerprint"):
        registry.by_fingerprint(12345)


def test_file_names_must_match_the_record_and_carry_a_version(schema_copy):
    (schema_copy / "seizure_event.v1.avsc").rename(schema_copy / "seizure_event.avsc")
    with pytest.raises(SchemaContractError, match=r"<record_name>\.v<N>\.avsc"):
        load_registry(schema_copy)
    (schema_copy / "seizure_event.avsc").rename(schema_copy / "dead_letter.v7.avsc")
    with pytest.raises(SchemaContractError, match="name it seizure_event"):
        load_registry(schema_copy)


def test_invalid_avro_is_reported_with_the_file_name(schema_copy):
    (schema_copy / "dead_letter.v2.avsc").write_text('{"type": "record", "name": "DeadLetter", "fields": [{}]}')
    with pytest.raises(SchemaContractError, match="dead_letter.v2.avsc"):
        load_registry(schema_copy)


def _edit(path: Path, edit) -> None:
    definition = json.loads(path.read_text())
    edit(definition)
    path.write_text(json.dumps(definition))


def test_a_new_version_that_old_data_cannot_satisfy_is_reported(schema_copy):
    def add_required_field(definition):
        definition["fields"].append({"name": "required_now", "type": "string", "doc": "No default."})

    v2 = schema_copy / "seizure_event.v2.avsc"
    shutil.copy(v2, schema_copy / "seizure_event.v3.avsc")
    _edit(schema_copy / "seizure_event.v3.avsc", add_required_field)
    problems = check_compatibility(load_registry(schema_copy))
    assert any("v3 cannot read io.tracepipe.SeizureEvent v1" in p and "required_now" in p for p in problems)
    assert any(p.startswith("avro: ") and "failed to read io.tracepipe.SeizureEvent v2" in p for p in problems)
    assert any(p.startswith("fastavro: ") for p in problems)


def test_a_compatible_new_version_passes(schema_copy):
    def add_optional_field(definition):
        definition["fields"].append({"name": "extra", "type": ["null", "long"], "default": None, "doc": "New."})

    shutil.copy(schema_copy / "dead_letter.v1.avsc", schema_copy / "dead_letter.v2.avsc")
    _edit(schema_copy / "dead_letter.v2.avsc", add_optional_field)
    assert check_contract(load_registry(schema_copy)) == []


def test_missing_docs_and_drifting_copies_of_shared_types_are_reported(schema_copy):
    def strip_a_doc(definition):
        del definition["fields"][0]["doc"]

    def change_priority_doc(definition):
        definition["fields"][2]["type"]["doc"] = "Edited in one file only."

    _edit(schema_copy / "metrics_snapshot.v1.avsc", strip_a_doc)
    _edit(schema_copy / "trace_in_flight.v1.avsc", change_priority_doc)
    problems = check_contract(load_registry(schema_copy))
    assert "metrics_snapshot.v1.avsc: MetricsSnapshot.processor has no doc" in problems
    assert any(p.startswith("io.tracepipe.Priority differs between") for p in problems)
