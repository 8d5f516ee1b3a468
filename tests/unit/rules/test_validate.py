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
