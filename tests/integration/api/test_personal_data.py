"""Purchaser identity: investigators only, with a reason, one audit row per read; the audit log is append-only."""

from __future__ import annotations

import psycopg2
import pytest

from pipeline.settings import DB_PURPOSES
from tests.integration.api.world import NAME_MARK


def _audit_rows(api, account_id: str) -> list[tuple]:
    with api.owner() as conn, conn.cursor() as cur:
        cur.execute("SELECT role, action, subject, reason, db_role FROM audit_log WHERE account = %s ORDER BY id",
                    (account_id,))
        return cur.fetchall()


def test_an_investigator_reads_the_purchaser_with_a_reason_and_it_is_audited(api):
    account = api.world.accounts["jal_investigator"]
    before = _audit_rows(api, account)
    plain = api.get("/v1/traces/TR-FGEJAL-1", "jal_investigator").json()
    assert plain["purchaser"] is None  # no reason given: no identity, no audit row
    assert _audit_rows(api, account) == before
    assert api.get("/v1/traces/TR-FGEJAL-1", "jal_investigator", reason="   ").status_code == 400
    answer = api.get("/v1/traces/TR-FGEJAL-1", "jal_investigator", reason="case CI-JAL-2024-77")
    assert answer.status_code == 200
    purchaser = answer.json()["purchaser"]
    assert purchaser["purchaser_id"] == api.world.purchasers["TR-FGEJAL-1"]
    assert NAME_MARK in purchaser["full_name"]
    rows = _audit_rows(api, account)[len(before):]
    assert rows == [("investigator", "records.purchaser.read", purchaser["purchaser_id"], "case CI-JAL-2024-77",
                     api.settings.db_role("api")[0])]


def test_an_investigator_cannot_read_the_purchaser_of_a_trace_it_may_not_see(api):
    account = api.world.accounts["jal_investigator"]
    before = _audit_rows(api, account)
    assert api.get("/v1/traces/TR-FGESON-1", "jal_investigator", reason="fishing").status_code == 404
    assert _audit_rows(api, account) == before


@pytest.mark.parametrize("purpose", ["owner", *DB_PURPOSES])
def test_audit_rows_can_be_neither_changed_nor_deleted_by_any_role(api, purpose):
    conn = psycopg2.connect(api.settings.pg_dsn_as(purpose))
    try:
        for statement in ("UPDATE audit_log SET reason = 'rewritten'", "DELETE FROM audit_log",
                          "TRUNCATE audit_log"):
            with pytest.raises(psycopg2.Error) as refused, conn, conn.cursor() as cur:
                cur.execute(statement)
            assert isinstance(refused.value, psycopg2.errors.InsufficientPrivilege), (purpose, statement)
    finally:
        conn.close()
    with api.owner() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_log WHERE reason = 'rewritten'")
        assert cur.fetchone()[0] == 0


@pytest.mark.parametrize("purpose", DB_PURPOSES)
def test_no_application_role_selects_purchasers_directly(api, purpose):
    conn = psycopg2.connect(api.settings.pg_dsn_as(purpose))
    try:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn, conn.cursor() as cur:
            cur.execute("SELECT full_name FROM purchasers LIMIT 1")
    finally:
        conn.close()
