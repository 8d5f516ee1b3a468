"""The audit log: who (account, role), what (action, subject), when, why. Append-only in PostgreSQL itself.

Every personal-data read and every account, agency or sharing change writes one row. Rows never hold the
personal data they are about, and never a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg2.extras import Json

ACCOUNT_CREATED = "account.created"
ACCOUNT_REVOKED = "account.revoked"
ACCOUNT_ROTATED = "account.rotated"
AGENCY_ADDED = "agency.added"
SHARING_CHANGED = "agency.sharing"
PURCHASER_READ = "records.purchaser.read"  # written by the read_purchasers function (migration 0006)


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as admins read it."""

    id: int
    at: datetime
    account: str
    role: str
    action: str
    subject: str
    reason: str | None
    detail: dict[str, Any]


def record(cur: Any, account: str, role: str, action: str, subject: str, reason: str | None = None,
           **detail: Any) -> None:
    """Append one row in the caller's transaction (so it commits or rolls back with the change it records)."""
    cur.execute(
        "INSERT INTO audit_log (account, role, action, subject, reason, detail) VALUES (%s, %s, %s, %s, %s, %s)",
        (account, role, action, subject, reason, Json(detail)),
    )


def query(conn: Any, *, account: str | None = None, subject: str | None = None, since: datetime | None = None,
          until: datetime | None = None, limit: int = 100) -> list[AuditRow]:
    """Rows matching every filter given, newest first."""
    clauses, params = [], []
    for column, op, value in (("account", "=", account), ("subject", "=", subject), ("at", ">=", since),
                              ("at", "<", until)):
        if value is not None:
            clauses.append(f"{column} {op} %s")
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT id, at, account, role, action, subject, reason, detail FROM audit_log {where} "  # noqa: S608
            "ORDER BY at DESC, id DESC LIMIT %s",  # clauses are built from the constants above only
            (*params, limit),
        )
        return [AuditRow(*row) for row in cur.fetchall()]
