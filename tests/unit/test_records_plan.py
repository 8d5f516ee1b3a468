"""The records plan (pure): each trace fate gets the rows it needs, keys match the pipeline's, runs repeat."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import TracepipeError
from pipeline.normalize import firearm_key, normalize_serial
from pipeline.producers.scenario.firearms import generate_firearms
from pipeline.producers.scenario.truth import FirearmTruth, TraceFate
from pipeline.records.model import AccessDenied, Purchaser
from pipeline.records.seeding.multiple_sales import business_days_spanned, multiple_sale_windows, reportable_rifle
from pipeline.records.seeding.plan import plan_records
from pipeline.records.seeding.rows import TABLES, columns
from pipeline.records.seeding.seed import CopyStream, copy_text
from pipeline.records.seeding.seized import truth_key

SEED = 11


@pytest.fixture(scope="module")
def firearms() -> list[FirearmTruth]:
    return generate_firearms(1500, SEED)


@pytest.fixture(scope="module")
def plan(firearms):
    return plan_records(firearms, SEED, extra_firearms=1500)


@pytest.fixture(scope="module")
def index(plan):
    """Rows by primary key, per table."""
    return {table: {row[0]: row for row in plan.rows(table)} for table in TABLES}


def _gun(firearm_id: str, fate: TraceFate, **changes) -> FirearmTruth:
    base = FirearmTruth(
        firearm_id=firearm_id, maker="GLOCK", importer="GLOCK_INC", model="G19", caliber="9MM",
        firearm_type="PISTOL", country="AUT", serial=f"AB{firearm_id[-4:]}", manufacture_year=2015, fate=fate,
        source_state="TX", first_sale_date=date(2019, 3, 4),
    )
    return replace(base, **changes)


def test_every_fate_is_in_the_sample(firearms):
    assert {g.fate for g in firearms} == set(TraceFate)
    assert any(g.purchase_group for g in firearms)


def test_keys_are_the_pipelines_firearm_key(firearms, plan):
    for gun in firearms:
        clean = normalize_serial(gun.serial)[0]
        expected = firearm_key(gun.maker, clean, gun.model) if clean else None
        assert truth_key(gun) == expected
        assert plan.keys.get(gun.firearm_id) == expected
    assert plan.skipped == ()


def test_plan_is_deterministic(firearms, plan):
    again = plan_records(firearms, SEED, extra_firearms=1500)
    for table in TABLES:
        assert again.rows(table) == plan.rows(table), table
    other = plan_records(firearms, SEED + 1, extra_firearms=1500)
    assert other.purchasers != plan.purchasers
    # The seized guns' keys depend on the guns only, never on the seed.
    assert other.keys == plan.keys


def test_primary_keys_unique_and_rows_match_columns(plan):
    for table in TABLES:
        rows = plan.rows(table)
        assert len({row[0] for row in rows}) == len(rows), table
        assert all(len(row) == len(columns(table)) for row in rows), table


def test_traceable(firearms, plan, index):
    licensees = index["licensees"]
    guns = [g for g in firearms if g.fate is TraceFate.TRACEABLE]
    assert guns
    for gun in guns:
        key = plan.keys[gun.firearm_id]
        made = index["manufacture_records"][key]
        shipment = index["wholesale_shipments"][key]
        sale = index["retail_sales"][key]
        assert (made.maker_id, made.model, made.serial, made.made_year) == (
            gun.maker, gun.model, gun.serial, gun.manufacture_year)
        assert made.importer_id == gun.importer
        assert licensees[made.shipped_to_license].kind == "WHOLESALER"
        assert shipment.wholesaler_license == made.shipped_to_license
        assert shipment.dealer_license == sale.dealer_license
        dealer = licensees[sale.dealer_license]
        assert (dealer.kind, dealer.status, dealer.us_state) == ("DEALER", "ACTIVE", gun.source_state)
        assert sale.sale_date == gun.first_sale_date
        assert made.shipped_on <= shipment.shipped_on <= sale.sale_date
        assert sale.purchaser_id in index["purchasers"]
        assert key not in index["oob_records"] and key not in index["theft_reports"]


def test_out_of_business_found(firearms, plan, index):
    guns = [g for g in firearms if g.fate is TraceFate.DEALER_OUT_OF_BUSINESS_FOUND]
    assert guns
    for gun in guns:
        key = plan.keys[gun.firearm_id]
        record = index["oob_records"][key]
        dealer = index["licensees"][record.dealer_license]
        assert (dealer.status, dealer.us_state) == ("OUT_OF_BUSINESS", gun.source_state)
        assert dealer.closed_on > record.sale_date == gun.first_sale_date
        assert index["wholesale_shipments"][key].dealer_license == record.dealer_license
        assert record.purchaser_id in index["purchasers"]
        assert key not in index["retail_sales"]


def test_out_of_business_not_found(firearms, plan, index):
    guns = [g for g in firearms if g.fate is TraceFate.DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND]
    assert guns
    for gun in guns:
        key = plan.keys[gun.firearm_id]
        dealer = index["licensees"][index["wholesale_shipments"][key].dealer_license]
        assert (dealer.status, dealer.us_state) == ("OUT_OF_BUSINESS", gun.source_state)
        assert dealer.closed_on > gun.first_sale_date
        assert key not in index["retail_sales"] and key not in index["oob_records"]


def test_reported_stolen(firearms, plan, index):
    guns = [g for g in firearms if g.fate is TraceFate.REPORTED_STOLEN]
    assert guns
    for gun in guns:
        key = plan.keys[gun.firearm_id]
        shipment = index["wholesale_shipments"][key]
        theft = index["theft_reports"][key]
        dealer = index["licensees"][shipment.dealer_license]
        assert (dealer.status, dealer.us_state) == ("ACTIVE", gun.source_state)
        assert theft.reporter_license == shipment.dealer_license
        assert theft.reported_on >= shipment.shipped_on
        assert key not in index["retail_sales"] and key not in index["oob_records"]


def test_pre_1968(firearms, plan, index):
    guns = [g for g in firearms if g.fate is TraceFate.PRE_1968]
    assert guns
    for gun in guns:
        key = plan.keys[gun.firearm_id]
        made = index["manufacture_records"][key]
        assert made.made_year < 1968
        assert made.shipped_to_license is None and made.shipped_on is None
        assert key not in index["wholesale_shipments"]


def test_no_records_at_all(firearms, plan, index):
    guns = [g for g in firearms if g.fate is TraceFate.NO_MANUFACTURER_RECORD]
    assert guns
    for gun in guns:
        key = plan.keys[gun.firearm_id]
        for table in ("manufacture_records", "wholesale_shipments", "retail_sales", "oob_records", "theft_reports"):
            assert key not in index[table], table


def test_foreign_never_imported_has_only_the_makers_export_record(firearms, plan, index):
    guns = [g for g in firearms if g.fate is TraceFate.FOREIGN_NO_US_IMPORT]
    assert guns
    for gun in guns:
        key = plan.keys[gun.firearm_id]
        made = index["manufacture_records"][key]
        assert made.exported_to not in (None, "USA") and made.importer_id is None and made.shipped_to_license is None
        for table in ("wholesale_shipments", "retail_sales", "oob_records", "theft_reports"):
            assert key not in index[table], table


def test_no_foreign_gun_without_importer_has_a_us_commerce_record(firearms, plan, index):
    for gun in firearms:
        if gun.country != "USA" and gun.importer is None:
            made = index["manufacture_records"].get(plan.keys[gun.firearm_id])
            assert made is None or (made.exported_to not in (None, "USA") and made.shipped_to_license is None)


def test_purchase_groups_share_buyer_and_dealer(firearms, plan, index):
    groups = defaultdict(list)
    for gun in firearms:
        if gun.purchase_group and gun.fate.purchaser_found:
            key = plan.keys[gun.firearm_id]
            sale = index["retail_sales"].get(key) or index["oob_records"][key]
            groups[gun.purchase_group].append((gun, sale))
    assert groups
    reported = {k for row in plan.multiple_sales for k in row.firearm_keys}
    for members in groups.values():
        assert len({sale.purchaser_id for _, sale in members}) == 1
        assert len({sale.dealer_license for _, sale in members}) == 1
        handguns = [g for g, _ in members if g.firearm_type in ("PISTOL", "REVOLVER")]
        if len(handguns) >= 2:
            assert all(plan.keys[g.firearm_id] in reported for g in handguns)
    # Guns sold one by one to different buyers are never in a report.
    singles = {plan.keys[g.firearm_id] for g in firearms if g.fate.purchaser_found and not g.purchase_group}
    assert not singles & reported


def test_multiple_sale_reports_are_consistent(plan, index):
    assert plan.multiple_sales
    for report in plan.multiple_sales:
        assert report.form in ("3310.4", "3310.12") and len(report.firearm_keys) >= 2
        sales = [index["retail_sales"].get(k) or index["oob_records"].get(k) for k in report.firearm_keys]
        assert all(s is not None and s.purchaser_id == report.purchaser_id for s in sales)
        assert {s.dealer_license for s in sales} == {report.dealer_license}
        assert report.report_date == max(s.sale_date for s in sales)
        assert business_days_spanned(min(s.sale_date for s in sales), report.report_date) <= 5


def test_references_resolve_and_dates_are_ordered(plan, index):
    licensees = index["licensees"]
    for made in plan.manufacture_records:
        assert index["manufacturers"][made.maker_id]
        assert made.importer_id is None or made.importer_id in index["importers"]
        if made.shipped_to_license:
            assert licensees[made.shipped_to_license].kind == "WHOLESALER"
            assert made.shipped_on.year >= made.made_year
    for row in plan.wholesale_shipments:
        assert licensees[row.dealer_license].kind == "DEALER"
        assert index["manufacture_records"][row.firearm_key].shipped_on <= row.shipped_on
    for row in plan.retail_sales:
        assert licensees[row.dealer_license].status == "ACTIVE"
        assert row.purchaser_id in index["purchasers"]
    for row in plan.oob_records:
        dealer = licensees[row.dealer_license]
        assert dealer.status == "OUT_OF_BUSINESS" and row.sale_date < dealer.closed_on
    for row in plan.retail_sales + plan.oob_records:
        assert index["wholesale_shipments"][row.firearm_key].shipped_on <= row.sale_date <= date(2024, 7, 1)
    for maker in plan.manufacturers:
        assert (maker.license is None) == (maker.country != "USA")
        if maker.license:
            assert licensees[maker.license].kind == "MANUFACTURER"
    for importer in plan.importers:
        assert licensees[importer.license].kind == "IMPORTER"
    for licensee in plan.licensees:
        assert (licensee.status == "OUT_OF_BUSINESS") == (licensee.closed_on is not None)


def test_background_scales_and_never_reuses_a_seized_key(firearms):
    lean = plan_records(firearms[:300], SEED, extra_firearms=0)
    rich = plan_records(firearms[:300], SEED, extra_firearms=3000)
    assert {r.firearm_key for r in lean.manufacture_records} <= set(lean.keys.values())
    assert len(rich.manufacture_records) > len(lean.manufacture_records) + 2500
    assert len(rich.licensees) >= len(lean.licensees)
    # Guns with no records must stay without records, even with thousands of background guns around them.
    absent = {lean.keys[g.firearm_id] for g in firearms[:300] if g.fate is TraceFate.NO_MANUFACTURER_RECORD}
    assert not absent & {r.firearm_key for r in rich.manufacture_records}


def test_unusable_and_duplicate_serials_are_skipped():
    good = _gun("F000001", TraceFate.TRACEABLE)
    same = _gun("F000002", TraceFate.TRACEABLE, serial=good.serial.lower())  # same clean serial, same gun
    blank = _gun("F000003", TraceFate.TRACEABLE, serial="0000")
    plan = plan_records([good, same, blank], 1, extra_firearms=0)
    assert plan.skipped == ("F000002", "F000003")
    assert list(plan.keys) == ["F000001"]
    assert len(plan.retail_sales) == 1


def test_multiple_sale_forms():
    handguns = [
        _gun("F000101", TraceFate.TRACEABLE, purchase_group="G1"),
        _gun("F000102", TraceFate.TRACEABLE, purchase_group="G1", first_sale_date=date(2019, 3, 8)),
    ]
    rifle = {"maker": "COLT", "importer": None, "model": "AR-15", "caliber": "5.56/.223", "firearm_type": "RIFLE",
             "country": "USA"}
    tx_rifles = [
        _gun("F000201", TraceFate.TRACEABLE, purchase_group="G2", serial="LGC000201", **rifle),
        _gun("F000202", TraceFate.TRACEABLE, purchase_group="G2", serial="LGC000202", **rifle),
    ]
    fl_rifles = [
        _gun("F000301", TraceFate.TRACEABLE, purchase_group="G3", serial="LGC000301", source_state="FL", **rifle),
        _gun("F000302", TraceFate.TRACEABLE, purchase_group="G3", serial="LGC000302", source_state="FL", **rifle),
    ]
    stolen = [
        _gun("F000401", TraceFate.REPORTED_STOLEN, purchase_group="G4"),
        _gun("F000402", TraceFate.REPORTED_STOLEN, purchase_group="G4"),
    ]
    plan = plan_records(handguns + tx_rifles + fl_rifles + stolen, 3, extra_firearms=0)
    forms = {row.form: set(row.firearm_keys) for row in plan.multiple_sales}
    assert forms == {
        "3310.4": {plan.keys["F000101"], plan.keys["F000102"]},
        "3310.12": {plan.keys["F000201"], plan.keys["F000202"]},
    }
    # A burglary of one dealer: both guns reported stolen by the same licensee.
    assert len({row.reporter_license for row in plan.theft_reports}) == 1


def test_business_days_and_windows():
    friday = date(2024, 3, 1)
    assert business_days_spanned(friday, friday) == 1
    assert business_days_spanned(friday, date(2024, 3, 4)) == 2  # Monday
    assert business_days_spanned(friday, date(2024, 3, 7)) == 5  # Thursday
    assert business_days_spanned(friday, date(2024, 3, 8)) == 6
    sales = [(friday, "a"), (date(2024, 3, 7), "b"), (date(2024, 3, 8), "c"), (date(2024, 3, 11), "d")]
    assert multiple_sale_windows(sales) == [[(friday, "a"), (date(2024, 3, 7), "b")],
                                            [(date(2024, 3, 8), "c"), (date(2024, 3, 11), "d")]]
    assert multiple_sale_windows([(friday, "a")]) == []


def test_reportable_rifle():
    assert reportable_rifle("RIFLE", "7.62X39", "AZ", date(2012, 1, 1))
    assert not reportable_rifle("RIFLE", ".22 LR", "AZ", date(2012, 1, 1))
    assert not reportable_rifle("RIFLE", "7.62X39", "NV", date(2012, 1, 1))
    assert not reportable_rifle("RIFLE", "7.62X39", "TX", date(2010, 1, 1))
    assert not reportable_rifle("PISTOL", "9MM", "TX", date(2020, 1, 1))


def test_copy_text_escapes_and_streams():
    rows = [("a\tb", None, date(2020, 1, 2), 5, ("X|1", 'Y"2')), ("back\\slash\nline", "ok", None, 0, ())]
    assert copy_text(rows) == (
        'a\\tb\t\\N\t2020-01-02\t5\t{"X|1","Y\\\\"2"}\n'
        'back\\\\slash\\nline\tok\t\\N\t0\t{}\n'
    )
    stream = CopyStream(rows * 5, batch_rows=3)
    chunks = iter(lambda: stream.read(8192), "")
    assert "".join(chunks) == copy_text(rows * 5)


def test_purchaser_repr_hides_personal_data():
    person = Purchaser("P00000001", "Jane Q. Example", date(1980, 1, 1), "1 Main St", "Laredo", "TX")
    assert "Jane" not in repr(person) and "Main" not in repr(person) and "Laredo" not in repr(person)
    assert issubclass(AccessDenied, PermissionError) and issubclass(AccessDenied, TracepipeError)


def _shape(plan, gun) -> tuple[bool, ...]:
    """Which firearm tables hold a row for this gun."""
    key = plan.keys[gun.firearm_id]
    return tuple(key in {row[0] for row in plan.rows(t)} for t in
                 ("manufacture_records", "wholesale_shipments", "retail_sales", "oob_records", "theft_reports"))


_EXPECTED_SHAPES = {
    TraceFate.TRACEABLE: (True, True, True, False, False),
    TraceFate.DEALER_OUT_OF_BUSINESS_FOUND: (True, True, False, True, False),
    TraceFate.DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND: (True, True, False, False, False),
    TraceFate.REPORTED_STOLEN: (True, True, False, False, True),
    TraceFate.PRE_1968: (True, False, False, False, False),
    TraceFate.FOREIGN_NO_US_IMPORT: (True, False, False, False, False),
    TraceFate.NO_MANUFACTURER_RECORD: (False, False, False, False, False),
}


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 120), extra=st.integers(0, 150))
def test_fate_shapes_hold_for_any_seed(seed, n, extra):
    guns = generate_firearms(n, seed)
    plan = plan_records(guns, seed, extra_firearms=extra)
    for gun in guns:
        if gun.fate in _EXPECTED_SHAPES:
            assert _shape(plan, gun) == _EXPECTED_SHAPES[gun.fate], gun.fate
    assert plan_records(guns, seed, extra_firearms=extra).counts() == plan.counts()
