"""Synthetic scenario: deterministic, realistic shares, and truth the normalisers can recover exactly."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalize import (
    firearm_key,
    normalize_caliber,
    normalize_country,
    normalize_crime,
    normalize_firearm_type,
    normalize_importer,
    normalize_maker,
    normalize_model,
    normalize_serial,
    normalize_state,
    serial_edit_distance_one,
)
from pipeline.producers.scenario import (
    DEFAULT_START,
    ImperfectionRates,
    InvalidReason,
    TraceFate,
    TruthKind,
    generate_firearms,
    generate_scenario,
    read_jsonl,
    read_scenario,
    write_jsonl,
    write_scenario,
)
from pipeline.producers.scenario.agencies import FGR, state_of_agency
from pipeline.producers.scenario.firearms import serial_key
from pipeline.vocab import FirearmType, SerialScope, load_vocabulary

VOCAB = load_vocabulary()
HANDGUNS = {FirearmType.PISTOL, FirearmType.REVOLVER}


@lru_cache(maxsize=8)
def scenario(days: int, seed: int, rates: ImperfectionRates | None = None):
    return generate_scenario(days, seed, rates=rates)


def valid_pairs(s):
    """(event, truth) for every event that is not INVALID."""
    return [(e, t) for e, t in zip(s.events, s.truth, strict=True) if t.kind is not TruthKind.INVALID]


def sent_as(s, truth):
    """The kind of the event a resend copies (a resend is whatever it resends)."""
    return s.truth[truth.duplicate_of].kind if truth.kind is TruthKind.EXACT_RESEND else truth.kind


# --- determinism -----------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path):
    first, second = generate_scenario(5, seed=7), generate_scenario(5, seed=7)
    write_scenario(first, tmp_path / "a")
    write_scenario(second, tmp_path / "b")
    for name in ("events.jsonl", "truth.csv", "firearms.csv", "scenario.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_different_seeds_differ():
    assert generate_scenario(2, seed=1).events != generate_scenario(2, seed=2).events


def test_the_global_random_is_left_alone():
    import random

    random.seed(123)
    expected = random.random()
    random.seed(123)
    generate_scenario(1, seed=5)
    assert random.random() == expected


def test_catalogue_is_the_one_generate_firearms_gives():
    s = scenario(10, 3)
    assert s.firearms == generate_firearms(len(s.firearms), 3, as_of=s.start)


# --- shape of the events ---------------------------------------------------------------------------------

EVENT_KEYS = [
    "agency_id",
    "event_id",
    "reported_at",
    "recovery_date",
    "state",
    "municipality",
    "latitude",
    "longitude",
    "crime_type",
    "priority",
    "firearm",
    "possessor",
    "notes",
    "case_number",
]
FIREARM_KEYS = ["manufacturer", "importer", "model", "caliber", "serial", "firearm_type", "country"]


def test_events_have_the_seizure_event_shape():
    s = scenario(10, 1)
    assert len(s.events) == len(s.truth)
    for event, truth in zip(s.events, s.truth, strict=True):
        assert truth.index == s.truth.index(truth)
        if isinstance(event, bytes):
            assert truth.invalid_reason is InvalidReason.GARBAGE
            continue
        assert list(event) == EVENT_KEYS
        assert list(event["firearm"]) == FIREARM_KEYS
        assert event["reported_at"].tzinfo is not None and event["reported_at"].utcoffset() == timedelta(0)
        assert event["reported_at"].microsecond % 1000 == 0  # Avro timestamp-millis loses nothing
        assert type(event["recovery_date"]) is date
        assert event["priority"] in ("ROUTINE", "URGENT")
        if event["possessor"] is not None:
            assert set(event["possessor"]) == {"full_name", "birth_date", "sex"}
        assert (event["latitude"] is None) == (event["longitude"] is None)


def test_reported_at_never_goes_back():
    s = scenario(10, 1)
    stamps = [e["reported_at"] for e in s.events if isinstance(e, dict)]
    assert stamps == sorted(stamps)


def test_agencies_are_fgr_or_accredited_states():
    s = scenario(10, 1)
    for truth in s.truth:
        assert truth.agency_id == FGR or state_of_agency(truth.agency_id) is not None
    assert "FGE-GRO" not in {t.agency_id for t in s.truth}  # Guerrero is not accredited
    with pytest.raises(ValueError):
        state_of_agency("FGE-GRO")


def test_state_agencies_report_their_own_state_and_coordinates_lie_near_it():
    for event, truth in valid_pairs(scenario(10, 1)):
        if truth.agency_id != FGR and truth.kind is TruthKind.NEW_FIREARM:
            assert truth.state_code == state_of_agency(truth.agency_id).code
        if event["latitude"] is not None:
            state = VOCAB.state(truth.state_code)
            assert (
                min(
                    abs(event["latitude"] - m.latitude) + abs(event["longitude"] - m.longitude)
                    for m in state.municipalities
                )
                < 0.2
            )


def test_event_ids_are_unique_per_agency_except_resends():
    ids = Counter(
        (t.agency_id, t.event_id) for t in scenario(20, 2).truth if t.kind is not TruthKind.EXACT_RESEND and t.event_id
    )
    assert ids.most_common(1)[0][1] == 1


# --- shares ----------------------------------------------------------------------------------------------


def test_shares_on_a_large_scenario():
    s = scenario(120, 11)
    n = len(s.events)
    assert 70 * 120 * 0.95 < n < 70 * 120 * 1.08
    kinds = Counter(t.kind for t in s.truth)
    assert kinds[TruthKind.REPEAT_SIGHTING] / n == pytest.approx(0.06, abs=0.012)
    assert kinds[TruthKind.EXACT_RESEND] / n == pytest.approx(0.03, abs=0.008)
    assert kinds[TruthKind.SERIAL_TYPO_SIGHTING] / n == pytest.approx(0.02, abs=0.006)
    assert kinds[TruthKind.INVALID] / n == pytest.approx(0.03, abs=0.008)
    assert len({t.invalid_reason for t in s.truth if t.invalid_reason}) == len(InvalidReason)

    valid = valid_pairs(s)
    urgent = sum(e["priority"] == "URGENT" for e, _ in valid) / len(valid)
    assert urgent == pytest.approx(0.05, abs=0.012)
    agencies = Counter(t.agency_id for _, t in valid)
    assert agencies.most_common(1)[0][0] == FGR
    assert {"FGE-JAL", "FGE-GUA", "FGE-CHH", "FGE-BCN"} <= {a for a, _ in agencies.most_common(8)}


def test_firearm_shares_in_the_catalogue():
    guns = generate_firearms(20_000, seed=4)
    n = len(guns)
    types = Counter(g.firearm_type for g in guns)
    assert sum(types[t] for t in HANDGUNS) / n == pytest.approx(0.63, abs=0.02)
    assert (types[FirearmType.RIFLE] + types[FirearmType.SHOTGUN]) / n == pytest.approx(0.35, abs=0.02)
    fates = Counter(g.fate for g in guns)
    assert fates[TraceFate.SERIAL_OBLITERATED] / n == pytest.approx(0.04, abs=0.005)
    us_sourced = [
        g
        for g in guns
        if g.fate not in (TraceFate.FOREIGN_NO_US_IMPORT, TraceFate.SERIAL_OBLITERATED, TraceFate.INSUFFICIENT_DATA)
    ]
    assert len(us_sourced) / n == pytest.approx(0.70, abs=0.03)
    not_found = sum(not g.fate.purchaser_found for g in us_sourced) / len(us_sourced)
    assert not_found == pytest.approx(0.36, abs=0.03)
    states = Counter(g.source_state for g in guns if g.source_state)
    total = sum(states.values())
    assert states["TX"] / total == pytest.approx(0.43, abs=0.02)
    assert states["AZ"] / total == pytest.approx(0.22, abs=0.02)
    assert states["CA"] / total == pytest.approx(0.09, abs=0.015)
    top = Counter((g.maker, g.caliber) for g in guns).most_common(3)
    assert top[0][0] == ("GLOCK", "9MM")
    assert {("CENTURY_ARMS", "7.62X39"), ("CUGIR", "7.62X39"), ("TAURUS", "9MM")} & {k for k, _ in top[1:]}


def test_events_per_day_is_configurable():
    assert len(generate_scenario(10, 1, events_per_day=5).events) < 100
    assert generate_scenario(3, 1, events_per_day=0).events == []


# --- the normalisers recover the truth -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_every_generated_spelling_normalises_back_to_the_truth(seed):
    s = scenario(8, 100 + seed)
    guns = {g.firearm_id: g for g in s.firearms}
    for event, truth in valid_pairs(s):
        gun, typed = guns[truth.firearm_id], event["firearm"]
        assert normalize_maker(typed["manufacturer"]) == gun.maker, typed
        assert typed["caliber"] is None or normalize_caliber(typed["caliber"]) == gun.caliber, typed
        assert typed["firearm_type"] is None or normalize_firearm_type(typed["firearm_type"]) == gun.firearm_type
        assert typed["importer"] is None or normalize_importer(typed["importer"]) == gun.importer, typed
        assert typed["country"] is None or normalize_country(typed["country"]) == gun.country, typed
        # models are mistyped on purpose: unreadable is fine, another model never
        assert normalize_model(typed["model"], typed["manufacturer"]) in (gun.model, None), typed
        assert normalize_state(event["state"]) == truth.state_code, event["state"]
        assert normalize_crime(event["crime_type"]) == truth.crime_code, event["crime_type"]
        serial, status = normalize_serial(typed["serial"])
        assert status == truth.serial_status, typed["serial"]
        if sent_as(s, truth) is not TruthKind.SERIAL_TYPO_SIGHTING and serial is not None:
            assert serial == serial_key(gun.serial)


def test_most_models_are_readable():
    pairs = valid_pairs(scenario(30, 5))
    guns = {g.firearm_id: g for g in scenario(30, 5).firearms}
    typed = [
        (e["firearm"]["model"], e["firearm"]["manufacturer"], guns[t.firearm_id].model)
        for e, t in pairs
        if e["firearm"]["model"] is not None
    ]
    readable = sum(normalize_model(text, maker) == model for text, maker, model in typed) / len(typed)
    assert 0.85 < readable < 0.97


# --- truth consistency -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_truth_counts_and_links_are_consistent(seed):
    s = scenario(30, seed)
    valid = [t for t in s.truth if t.kind is not TruthKind.INVALID]
    new = [t for t in valid if t.kind is TruthKind.NEW_FIREARM]
    assert len(new) == len({t.firearm_id for t in valid}) == len({t.firearm_id for t in new})
    first_seen: dict[str, TruthKind] = {}
    for t in valid:
        first_seen.setdefault(t.firearm_id, t.kind)
    assert set(first_seen.values()) == {TruthKind.NEW_FIREARM}
    for t in s.truth:
        if t.kind in (TruthKind.REPEAT_SIGHTING, TruthKind.SERIAL_TYPO_SIGHTING, TruthKind.EXACT_RESEND):
            original = s.truth[t.duplicate_of]
            assert t.duplicate_of < t.index and original.firearm_id == t.firearm_id
            if t.kind is TruthKind.EXACT_RESEND:
                assert original.kind is not TruthKind.EXACT_RESEND
            else:  # repeats and typos refer to a sighting with the true serial
                assert original.kind in (TruthKind.NEW_FIREARM, TruthKind.REPEAT_SIGHTING)
        else:
            assert t.duplicate_of is None
        if t.kind is TruthKind.EXACT_RESEND:
            assert s.events[t.index] == s.events[t.duplicate_of] and t.duplicate_of == t.index - 1
    catalogue = {g.firearm_id for g in s.firearms}
    assert {t.firearm_id for t in s.truth if t.firearm_id} <= catalogue


def test_repeats_come_from_fgr_after_states_and_share_the_seizure():
    s = scenario(60, 8)
    repeats = [t for t in s.truth if t.kind is TruthKind.REPEAT_SIGHTING]
    crossings = Counter((s.truth[t.duplicate_of].agency_id == FGR, t.agency_id == FGR) for t in repeats)
    assert crossings[(False, True)] == max(crossings.values())  # a state first, then FGR
    same_day = sum(s.events[t.index]["recovery_date"] == s.events[t.duplicate_of]["recovery_date"] for t in repeats)
    assert same_day / len(repeats) > 0.5


def test_serial_typos_are_one_edit_away_on_the_same_gun_close_in_time_and_place():
    s = scenario(60, 9)
    typos = [t for t in s.truth if t.kind is TruthKind.SERIAL_TYPO_SIGHTING]
    guns = {g.firearm_id: g for g in s.firearms}
    assert typos
    for t in typos:
        event, original = s.events[t.index], s.events[t.duplicate_of]
        typed, first = event["firearm"], original["firearm"]
        serial, _ = normalize_serial(typed["serial"])
        original_serial, _ = normalize_serial(first["serial"])
        assert serial_edit_distance_one(serial, original_serial), (serial, original_serial)
        gun = guns[t.firearm_id]  # maker, model and caliber typed cleanly, even if the first entry was not
        assert normalize_maker(typed["manufacturer"]) == normalize_maker(first["manufacturer"]) == gun.maker
        assert normalize_caliber(typed["caliber"]) == gun.caliber
        assert normalize_model(typed["model"], typed["manufacturer"]) == gun.model
        assert abs((event["recovery_date"] - original["recovery_date"]).days) <= 1
        assert t.state_code == s.truth[t.duplicate_of].state_code
        assert event["reported_at"].date() - original["reported_at"].date() <= timedelta(days=11)


def test_firearm_key_finds_repeats_and_never_merges_two_guns():
    s = scenario(60, 10)
    keys: dict[str, set[str]] = defaultdict(set)
    for event, truth in valid_pairs(s):
        typed = event["firearm"]
        key = firearm_key(typed["manufacturer"], typed["serial"], typed["model"])
        if key is not None:
            keys[key].add(truth.firearm_id)
        if truth.kind is TruthKind.REPEAT_SIGHTING:
            first = s.events[truth.duplicate_of]["firearm"]
            maker = VOCAB.maker(normalize_maker(typed["manufacturer"]))
            if maker.serial_scope is SerialScope.MAKER:
                assert key == firearm_key(first["manufacturer"], first["serial"], first["model"])
    assert all(len(ids) == 1 for ids in keys.values())


def test_invalid_events_are_invalid_for_their_reason():
    s = scenario(120, 12)
    for event, truth in zip(s.events, s.truth, strict=True):
        reason = truth.invalid_reason
        if reason is None:
            assert event["recovery_date"] <= event["reported_at"].date()
            assert event["recovery_date"].year >= 2000
            continue
        if reason is InvalidReason.GARBAGE:
            assert isinstance(event, bytes) and b"\n" not in event and b"\r" not in event
            with pytest.raises(ValueError):
                parsed = json.loads(event.decode("utf-8", errors="replace"))
                if not isinstance(parsed, dict):
                    raise ValueError("not an object")
        elif reason is InvalidReason.FUTURE_DATE:
            assert event["recovery_date"] >= event["reported_at"].date() + timedelta(days=6)
        elif reason is InvalidReason.ANCIENT_DATE:
            assert event["recovery_date"].year < 1990
        elif reason is InvalidReason.UNKNOWN_STATE:
            assert normalize_state(event["state"]) is None
        elif reason is InvalidReason.MISSING_FIELD:
            blanks = [not (event[k] or "").strip() for k in ("state", "crime_type", "event_id")]
            assert any(blanks) or not any(event["firearm"].values())


def test_catalogue_fields_match_each_fate():
    guns = generate_firearms(5_000, seed=6)
    serials = Counter()
    for gun in guns:
        maker = VOCAB.maker(gun.maker)
        model = maker.model(gun.model)
        assert gun.caliber in dict(model.calibers) and gun.firearm_type == model.firearm_type
        assert model.made_in(gun.manufacture_year) and gun.manufacture_year <= DEFAULT_START.year
        assert gun.country == maker.country
        assert gun.fate.has_dealer == (gun.source_state is not None) == (gun.first_sale_date is not None)
        if gun.first_sale_date:
            assert gun.first_sale_date < DEFAULT_START and gun.first_sale_date.year >= model.years[0]
        if gun.fate is TraceFate.PRE_1968:
            assert gun.manufacture_year < 1968
        if gun.fate is TraceFate.FOREIGN_NO_US_IMPORT:
            assert gun.importer is None and not maker.us_made
        elif gun.fate.has_dealer:
            assert (gun.importer is None) == maker.us_made
        scope = model.family if maker.serial_scope is SerialScope.MODEL_FAMILY else ""
        serials[(gun.maker, scope, serial_key(gun.serial))] += 1
    assert serials.most_common(1)[0][1] == 1
    groups = defaultdict(list)
    for gun in guns:
        if gun.purchase_group:
            groups[gun.purchase_group].append(gun)
    assert groups and all(len(g) >= 2 and len({x.source_state for x in g}) == 1 for g in groups.values())


# --- configuration ---------------------------------------------------------------------------------------


def test_a_perfect_world_has_only_new_firearms():
    perfect = ImperfectionRates(
        repeat_sighting=0,
        exact_resend=0,
        serial_typo=0,
        obliterated_serial=0,
        missing_serial=0,
        maker_typo=0,
        model_typo=0,
        state_typo=0,
        invalid=0,
    )
    s = generate_scenario(5, 1, rates=perfect)
    assert {t.kind for t in s.truth} == {TruthKind.NEW_FIREARM}
    assert {t.serial_status for t in s.truth} == {"PRESENT"}


def test_only_the_requested_invalid_reasons_appear():
    rates = ImperfectionRates(invalid=0.5, invalid_reasons=(InvalidReason.GARBAGE,))
    reasons = {t.invalid_reason for t in generate_scenario(3, 1, rates=rates).truth if t.invalid_reason}
    assert reasons == {InvalidReason.GARBAGE}


@pytest.mark.parametrize(
    "bad",
    [{"invalid": 1.5}, {"repeat_sighting": -0.1}, {"repeat_sighting": 0.6, "invalid": 0.6}, {"invalid_reasons": ()}],
)
def test_rates_are_validated(bad):
    with pytest.raises(ValueError):
        ImperfectionRates(**bad)


def test_start_date_moves_the_scenario():
    s = generate_scenario(2, 1, start=date(2025, 1, 15))
    first = next(e for e in s.events if isinstance(e, dict))
    assert first["reported_at"].date() >= date(2025, 1, 15)


# --- files -----------------------------------------------------------------------------------------------


def test_jsonl_round_trip_and_garbage_lines(tmp_path):
    s = scenario(30, 2)
    path = write_jsonl(s.events, tmp_path / "events.jsonl")
    assert read_jsonl(path) == s.events
    lines = path.read_bytes().split(b"\n")[:-1]
    assert len(lines) == len(s.events)
    for line, truth in zip(lines, s.truth, strict=True):
        if truth.invalid_reason is InvalidReason.GARBAGE:
            assert line == s.events[truth.index]


def test_scenario_round_trip(tmp_path):
    s = scenario(10, 4)
    write_scenario(s, tmp_path)
    back = read_scenario(tmp_path)
    assert back.events == s.events and back.truth == s.truth and back.firearms == s.firearms
    assert back.rates == s.rates and back.start == s.start and back.seed == s.seed


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**9))
def test_any_seed_gives_valid_normalisable_events(seed):
    s = generate_scenario(1, seed, events_per_day=40)
    for event, truth in valid_pairs(s):
        assert normalize_maker(event["firearm"]["manufacturer"]) is not None
        assert normalize_state(event["state"]) == truth.state_code
