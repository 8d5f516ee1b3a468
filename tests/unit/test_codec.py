"""Single-object codec: round trips, agreement of the two Avro libraries, evolution, and garbage input."""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.bench.codec import run_codec_bench, sample_seizure_events
from pipeline.contract import codec
from pipeline.contract.libraries import LIBRARIES
from pipeline.contract.registry import Record, default_registry, sample_datum
from pipeline.contract.seizure_event import Firearm, Possessor, Priority, SeizureEvent
from pipeline.errors import CodecError, CorruptPayloadError, EncodeError, UnknownSchemaError

LIBRARY_NAMES = sorted(LIBRARIES)
REGISTRY = default_registry()
ALL_VERSIONS = [v for name in REGISTRY.names for v in REGISTRY.versions(name)]
SEIZURE_V1 = REGISTRY.get(Record.SEIZURE_EVENT, 1)
SEIZURE_V2 = REGISTRY.get(Record.SEIZURE_EVENT, 2)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ strategies

optional_text = st.none() | st.text(max_size=30)
millis_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))
coordinates = st.none() | st.floats(allow_nan=False)
firearms = st.fixed_dictionaries(
    {
        key: optional_text
        for key in ("manufacturer", "importer", "model", "caliber", "serial", "firearm_type", "country")
    }
)
possessors = st.none() | st.fixed_dictionaries(
    {"full_name": optional_text, "birth_date": st.none() | st.dates(), "sex": optional_text}
)
seizure_events = st.fixed_dictionaries(
    {
        "agency_id": st.text(max_size=20),
        "event_id": st.text(max_size=40),
        "reported_at": millis_datetimes,
        "recovery_date": st.dates(),
        "state": st.text(max_size=30),
        "municipality": optional_text,
        "latitude": coordinates,
        "longitude": coordinates,
        "crime_type": st.text(max_size=30),
        "priority": st.sampled_from(["ROUTINE", "URGENT"]),
        "firearm": firearms,
        "possessor": possessors,
        "notes": st.none() | st.text(max_size=200),
        "case_number": optional_text,
    }
)
valid_payloads = st.sampled_from(ALL_VERSIONS).map(lambda v: codec.encode(v, sample_datum(v))) | seizure_events.map(
    lambda datum: codec.encode(Record.SEIZURE_EVENT, datum)
)

# ------------------------------------------------------------------ round trips and agreement


@pytest.mark.parametrize("library", LIBRARY_NAMES)
@pytest.mark.parametrize("version", ALL_VERSIONS, ids=lambda v: v.path.name)
def test_every_schema_round_trips_a_full_sample(version, library):
    datum = sample_datum(version)
    payload = codec.encode(version, datum, library=library)
    assert payload[:2] == b"\xc3\x01"
    assert int.from_bytes(payload[2:10], "little") == version.fingerprint
    assert codec.decode(payload, version, library=library) == datum


@given(seizure_events)
@FUZZ
def test_seizure_events_round_trip_identically_in_both_libraries(datum):
    payloads = {name: codec.encode(Record.SEIZURE_EVENT, datum, library=name) for name in LIBRARY_NAMES}
    assert payloads["avro"] == payloads["fastavro"]
    for payload in payloads.values():
        for name in LIBRARY_NAMES:
            assert codec.decode(payload, Record.SEIZURE_EVENT, library=name) == datum


def test_realistic_events_encode_to_identical_bytes_and_cross_decode():
    for datum in sample_seizure_events(200):
        by_avro = codec.encode(Record.SEIZURE_EVENT, datum, library="avro")
        by_fastavro = codec.encode(Record.SEIZURE_EVENT, datum, library="fastavro")
        assert by_avro == by_fastavro
        assert codec.decode(by_avro, library="fastavro") == codec.decode(by_fastavro, library="avro") == datum


@pytest.mark.parametrize("library", LIBRARY_NAMES)
def test_v1_payloads_resolve_to_the_latest_reader_with_defaults(library):
    v1_datum = {k: v for k, v in sample_seizure_events(1)[0].items() if k != "case_number"}
    payload = codec.encode(SEIZURE_V1, v1_datum, library=library)
    assert codec.writer_schema(payload) is SEIZURE_V1
    assert codec.decode(payload, Record.SEIZURE_EVENT, library=library) == v1_datum | {"case_number": None}
    assert codec.decode(payload, library=library)["case_number"] is None  # default reader: latest version


@pytest.mark.parametrize("library", LIBRARY_NAMES)
def test_an_old_reader_ignores_fields_it_does_not_know(library):
    datum = sample_seizure_events(1)[0] | {"case_number": "CI-1/2024"}
    assert codec.decode(codec.encode(SEIZURE_V2, datum), SEIZURE_V1, library=library) == {
        k: v for k, v in datum.items() if k != "case_number"
    }


def test_fastavro_fills_in_defaults_and_avro_names_the_omitted_field():
    datum = {k: v for k, v in sample_seizure_events(1)[0].items() if k != "priority"}
    assert codec.decode(codec.encode(Record.SEIZURE_EVENT, datum, library="fastavro"))["priority"] == "ROUTINE"
    with pytest.raises(EncodeError, match=r"missing field\(s\) priority \(this writer does not fill in defaults\)"):
        codec.encode(Record.SEIZURE_EVENT, datum, library="avro")


# ------------------------------------------------------------------ errors


def test_encode_errors_name_the_field_but_never_its_value():
    datum = sample_seizure_events(1)[0] | {"possessor": {"full_name": 42, "birth_date": None, "sex": None}}
    for library in LIBRARY_NAMES:
        with pytest.raises(EncodeError, match="field possessor does not match") as caught:
            codec.encode(Record.SEIZURE_EVENT, datum, library=library)
        assert "42" not in str(caught.value)
        assert caught.value.__cause__ is not None
    with pytest.raises(EncodeError, match="unknown field.*serial_number"):
        codec.encode(Record.SEIZURE_EVENT, sample_seizure_events(1)[0] | {"serial_number": "X1"})
    with pytest.raises(EncodeError, match="missing field agency_id"):
        codec.encode(Record.SEIZURE_EVENT, {k: v for k, v in sample_seizure_events(1)[0].items() if k != "agency_id"})
    with pytest.raises(EncodeError, match="expected a mapping"):
        codec.encode(Record.SEIZURE_EVENT, ["not", "a", "record"])


def test_header_problems_are_reported_precisely():
    payload = codec.encode(Record.SEIZURE_EVENT, sample_seizure_events(1)[0])
    with pytest.raises(CorruptPayloadError, match="shorter than the 10-byte header"):
        codec.decode(payload[:9])
    with pytest.raises(CorruptPayloadError, match="not the Avro marker"):
        codec.decode(b"{}" + payload[2:])
    with pytest.raises(UnknownSchemaError, match="unknown writer schema fingerprint"):
        codec.decode(payload[:2] + bytes(8) + payload[10:])
    with pytest.raises(CorruptPayloadError, match="must be bytes"):
        codec.decode(None)
    with pytest.raises(UnknownSchemaError, match="not a io.tracepipe.DeadLetter"):
        codec.decode(payload, Record.DEAD_LETTER)
    with pytest.raises(CodecError, match="unknown Avro library"):
        codec.decode(payload, library="jackson")


@pytest.mark.parametrize("library", LIBRARY_NAMES)
def test_trailing_bytes_are_corruption(library):
    payload = codec.encode(Record.SEIZURE_EVENT, sample_seizure_events(1)[0])
    with pytest.raises(CorruptPayloadError, match="2 bytes left over"):
        codec.decode(payload + b"\x00\x00", library=library)


@pytest.mark.parametrize("library", LIBRARY_NAMES)
@given(garbage=st.binary(max_size=200))
@FUZZ
def test_random_bytes_raise_codec_error(library, garbage):
    with pytest.raises(CodecError):
        codec.decode(garbage, library=library)


@pytest.mark.parametrize("library", LIBRARY_NAMES)
@given(version=st.sampled_from(ALL_VERSIONS), body=st.binary(max_size=300))
@FUZZ
def test_random_bodies_behind_a_valid_header_decode_or_raise_codec_error(library, version, body):
    try:
        codec.decode(version.header + body, library=library)
    except CodecError:
        pass


@pytest.mark.parametrize("library", LIBRARY_NAMES)
@given(payload=valid_payloads, data=st.data())
@FUZZ
def test_truncated_payloads_raise_codec_error(library, payload, data):
    cut = data.draw(st.integers(min_value=0, max_value=len(payload) - 1))
    with pytest.raises(CodecError):
        codec.decode(payload[:cut], library=library)


@pytest.mark.parametrize("library", LIBRARY_NAMES)
@given(payload=valid_payloads, data=st.data())
@FUZZ
def test_bit_flipped_payloads_decode_or_raise_codec_error(library, payload, data):
    flips = data.draw(st.lists(st.integers(min_value=0, max_value=len(payload) * 8 - 1), min_size=1, max_size=4))
    damaged = bytearray(payload)
    for bit in flips:
        damaged[bit // 8] ^= 1 << (bit % 8)
    try:
        codec.decode(bytes(damaged), library=library)
    except CodecError:
        pass


# ------------------------------------------------------------------ typed model


def test_model_round_trips_through_the_codec():
    for datum in sample_seizure_events(50):
        event = SeizureEvent.from_avro(datum)
        assert event.to_avro() == datum
        assert SeizureEvent.from_avro(codec.decode(codec.encode(Record.SEIZURE_EVENT, event.to_avro()))) == event


def test_model_reads_v1_payloads_and_keeps_possessor_out_of_repr():
    v1 = {k: v for k, v in sample_seizure_events(1)[0].items() if k != "case_number"}
    v1["possessor"] = {"full_name": "María Pérez", "birth_date": None, "sex": "F"}
    event = SeizureEvent.from_avro(codec.decode(codec.encode(SEIZURE_V1, v1)))
    assert event.case_number is None
    assert event.possessor == Possessor(full_name="María Pérez", sex="F")
    assert "María" not in repr(event) and "María" not in str(event.possessor)
    assert event.key == (v1["agency_id"], v1["event_id"])


def test_model_refuses_naive_timestamps():
    with pytest.raises(ValueError, match="timezone-aware"):
        SeizureEvent(
            agency_id="FGR",
            event_id="1",
            reported_at=datetime(2024, 1, 1),  # noqa: DTZ001 - the point of the test
            recovery_date=datetime(2024, 1, 1, tzinfo=UTC).date(),
            state="Sonora",
            crime_type="homicidio",
            firearm=Firearm(manufacturer="Glock"),
            priority=Priority.URGENT,
        )


# ------------------------------------------------------------------ benchmark


def test_benchmark_reports_each_library_and_the_default_is_the_fastest():
    rows = run_codec_bench(300)
    assert {(row["library"], row["op"]) for row in rows} == {
        (lib, op) for lib in LIBRARY_NAMES for op in ("encode", "decode")
    }
    speed = {(row["library"], row["op"]): row["records_per_s"] for row in rows}
    for op in ("encode", "decode"):
        assert speed[(codec.DEFAULT_LIBRARY, op)] == max(speed[(lib, op)] for lib in LIBRARY_NAMES)
