"""Web sessions in PostgreSQL: a random id in an HttpOnly, SameSite=Strict cookie; only its hash is stored.

A session belongs to an account, so revoking the account (or its expiry) ends the session at once: every
page looks the account up through the session on each request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipeline.rules.access import Caller, Role

SESSION_HOURS = 8
COOKIE = "tp_session"


@dataclass(frozen=True)
class Session:
    """The signed-in caller and the CSRF token its forms must carry."""

    caller: Caller
    csrf_token: str


def _hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode("utf-8")).digest()


def open_session(conn: Any, caller: Caller, now: datetime) -> tuple[str, Session]:
    """A new session for `caller`: (the cookie value, the session)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO web_sessions (session_hash, account_id, csrf_token, created_at, expires_at) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    (_hash(session_id), caller.account_id, csrf, now, now + timedelta(hours=SESSION_HOURS)))
    return session_id, Session(caller, csrf)


def find_session(conn: Any, session_id: str, now: datetime) -> Session | None:
    """The live session of a cookie whose account is still live; None otherwise."""
    if not session_id or len(session_id) > 100:
        return None
    with conn.cursor() as cur:
        cur.execute("SELECT a.account_id, a.agency_id, a.role, s.csrf_token FROM web_sessions s "
                    "JOIN accounts a USING (account_id) WHERE s.session_hash = %s AND s.expires_at > %s "
                    "AND a.revoked_at IS NULL AND a.expires_at > %s", (_hash(session_id), now, now))
        row = cur.fetchone()
    return None if row is None else Session(Caller(row[0], row[1], Role(row[2])), row[3])


def close_session(conn: Any, session_id: str) -> None:
    """Sign out: the session is gone."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM web_sessions WHERE session_hash = %s", (_hash(session_id),))


def csrf_ok(session: Session, submitted: str | None) -> bool:
    """Whether a form carried this session's CSRF token (constant-time)."""
    return submitted is not None and secrets.compare_digest(session.csrf_token, submitted)
