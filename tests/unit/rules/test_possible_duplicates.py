from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalize import serial_edit_distance_one
from pipeline.rules.possible_duplicates import (
    IndexedSerial,
    NeighbourhoodIndex,
    close_in_time_and_place,
    family_key,
    link_id,
    match_bucket,
    neighbourhood,
    serial_key,
)


def entry(trace, serial, day=1, state="14", lat=None, lon=None, caliber="9MM", model="G19"):
    return IndexedSerial(trace, serial, model, caliber, date(2026, 10, day), state, lat, lon)


serials = st.text(alphabet="ABC0123456789", min_size=2, max_size=10)


@given(serials, st.data())
def test_every_one_edit_pair_shares_a_neighbourhood_key(serial, data):
    kind = data.draw(st.sampled_from(["sub", "ins", "del", "swap"]))
    i = data.draw(st.integers(0, len(serial) - 1))
    ch = data.draw(st.sampled_from("XYZ9"))
    if kind == "sub":
        other = serial[:i] + ch + serial[i + 1:]
    elif kind == "ins":
        other = serial[:i] + ch + serial[i:]
    elif kind == "del":
        other = serial[:i] + serial[i + 1:]
    else:
        j = min(i + 1, len(serial) - 1)
        other = serial[:i] + serial[j] + serial[i + 1:j] + serial[i] + serial[j + 1:] if j > i else serial
    if serial_edit_distance_one(serial, other):
        assert set(neighbourhood(serial)) & set(neighbourhood(other))


def test_scope_is_the_maker():
    assert family_key("GLOCK") == "GLOCK"
    assert family_key(None) is None


def test_model_compared_only_when_both_known():
    bucket, _ = match_bucket([], entry("T1", "ABC123", model=None))
    assert match_bucket(bucket, entry("T2", "ABC124"))[1] == ["T1"]
    bucket, _ = match_bucket([], entry("T1", "ABC123", model="G17"))
    assert match_bucket(bucket, entry("T2", "ABC124"))[1] == []


def test_caliber_compared_only_when_both_known():
    bucket, _ = match_bucket([], entry("T1", "ABC123", caliber=None))
    assert match_bucket(bucket, entry("T2", "ABC124"))[1] == ["T1"]
    bucket, _ = match_bucket([], entry("T1", "ABC123", caliber=".40SW"))
    assert match_bucket(bucket, entry("T2", "ABC124"))[1] == []


def test_close_in_time_and_place():
    assert close_in_time_and_place(entry("a", "X1"), entry("b", "X2", day=30))
    months_later = IndexedSerial("b", "X2", "G19", "9MM", date(2027, 3, 1), "14", None, None)
    assert not close_in_time_and_place(entry("a", "X1"), months_later)
    far = entry("b", "X2", state="08", lat=28.6, lon=-106.1)  # Chihuahua
    near = entry("c", "X3", state="10", lat=28.0, lon=-105.5)  # across the state line, ~90 km
    assert close_in_time_and_place(far, near)
    assert not close_in_time_and_place(entry("a", "X1", lat=20.6, lon=-103.3), far)


def test_match_bucket_links_and_is_idempotent():
    bucket, matches = match_bucket([], entry("T1", "ABC123"))
    assert matches == []
    bucket, matches = match_bucket(bucket, entry("T2", "ABC124", day=5))
    assert matches == ["T1"] and len(bucket) == 2
    again, matches_again = match_bucket(bucket, entry("T2", "ABC124", day=5))
    assert again == bucket and matches_again == ["T1"]
    assert link_id("T2", "T1") == link_id("T1", "T2")


def test_json_round_trip():
    e = entry("T1", "ABC123", lat=20.1, lon=-103.2)
    assert IndexedSerial.from_json(e.to_json()) == e


@given(st.lists(serials, min_size=1, max_size=30, unique=True), serials)
def test_the_index_finds_every_filed_serial_one_edit_away(filed, newcomer):
    index = NeighbourhoodIndex()
    for serial in filed:
        index.add(serial_key("GLOCK", serial))
    index.add(serial_key("SIG", newcomer))  # another maker's serial is never near
    near = index.near("GLOCK", newcomer)
    for serial in filed:
        if serial_edit_distance_one(serial, newcomer) or serial == newcomer:
            assert serial_key("GLOCK", serial) in near
    assert all(key.startswith("GLOCK|") for key in near)


def test_a_rebuilt_index_equals_the_one_filed_one_by_one():
    keys = [serial_key("GLOCK", serial) for serial in ("ABC123", "ABC124", "ABD123", "XYZ9")]
    one_by_one, rebuilt = NeighbourhoodIndex(), NeighbourhoodIndex()
    for key in keys + keys[:2]:  # filing again changes nothing
        one_by_one.add(key)
    rebuilt.add(serial_key("GLOCK", "STALE1"))
    rebuilt.rebuild(keys)
    for serial in ("ABC123", "ABC12", "XYZ", "STALE1"):
        assert one_by_one.near("GLOCK", serial) == rebuilt.near("GLOCK", serial)
