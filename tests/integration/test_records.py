"""Records in the real PostgreSQL: seed a private database, then every fate's lookups find what it needs."""

from __future__ import annotations

import logging
import uuid

import psycopg2
import pytest
from psycopg2 import sql
from psycopg2.extras import LoggingConnection

from pipeline.db.migrate import migrate
from pipeline.errors import TracepipeError
from pipeline.normalize import firearm_key, normalize_serial
from pipeline.producers.scenario.firearms import generate_firearms
from pipeline.producers.scenario.truth import TraceFate
from pipeline.records.lookup import (
    PURCHASER_READ_ACTION,
    find_dealers,
    find_importers,
    find_manufacture,
    find_manufacturers,
    find_multiple_sales,
    find_multiple_sales_for_firearms,
    find_oob_records,
    find_purchasers,
    find_retail_sales,
    find_thefts,
    find_wholesale,
)
from pipeline.records.model import AccessDenied, LicenseKind, LicenseStatus, MultipleSaleForm, RecordsError
from pipeline.records.seeding.rows import TABLES, columns
from pipeline.records.seeding.seed import seed_records
from pipeline.stack import postgres

SEED = 23
N_FIREARMS = 400


@pytest.fixture(scope="module")
def records_db(stack, settings):
    """A private, migrated database seeded once for this module; dropped afterwards."""
    fresh = settings.with_changes(pg_db=f"t_records_{uuid.uuid4().hex[:10]}")
    postgres.ensure_database(fresh)
    migrate(fresh)
    firearms = generate_firearms(N_FIREARMS, SEED)
    report = seed_records(fresh, firearms, SEED, extra_firearms=600)
    yield fresh, firearms, report
    admin = psycopg2.connect(settings.pg_dsn(dbname="postgres", user=postgres.SUPERUSER))
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(fresh.pg_db)))
    finally:
        admin.close()


@pytest.fixture
def conn(records_db):
    connection = psycopg2.connect(records_db[0].pg_dsn())
    yield connection
    connection.rollback()
    connection.close()


@pytest.fixture(scope="module")
def keys(records_db):
    """firearm_id -> key, computed exactly as the pipeline does for a correctly reported gun."""
    _, firearms, _ = records_db
    result = {}
    for gun in firearms:
        clean = normalize_serial(gun.serial)[0]
        if clean:
            result[gun.firearm_id] = firearm_key(gun.maker, clean, gun.model)
    return result


def _guns(records_db, fate):
    guns = [g for g in records_db[1] if g.fate is fate]
    assert guns, f"the sample has no {fate} gun"
    return guns


def _snapshot(settings):
    """Every records table's rows (ordered by primary key), as text."""
    with psycopg2.connect(settings.pg_dsn()) as connection, connection.cursor() as cur:
        snapshot = {}
        for table in TABLES:
            cur.execute(sql.SQL("SELECT t::text FROM {} t ORDER BY 1").format(sql.Identifier(table)))
            snapshot[table] = [row[0] for row in cur.fetchall()]
    connection.close()
    return snapshot


def test_schema_matches_the_planned_columns(records_db, conn):
    with conn.cursor() as cur:
        for table in TABLES:
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
                (table,),
            )
            assert tuple(r[0] for r in cur.fetchall()) == columns(table), table
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'multiple_sales'")
        assert {"multiple_sales_purchaser", "multiple_sales_firearm_keys"} <= {r[0] for r in cur.fetchall()}


def test_report_counts_match_tables(records_db, conn):
    _, _, report = records_db
    with conn.cursor() as cur:
        for table, expected in report.rows.items():
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            assert cur.fetchone()[0] == expected, table
    assert report.firearms == N_FIREARMS and report.keyed_firearms + report.skipped_firearms == N_FIREARMS
    assert report.total_rows > 3 * N_FIREARMS and report.rows_per_second > 0


def test_manufacture_records_keyed_as_the_pipeline_keys_them(records_db, conn, keys):
    _, firearms, _ = records_db
    with_records = {TraceFate.TRACEABLE, TraceFate.DEALER_OUT_OF_BUSINESS_FOUND, TraceFate.PRE_1968,
                    TraceFate.DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND, TraceFate.REPORTED_STOLEN}
    found = find_manufacture(conn, keys.values())
    for gun in firearms:
        if gun.fate is TraceFate.SERIAL_OBLITERATED:
            continue
        key = keys[gun.firearm_id]
        if gun.fate in with_records:
            record = found[key]
            assert (record.maker_id, record.model, record.serial, record.caliber) == (
                gun.maker, gun.model, gun.serial, gun.caliber)
            assert record.importer_id == gun.importer


def test_traceable(records_db, conn, keys):
    guns = _guns(records_db, TraceFate.TRACEABLE)
    wanted = [keys[g.firearm_id] for g in guns]
    made, shipped, sold = find_manufacture(conn, wanted), find_wholesale(conn, wanted), find_retail_sales(conn, wanted)
    assert not find_oob_records(conn, wanted) and not find_thefts(conn, wanted)
    dealers = find_dealers(conn, [s.dealer_license for s in sold.values()])
    wholesalers = find_dealers(conn, [m.shipped_to_license for m in made.values()])
    for gun in guns:
        key = keys[gun.firearm_id]
        sale = sold[key]
        assert sale.sale_date == gun.first_sale_date
        dealer = dealers[sale.dealer_license]
        assert dealer.us_state == gun.source_state
        assert dealer.kind is LicenseKind.DEALER and dealer.status is LicenseStatus.ACTIVE and dealer.active
        assert shipped[key].dealer_license == sale.dealer_license
        assert shipped[key].wholesaler_license == made[key].shipped_to_license
        assert wholesalers[made[key].shipped_to_license].kind is LicenseKind.WHOLESALER
        assert made[key].shipped_on <= shipped[key].shipped_on <= sale.sale_date


def test_out_of_business_found(records_db, conn, keys):
    guns = _guns(records_db, TraceFate.DEALER_OUT_OF_BUSINESS_FOUND)
    wanted = [keys[g.firearm_id] for g in guns]
    records = find_oob_records(conn, wanted)
    assert not find_retail_sales(conn, wanted)
    dealers = find_dealers(conn, [r.dealer_license for r in records.values()])
    for gun in guns:
        record = records[keys[gun.firearm_id]]
        dealer = dealers[record.dealer_license]
        assert record.sale_date == gun.first_sale_date
        assert dealer.status is LicenseStatus.OUT_OF_BUSINESS and dealer.us_state == gun.source_state
        assert dealer.closed_on > record.sale_date


def test_out_of_business_record_not_found(records_db, conn, keys):
    guns = _guns(records_db, TraceFate.DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND)
    wanted = [keys[g.firearm_id] for g in guns]
    assert not find_retail_sales(conn, wanted) and not find_oob_records(conn, wanted)
    shipped = find_wholesale(conn, wanted)
    dealers = find_dealers(conn, [s.dealer_license for s in shipped.values()])
    for gun in guns:
        dealer = dealers[shipped[keys[gun.firearm_id]].dealer_license]
        assert dealer.status is LicenseStatus.OUT_OF_BUSINESS and dealer.us_state == gun.source_state


def test_reported_stolen(records_db, conn, keys):
    guns = _guns(records_db, TraceFate.REPORTED_STOLEN)
    wanted = [keys[g.firearm_id] for g in guns]
    thefts, shipped = find_thefts(conn, wanted), find_wholesale(conn, wanted)
    assert not find_retail_sales(conn, wanted) and not find_oob_records(conn, wanted)
    for gun in guns:
        key = keys[gun.firearm_id]
        assert thefts[key].reporter_license == shipped[key].dealer_license
        assert thefts[key].note


def test_pre_1968(records_db, conn, keys):
    guns = _guns(records_db, TraceFate.PRE_1968)
    wanted = [keys[g.firearm_id] for g in guns]
    made = find_manufacture(conn, wanted)
    assert not find_wholesale(conn, wanted)
    for gun in guns:
        record = made[keys[gun.firearm_id]]
        assert record.made_year < 1968 and record.shipped_to_license is None and record.shipped_on is None


def test_no_manufacturer_record(records_db, conn, keys):
    wanted = [keys[g.firearm_id] for g in _guns(records_db, TraceFate.NO_MANUFACTURER_RECORD)]
    assert not find_manufacture(conn, wanted)
    assert not find_wholesale(conn, wanted) and not find_retail_sales(conn, wanted)


def test_foreign_never_imported_is_an_export_record(records_db, conn, keys):
    wanted = [keys[g.firearm_id] for g in _guns(records_db, TraceFate.FOREIGN_NO_US_IMPORT)]
    made = find_manufacture(conn, wanted)
    assert set(made) == set(wanted)
    assert all(r.exported_to not in (None, "USA") and r.shipped_to_license is None for r in made.values())
    assert not find_wholesale(conn, wanted) and not find_retail_sales(conn, wanted)


def test_makers_and_importers(records_db, conn):
    _, firearms, _ = records_db
    makers = find_manufacturers(conn, [g.maker for g in firearms])
    assert set(makers) == {g.maker for g in firearms}
    for maker in makers.values():
        assert (maker.license is None) == (maker.country != "USA")
    importers = find_importers(conn, [g.importer for g in firearms])
    assert set(importers) == {g.importer for g in firearms if g.importer}
    licensees = find_dealers(conn, [i.license for i in importers.values()])
    assert {lic.kind for lic in licensees.values()} == {LicenseKind.IMPORTER}


def test_multiple_sales_by_purchaser_and_by_firearm(records_db, conn, keys):
    _, firearms, _ = records_db
    grouped = [g for g in firearms if g.purchase_group and g.fate.purchaser_found
               and g.firearm_type in ("PISTOL", "REVOLVER")]
    by_group = {}
    for gun in grouped:
        by_group.setdefault(gun.purchase_group, []).append(keys[gun.firearm_id])
    reported_groups = {g: ks for g, ks in by_group.items() if len(ks) >= 2}
    assert reported_groups, "the sample needs a multiple handgun sale"
    all_keys = [k for ks in reported_groups.values() for k in ks]
    by_firearm = find_multiple_sales_for_firearms(conn, all_keys)
    sales = {**find_retail_sales(conn, all_keys), **find_oob_records(conn, all_keys)}
    for group_keys in reported_groups.values():
        reports = {r for k in group_keys for r in by_firearm[k]}
        assert len(reports) == 1
        report = reports.pop()
        assert report.form is MultipleSaleForm.HANDGUNS and set(group_keys) <= set(report.firearm_keys)
        assert report.purchaser_id == sales[group_keys[0]].purchaser_id
        by_purchaser = find_multiple_sales(conn, [report.purchaser_id])
        assert report in by_purchaser[report.purchaser_id]


def test_one_query_per_batch_and_empty_batches_query_nothing(records_db, keys):
    class Counter(logging.Handler):
        def __init__(self):
            super().__init__()
            self.queries = 0

        def emit(self, record):
            self.queries += 1

    logger = logging.getLogger("test_records.queries")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    counter = Counter()
    logger.addHandler(counter)
    connection = psycopg2.connect(records_db[0].pg_dsn(), connection_factory=LoggingConnection)
    connection.initialize(logger)
    try:
        wanted = [*keys.values(), None, *list(keys.values())[:10]]
        for lookup in (find_manufacture, find_wholesale, find_retail_sales, find_oob_records, find_thefts,
                       find_multiple_sales_for_firearms):
            before = counter.queries
            lookup(connection, wanted)
            assert counter.queries == before + 1, lookup.__name__
            assert lookup(connection, []) == {} and lookup(connection, [None]) == {}
            assert counter.queries == before + 1, lookup.__name__
        before = counter.queries
        assert find_purchasers(connection, [], account="a", role="investigator", reason="r") == {}
        assert counter.queries == before
    finally:
        logger.removeHandler(counter)
        connection.rollback()
        connection.close()


def _audit_rows(settings, account):
    with psycopg2.connect(settings.pg_dsn()) as connection, connection.cursor() as cur:
        cur.execute("SELECT role, action, subject, detail FROM audit_log WHERE account = %s ORDER BY id", (account,))
        rows = cur.fetchall()
    connection.close()
    return rows


def test_purchaser_reads_are_audited(records_db, keys, caplog):
    settings, firearms, _ = records_db
    gun = next(g for g in firearms if g.fate is TraceFate.TRACEABLE)
    account = f"analyst-{uuid.uuid4().hex[:6]}"
    caplog.set_level(logging.DEBUG)
    with psycopg2.connect(settings.pg_dsn()) as connection:
        sale = find_retail_sales(connection, [keys[gun.firearm_id]])[keys[gun.firearm_id]]
        people = find_purchasers(connection, [sale.purchaser_id, sale.purchaser_id, "P99999999", None],
                                 account=account, role="investigator", reason="trace T-1")
    connection.close()
    person = people[sale.purchaser_id]
    assert set(people) == {sale.purchaser_id}
    assert person.full_name and person.us_state == gun.source_state
    assert _audit_rows(settings, account) == [
        ("investigator", PURCHASER_READ_ACTION, sale.purchaser_id,
         {"reason": "trace T-1", "table": "purchasers", "found": True}),
        ("investigator", PURCHASER_READ_ACTION, "P99999999",
         {"reason": "trace T-1", "table": "purchasers", "found": False}),
    ]
    assert person.full_name not in caplog.text and person.address not in caplog.text


def test_purchaser_read_and_audit_share_a_transaction(records_db, conn, keys):
    settings = records_db[0]
    account = f"rollback-{uuid.uuid4().hex[:6]}"
    purchaser = next(iter(find_retail_sales(conn, keys.values()).values())).purchaser_id
    assert find_purchasers(conn, [purchaser], account=account, role="pipeline", reason="trace")
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_log WHERE account = %s", (account,))
        assert cur.fetchone()[0] == 1  # visible inside the reading transaction
    conn.rollback()
    assert _audit_rows(settings, account) == []


@pytest.mark.parametrize("role", ["guest", "agency", "", "analyst", "national_analyst", "INVESTIGATOR"])
def test_purchaser_reads_are_role_restricted(records_db, conn, role):
    account = f"intruder-{uuid.uuid4().hex[:6]}"
    with pytest.raises(AccessDenied) as raised:
        find_purchasers(conn, ["P00000001"], account=account, role=role, reason="curious")
    assert isinstance(raised.value, PermissionError) and isinstance(raised.value, TracepipeError)
    conn.commit()
    assert _audit_rows(records_db[0], account) == []


def test_purchaser_reads_need_account_and_reason(conn):
    with pytest.raises(RecordsError):
        find_purchasers(conn, ["P00000001"], account="a", role="investigator", reason=" ")
    with pytest.raises(RecordsError):
        find_purchasers(conn, ["P00000001"], account="", role="investigator", reason="trace")


def test_reseeding_is_idempotent(records_db, caplog):
    settings, firearms, first = records_db
    before = _snapshot(settings)
    caplog.set_level(logging.DEBUG)
    again = seed_records(settings, firearms, SEED, extra_firearms=600)
    assert again.rows == first.rows
    assert _snapshot(settings) == before
    with psycopg2.connect(settings.pg_dsn()) as connection, connection.cursor() as cur:
        cur.execute("SELECT full_name FROM purchasers LIMIT 20")
        names = [r[0] for r in cur.fetchall()]
    connection.close()
    assert names and not any(name in caplog.text for name in names)


def test_seeding_without_schema_is_a_clear_error(stack, settings, unique_name):
    bare = settings.with_changes(pg_db=unique_name.replace("-", "_"))
    postgres.ensure_database(bare)
    try:
        with pytest.raises(RecordsError, match="migrations"):
            seed_records(bare, generate_firearms(5, 1), 1, extra_firearms=0)
    finally:
        admin = psycopg2.connect(settings.pg_dsn(dbname="postgres", user=postgres.SUPERUSER))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(bare.pg_db)))
        admin.close()
