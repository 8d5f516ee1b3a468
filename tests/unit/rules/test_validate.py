from datetime import UTC, date, datetime

import pytest

from pipeline.rules.validate import RejectReason, validate_seizure


def event(**changes):
    base = {
        "agency_id": "FGE-SON", "event_id": "S-1", "state": "Sonora", "crime_type": "portación",
        "reported_at": datetime(2026, 10, 2, 12, tzinfo=UTC), "recovery_date": date(2026, 10, 1),
        "latitude": 29.1, "longitude": -110.9,
        "firearm": {"manufacturer": "Colt", "serial": "CS1", "model": None, "caliber": None, "importer": None,
                    "firearm_type": None, "country": None},
    }
    base.update(changes)
    return base


def test_a_good_event_passes():
    assert validate_seizure(event(), "26") is None


def test_obliterated_serial_is_valid():
    firearm = {**event()["firearm"], "serial": "LIMADO"}
    assert validate_seizure(event(firearm=firearm), "26") is None


@pytest.mark.parametrize(
    ("changes", "state_code", "reason"),
    [
        ({"event_id": " "}, "26", RejectReason.MISSING_FIELD),
        ({"crime_type": ""}, "26", RejectReason.MISSING_FIELD),
        ({"firearm": {"manufacturer": None, "serial": " ", "model": None}}, "26", RejectReason.MISSING_FIELD),
        ({"recovery_date": date(2026, 10, 9)}, "26", RejectReason.FUTURE_DATE),
        ({"recovery_date": date(1926, 10, 1)}, "26", RejectReason.ANCIENT_DATE),
        ({}, None, RejectReason.UNKNOWN_STATE),
        ({"latitude": 95.0}, "26", RejectReason.INVALID_COORDINATES),
        ({"longitude": None}, "26", RejectReason.INVALID_COORDINATES),
    ],
)
def test_rejections(changes, state_code, reason):
    rejection = validate_seizure(event(**changes), state_code)
    assert rejection is not None and rejection.reason is reason
    assert rejection.message_en and rejection.message_es and rejection.message_en != rejection.message_es


def test_one_day_of_clock_skew_is_tolerated():
    assert validate_seizure(event(recovery_date=date(2026, 10, 3)), "26") is None


RECEIVED = datetime(2026, 10, 2, 13, tzinfo=UTC)


def with_firearm(**changes):
    return {**event()["firearm"], **changes}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"notes": "n" * 4_001}, RejectReason.TEXT_TOO_LONG),
        ({"event_id": "E" * 201}, RejectReason.TEXT_TOO_LONG),
        ({"firearm": with_firearm(serial="1" * 4_001)}, RejectReason.TEXT_TOO_LONG),
        ({"state": "Son\x00ora"}, RejectReason.INVALID_TEXT),
        ({"crime_type": "robo\x1b[31m"}, RejectReason.INVALID_TEXT),
        ({"notes": "C1 \x85 control"}, RejectReason.INVALID_TEXT),
        ({"agency_id": "FGE-\u200bSON"}, RejectReason.INVALID_TEXT),  # invisible, in an id
        ({"event_id": "S-1\n"}, RejectReason.INVALID_TEXT),
        ({"possessor": {"full_name": "Ana\x07", "birth_date": None, "sex": None}}, RejectReason.INVALID_TEXT),
        ({"firearm": with_firearm(serial="CS\u202e1")}, RejectReason.INVALID_TEXT),  # a bidi override
        ({"firearm": with_firearm(serial="АВС123")}, RejectReason.INVALID_SERIAL),  # Cyrillic look-alikes
        ({"firearm": with_firearm(serial="ΑΒ123")}, RejectReason.INVALID_SERIAL),  # Greek
        ({"firearm": with_firearm(serial="12٣45")}, RejectReason.INVALID_SERIAL),  # an Arabic-Indic digit
        ({"firearm": with_firearm(serial="CS1😀")}, RejectReason.INVALID_SERIAL),
        ({"reported_at": datetime(9999, 12, 31, 23, tzinfo=UTC), "recovery_date": date(9999, 12, 31)},
         RejectReason.FUTURE_DATE),  # no overflow at the end of the calendar
        ({"reported_at": datetime(2026, 10, 4, tzinfo=UTC)}, RejectReason.FUTURE_DATE),  # after it arrived
        ({"reported_at": datetime(1, 1, 1, tzinfo=UTC), "recovery_date": date(1, 1, 1)}, RejectReason.ANCIENT_DATE),
        ({"latitude": float("nan")}, RejectReason.INVALID_COORDINATES),
        ({"longitude": float("-inf")}, RejectReason.INVALID_COORDINATES),
    ],
)
def test_hostile_values_are_rejected_with_their_reason(changes, reason):
    rejection = validate_seizure(event(**changes), "26", RECEIVED)
    assert rejection is not None and rejection.reason is reason, rejection
    assert rejection.message_en != rejection.message_es
    assert "Ana" not in rejection.message_en + rejection.message_es  # personal data is never echoed


@pytest.mark.parametrize("serial", ["No. de serie: 123-45", "Matrícula: ABC 123", "N° 4471", "１２３ＡＢＣ",
                                    "CS–991", "número de serie limado", "S/N", "ÑÁ123"])
def test_serials_as_agencies_really_type_them_pass(serial):
    assert validate_seizure(event(firearm=with_firearm(serial=serial)), "26", RECEIVED) is None


def test_free_text_keeps_tabs_line_breaks_and_any_script():
    changes = {"notes": "línea 1\nlínea 2\tfin", "municipality": "Ciudad Juárez 🌵",
               "firearm": with_firearm(manufacturer="ГЛОК", model="Γ19")}
    assert validate_seizure(event(**changes), "26", RECEIVED) is None


def test_a_report_a_day_ahead_of_its_arrival_is_clock_skew():
    assert validate_seizure(event(reported_at=datetime(2026, 10, 3, 12, tzinfo=UTC)), "26", RECEIVED) is None
