"""The agency registry in PostgreSQL: synced from the data in pipeline/vocab/agencies.py, extended by admins.

Syncing never deletes an agency and never changes an agency's sharing choice.
"""

from __future__ import annotations

from typing import Any

from pipeline.settings import Settings
from pipeline.vocab.agencies import Accreditation, Agency, AgencyKind, default_agencies

COLUMNS = ("agency_id", "name", "kind", "state_code", "accreditation", "shares_with_state")


def agency_from_row(row: tuple[Any, ...]) -> Agency:
    """An Agency from a row of COLUMNS."""
    agency_id, name, kind, state_code, accreditation, shares = row
    return Agency(agency_id, name, AgencyKind(kind), state_code, Accreditation(accreditation), bool(shares))


def sync_registry(conn: Any) -> int:
    """Insert the default agencies that are missing and refresh their names and accreditation; returns rows written."""
    rows = [(a.agency_id, a.name, a.kind.value, a.state_code, a.accreditation.value) for a in default_agencies()]
    with conn.cursor() as cur:
        from psycopg2.extras import execute_values

        execute_values(
            cur,
            "INSERT INTO agencies (agency_id, name, kind, state_code, accreditation) VALUES %s "
            "ON CONFLICT (agency_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, "
            "state_code = EXCLUDED.state_code, accreditation = EXCLUDED.accreditation",
            rows,
        )
    return len(rows)


def register_agencies(settings: Settings) -> int:
    """Sync the registry as the admin role (after migrations: `stack up`, tests' private databases)."""
    import psycopg2

    conn = psycopg2.connect(settings.pg_dsn_as("admin"))
    try:
        with conn:
            return sync_registry(conn)
    finally:
        conn.close()


def load_agencies(conn: Any) -> list[Agency]:
    """Every agency in the database."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM agencies ORDER BY agency_id")  # noqa: S608 - constant
        return [agency_from_row(row) for row in cur.fetchall()]
