"""Accounts in PostgreSQL: create, list, revoke, rotate, authenticate; agencies and their sharing opt-in.

Changes are made by an actor (an admin account, or `cli:<user>` for the command line) and audited in the
same transaction. Authentication reads the database on every request, so a revocation takes effect at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipeline.accounts import audit
from pipeline.accounts.registry import COLUMNS, agency_from_row
from pipeline.accounts.tokens import looks_like_token, new_token, token_hash, token_hint
from pipeline.errors import TracepipeError
from pipeline.rules.access import Agency, AgencyKind, Caller, Role, role_refusal, sharing_refusal
from pipeline.vocab.agencies import Accreditation

DEFAULT_DAYS = 90
MAX_DAYS = 366


class AccountError(TracepipeError):
    """An account or agency change was refused; `key` names the message in pipeline/i18n.py."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Account:
    """An account as admins list it (never with its token)."""

    account_id: str
    agency_id: str
    label: str
    role: Role
    token_hint: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """active, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an admin's account id and role, or the command line."""

    account: str
    role: str


_ACCOUNT_COLUMNS = "account_id, agency_id, label, role, token_hint, created_at, expires_at, revoked_at"
_RETURNING = " RETURNING account_id, agency_id, label, role, token_hint, created_at, expires_at, revoked_at"
_INSERT_ACCOUNT = (
    "INSERT INTO accounts (account_id, agency_id, label, role, token_hash, token_hint, created_at, expires_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)" + _RETURNING
)
_REVOKE = "UPDATE accounts SET revoked_at = %s WHERE account_id = %s AND revoked_at IS NULL" + _RETURNING  # noqa: S608
_ROTATE = ("UPDATE accounts SET token_hash = %s, token_hint = %s, expires_at = %s "  # noqa: S608
           "WHERE account_id = %s AND revoked_at IS NULL" + _RETURNING)


def _account(row: tuple[Any, ...]) -> Account:
    account_id, agency_id, label, role, hint, created, expires, revoked = row
    return Account(account_id, agency_id, label, Role(role), hint, created, expires, revoked)


def get_agency(conn: Any, agency_id: str) -> Agency:
    """One agency, or AccountError("unknown_agency")."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM agencies WHERE agency_id = %s", (agency_id,))  # noqa: S608
        row = cur.fetchone()
    if row is None:
        raise AccountError("unknown_agency", agency=agency_id)
    return agency_from_row(row)


def _days(days: int) -> timedelta:
    if not 1 <= days <= MAX_DAYS:
        raise AccountError("bad_days", high=MAX_DAYS)
    return timedelta(days=days)


def create_account(conn: Any, actor: Actor, agency_id: str, role: Role, label: str, now: datetime,
                   days: int = DEFAULT_DAYS) -> tuple[Account, str]:
    """A new account and its token (the only time the token is seen)."""
    agency = get_agency(conn, agency_id)
    refusal = role_refusal(agency, role)
    if refusal is not None:
        raise AccountError(refusal, agency=agency_id, role=role.value)
    if not label.strip() or len(label) > 200:
        raise AccountError("bad_label")
    token = new_token()
    account_id = f"acct_{secrets.token_hex(6)}"
    with conn.cursor() as cur:
        cur.execute(
            _INSERT_ACCOUNT,
            (account_id, agency_id, label.strip(), role.value, token_hash(token), token_hint(token), now,
             now + _days(days)),
        )
        account = _account(cur.fetchone())
        audit.record(cur, actor.account, actor.role, audit.ACCOUNT_CREATED, account_id, None,
                     agency=agency_id, granted_role=role.value, expires_at=account.expires_at.isoformat())
    return account, token


def list_accounts(conn: Any, agency_id: str | None = None) -> list[Account]:
    """Every account (of one agency), oldest first."""
    where, params = ("WHERE agency_id = %s", (agency_id,)) if agency_id else ("", ())
    with conn.cursor() as cur:
        cur.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts {where} ORDER BY created_at, account_id", params)  # noqa: S608
        return [_account(row) for row in cur.fetchall()]


def revoke_account(conn: Any, actor: Actor, account_id: str, now: datetime) -> Account:
    """Revoke at once (authentication checks on every request); revoking twice is refused."""
    with conn.cursor() as cur:
        cur.execute(_REVOKE, (now, account_id))
        row = cur.fetchone()
        if row is None:
            raise AccountError("unknown_account", account=account_id)
        audit.record(cur, actor.account, actor.role, audit.ACCOUNT_REVOKED, account_id)
    return _account(row)


def rotate_account(conn: Any, actor: Actor, account_id: str, now: datetime,
                   days: int = DEFAULT_DAYS) -> tuple[Account, str]:
    """A new token for a live account; the old token stops working at once."""
    token = new_token()
    with conn.cursor() as cur:
        cur.execute(
            _ROTATE,
            (token_hash(token), token_hint(token), now + _days(days), account_id),
        )
        row = cur.fetchone()
        if row is None:
            raise AccountError("unknown_account", account=account_id)
        audit.record(cur, actor.account, actor.role, audit.ACCOUNT_ROTATED, account_id)
    return _account(row), token


def authenticate(conn: Any, token: str, now: datetime) -> Caller | None:
    """The caller a token belongs to, or None (unknown, malformed, expired or revoked: never a reason why)."""
    if not looks_like_token(token):
        return None
    with conn.cursor() as cur:
        cur.execute("SELECT account_id, agency_id, role FROM accounts "
                    "WHERE token_hash = %s AND revoked_at IS NULL AND expires_at > %s", (token_hash(token), now))
        row = cur.fetchone()
    return None if row is None else Caller(row[0], row[1], Role(row[2]))


def set_sharing(conn: Any, actor: Actor, agency_id: str, on: bool) -> Agency:
    """Turn an agency's opt-in sharing with the agencies of its state on or off."""
    agency = get_agency(conn, agency_id)
    if on:
        refusal = sharing_refusal(agency)
        if refusal is not None:
            raise AccountError(refusal, agency=agency_id)
    with conn.cursor() as cur:
        cur.execute("UPDATE agencies SET shares_with_state = %s WHERE agency_id = %s", (on, agency_id))
        audit.record(cur, actor.account, actor.role, audit.SHARING_CHANGED, agency_id, None, shares_with_state=on)
    return get_agency(conn, agency_id)


def add_municipal_agency(conn: Any, actor: Actor, agency_id: str, name: str, state_code: str,
                         accreditation: Accreditation = Accreditation.ACCREDITED) -> Agency:
    """Register a municipal police agency of a Mexican state (refused if the id exists)."""
    if not agency_id.isascii() or not 2 <= len(agency_id) <= 40 or not agency_id.replace("-", "").isalnum():
        raise AccountError("bad_agency_id")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO agencies (agency_id, name, kind, state_code, accreditation) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (agency_id) DO NOTHING RETURNING agency_id",
                    (agency_id, name, AgencyKind.MUNICIPAL.value, state_code, accreditation.value))
        if cur.fetchone() is None:
            raise AccountError("agency_exists", agency=agency_id)
        audit.record(cur, actor.account, actor.role, audit.AGENCY_ADDED, agency_id, None, state_code=state_code)
    return get_agency(conn, agency_id)
