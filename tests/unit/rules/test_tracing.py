from datetime import UTC, date, datetime

import pytest

from pipeline.records.model import (
    Licensee,
    LicenseKind,
    LicenseStatus,
    ManufactureRecord,
    OobRecord,
    RetailSale,
    TheftReport,
    WholesaleShipment,
)
from pipeline.rules.tracing import (
    decide_dealer,
    decide_manufacturer,
    decide_out_of_business,
    decide_purchaser,
    decide_wholesaler,
    trace_result,
    with_timing,
)

NOW = datetime(2024, 7, 10, 12, tzinfo=UTC)
KEY = "GLOCK|ABC123"


def trace(serial_status="PRESENT", maker="GLOCK", key=KEY):
    return {
        "trace_id": "TR-1", "firearm_key": key, "priority": "ROUTINE", "opened_at": NOW,
        "seizure": {"agency_id": "FGR", "event_id": "E1", "case_number": None, "recovery_date": date(2024, 7, 1),
                    "state_code": "26", "crime_type": "homicidio", "crime_code": "HOMICIDE",
                    "firearm": {"maker": maker, "importer": None, "model": "G19", "caliber": "9MM",
                                "serial": "ABC123", "serial_status": serial_status, "firearm_type": "PISTOL",
                                "country": "AUT"}},
        "recoveries": [{"agency_id": "FGR", "event_id": "E1", "recovery_date": date(2024, 7, 1), "state_code": "26",
                        "municipality": None, "possible_duplicate": False, "reported_at": NOW}],
        "hops": [], "stage_timings": [],
    }


def licensee(license_, kind=LicenseKind.DEALER, status=LicenseStatus.ACTIVE):
    return Licensee(license_, f"Shop {license_}", kind, "TX", "Laredo", status, None)


def made(**changes):
    base = dict(firearm_key=KEY, maker_id="GLOCK", serial="ABC123", model="G19", caliber="9MM", made_year=2019,
                importer_id="GLOCK_INC", shipped_to_license="W-1", shipped_on=date(2019, 5, 1))
    base.update(changes)
    return ManufactureRecord(**base)


@pytest.mark.parametrize(
    ("the_trace", "record", "reason"),
    [
        (trace("OBLITERATED"), made(), "SERIAL_OBLITERATED"),
        (trace("MISSING"), made(), "INSUFFICIENT_DATA"),
        (trace(maker=None), made(), "INSUFFICIENT_DATA"),
        (trace(key="REMINGTON|?|V1"), made(), "INSUFFICIENT_DATA"),
        (trace(), None, "NO_MANUFACTURER_RECORD"),
        (trace(), made(importer_id=None, shipped_to_license=None, shipped_on=None, exported_to="MEX"),
         "FOREIGN_NO_US_IMPORT_RECORD"),
        (trace(), made(made_year=1961, shipped_to_license=None, shipped_on=None), "PRE_1968"),
    ],
)
def test_manufacturer_closes(the_trace, record, reason):
    assert decide_manufacturer(the_trace, record, None, NOW).close_reason == reason


def test_manufacturer_forwards_with_importer_and_wholesaler_hops():
    decision = decide_manufacturer(trace(), made(), licensee("W-1", LicenseKind.WHOLESALER), NOW)
    assert decision.forward_to == "traces.at-wholesaler" and decision.close_reason is None
    assert [(h["party_type"], h["party_id"]) for h in decision.trace["hops"]] == [
        ("IMPORTER", "GLOCK_INC"), ("WHOLESALER", "W-1")]


def test_wholesaler_then_dealer_then_purchaser_completes_with_time_to_crime():
    shipment = WholesaleShipment(KEY, "W-1", "D-7", date(2019, 6, 1))
    at_dealer = decide_wholesaler(trace(), shipment, licensee("D-7"), NOW)
    assert at_dealer.forward_to == "traces.at-dealer"
    sale = RetailSale(KEY, "D-7", date(2021, 7, 1), "P-9")
    at_purchaser = decide_dealer(at_dealer.trace, licensee("D-7"), sale, None, NOW)
    assert at_purchaser.forward_to == "traces.at-purchaser"
    done = decide_purchaser(at_purchaser.trace, sale, licensee("D-7"), NOW)
    result = trace_result(done, NOW)
    assert result["outcome"] == "COMPLETED" and result["reason"] == "NONE"
    assert result["time_to_crime_days"] == (date(2024, 7, 1) - date(2021, 7, 1)).days
    assert result["source_state"] == "TX" and result["dealer_license"] == "D-7" and result["purchaser_id"] == "P-9"
    assert result["hops"][-1]["party_type"] == "PURCHASER" and result["agencies"] == ["FGR"]


def test_dealer_routes_and_closes():
    closed = licensee("D-7", status=LicenseStatus.OUT_OF_BUSINESS)
    assert decide_dealer(trace(), closed, None, None, NOW).forward_to == "traces.at-dealer-oob"
    theft = TheftReport(KEY, date(2020, 1, 1), "D-7", "burglary")
    assert decide_dealer(trace(), licensee("D-7"), None, theft, NOW).close_reason == "FIREARM_REPORTED_STOLEN"
    assert decide_dealer(trace(), licensee("D-7"), None, None, NOW).close_reason == "DISTRIBUTION_RECORD_NOT_FOUND"
    assert decide_wholesaler(trace(), None, None, NOW).close_reason == "DISTRIBUTION_RECORD_NOT_FOUND"


def test_out_of_business_search():
    assert decide_out_of_business(trace(), None).close_reason == "DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND"
    record = OobRecord(KEY, "D-7", date(2015, 1, 1), "P-1")
    assert decide_out_of_business(trace(), record).forward_to == "traces.at-purchaser"


def test_closed_result_has_no_purchaser_and_timings_accumulate():
    decision = decide_manufacturer(trace(), None, None, NOW)
    timed = with_timing(decision.trace, "manufacturer", NOW, NOW)
    result = trace_result(decision.__class__(timed, None, decision.close_reason), NOW)
    assert result["outcome"] == "CLOSED" and result["purchaser_id"] is None and result["time_to_crime_days"] is None
    assert [t["stage"] for t in result["stage_timings"]] == ["manufacturer"]
