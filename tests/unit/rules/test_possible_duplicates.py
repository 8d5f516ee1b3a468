from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalize import serial_edit_distance_one
from pipeline.rules.possible_duplicates import (
    IndexedSerial,
    close_in_time_and_place,
    family_key,
    link_id,
    match_bucket,
    neighbourhood,
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
