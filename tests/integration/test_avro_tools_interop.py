"""Interop with Java avro-tools: an independent Avro implementation reads our bytes and we read its bytes."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest

from pipeline.contract import codec
from pipeline.contract.avro_tools import ensure_avro_tools, run_avro_tools
from pipeline.contract.registry import Record, default_registry
from pipeline.errors import PrerequisiteMissing

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REGISTRY = default_registry()
SEIZURE_V1 = REGISTRY.get(Record.SEIZURE_EVENT, 1)
SEIZURE_V2 = REGISTRY.get(Record.SEIZURE_EVENT, 2)

EVENT = {
    "agency_id": "FGE-CHIH",
    "event_id": "CHIH-2024-000731",
    "reported_at": datetime(2024, 5, 3, 14, 30, 15, 123000, tzinfo=UTC),
    "recovery_date": date(2024, 5, 2),
    "state": "Chihuahua",
    "municipality": "Ciudad Juárez",
    "latitude": 31.6904,
    "longitude": -106.4245,
    "crime_type": "portación ilegal de arma",
    "priority": "URGENT",
    "firearm": {
        "manufacturer": "Century Arms",
        "importer": "Century International Arms",
        "model": "WASR-10",
        "caliber": "7.62x39",
        "serial": "1-AB4471-09",
        "firearm_type": "rifle",
        "country": "Rumania",
    },
    "possessor": {"full_name": "Persona Ficticia", "birth_date": date(1991, 2, 14), "sex": None},
    "notes": None,
    "case_number": "CI-4471/2024",
}


def _avro_json(event):
    """EVENT in Avro's JSON encoding, as Java writes it: unions tagged by branch, logical types as numbers."""

    def tagged(branch, value):
        return None if value is None else {branch: value}

    firearm = {key: tagged("string", value) for key, value in event["firearm"].items()}
    possessor = event["possessor"]
    return {
        "agency_id": event["agency_id"],
        "event_id": event["event_id"],
        "reported_at": (event["reported_at"] - EPOCH) // timedelta(milliseconds=1),
        "recovery_date": (event["recovery_date"] - EPOCH.date()).days,
        "state": event["state"],
        "municipality": tagged("string", event["municipality"]),
        "latitude": tagged("double", event["latitude"]),
        "longitude": tagged("double", event["longitude"]),
        "crime_type": event["crime_type"],
        "priority": event["priority"],
        "firearm": firearm,
        "possessor": {
            "io.tracepipe.Possessor": {
                "full_name": tagged("string", possessor["full_name"]),
                "birth_date": tagged("int", (possessor["birth_date"] - EPOCH.date()).days),
                "sex": tagged("string", possessor["sex"]),
            }
        },
        "notes": tagged("string", event["notes"]),
        **({"case_number": tagged("string", event["case_number"])} if "case_number" in event else {}),
    }


@pytest.fixture(scope="module")
def avro_tools(settings):
    """Settings with the avro-tools jar in place, fetched by Maven on first use (never skipped)."""
    ensure_avro_tools(settings)
    return settings


def test_fingerprints_match_java(avro_tools):
    versions = [v for name in REGISTRY.names for v in REGISTRY.versions(name)]

    def java_fingerprint(version):  # one JVM per file: the tool refuses two files defining the same name
        return run_avro_tools(avro_tools, "fingerprint", str(version.path)).decode().split()[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        java = list(pool.map(java_fingerprint, versions))
    assert java == [v.header[2:].hex() for v in versions]


def test_java_reads_the_body_we_encode(avro_tools, tmp_path):
    payload = codec.encode(Record.SEIZURE_EVENT, EVENT)
    body = tmp_path / "event.bin"
    body.write_bytes(payload[codec.HEADER_SIZE :])
    out = run_avro_tools(avro_tools, "fragtojson", "--no-pretty", "--schema-file", str(SEIZURE_V2.path), str(body))
    assert json.loads(out.decode("utf-8")) == _avro_json(EVENT)


@pytest.mark.parametrize("version", [SEIZURE_V1, SEIZURE_V2], ids=["v1", "v2"])
def test_we_read_what_java_encodes(avro_tools, tmp_path, version):
    event = EVENT if version is SEIZURE_V2 else {k: v for k, v in EVENT.items() if k != "case_number"}
    source = tmp_path / "event.json"
    source.write_text(json.dumps(_avro_json(event), ensure_ascii=False), encoding="utf-8")
    java_body = run_avro_tools(avro_tools, "jsontofrag", "--schema-file", str(version.path), str(source))
    assert java_body == codec.encode(version, event)[codec.HEADER_SIZE :]  # byte-identical to ours
    for library in ("avro", "fastavro"):
        decoded = codec.decode(version.header + java_body, Record.SEIZURE_EVENT, library=library)
        assert decoded == event | {"case_number": event.get("case_number")}
        assert codec.decode_body(java_body, version, version, library=library) == event


def test_missing_java_or_maven_is_reported_as_a_prerequisite(settings, tmp_path):
    with pytest.raises(PrerequisiteMissing, match="no-such-java"):
        ensure_avro_tools(settings.with_changes(java="no-such-java", state_dir=tmp_path))
    with pytest.raises(PrerequisiteMissing, match="no-such-mvn"):
        ensure_avro_tools(settings.with_changes(mvn="no-such-mvn", state_dir=tmp_path))
