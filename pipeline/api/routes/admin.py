"""Admin routes (accounts, agencies, sharing, the audit log) and the operations route (consumer lag).

Every change goes through pipeline/accounts/store.py, which audits it in the same transaction, with the admin's
account id and role as the actor. The API's own PostgreSQL role may not change accounts or agencies, nor read
the audit log (migration 0006), so these routes connect as the admin role, one connection per request (admin
work is rare; no pool is kept open for it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import psycopg2
from fastapi import APIRouter, Body, Depends, Path, Query, Request

from pipeline.accounts import audit, store
from pipeline.accounts.registry import load_agencies
from pipeline.api.admin_models import (
    AGENCY_ID,
    PLAIN,
    AccountOut,
    AgencyOut,
    AuditEntry,
    IssuedToken,
    LagSummary,
    NewAccount,
    NewAgency,
    Rotation,
    Sharing,
)
from pipeline.api.deps import allowed
from pipeline.api.errors import ApiError
from pipeline.api.models import ErrorBody
from pipeline.errors import StackError
from pipeline.normalize import normalize_state
from pipeline.ops.lag.model import pipeline_stages
from pipeline.ops.lag.report import read_lag_report
from pipeline.rules.access import Agency, Caller, may_administer, may_watch_operations
from pipeline.vocab.agencies import Accreditation

router = APIRouter(prefix="/v1", tags=["admin"])
Admin = Annotated[Caller, Depends(allowed(may_administer))]
AccountId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_:.-]{1,80}$")]
AgencyId = Annotated[str, Path(pattern=AGENCY_ID)]
Filter = Annotated[str | None, Query(min_length=1, max_length=200, pattern=PLAIN)]
LAG_TIMEOUT_S = 5.0
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "no such account or agency"}}


def admin_db(request: Request) -> Iterator[Any]:
    """A connection as the admin role for this request, in one transaction (committed on success)."""
    conn = psycopg2.connect(request.app.state.settings.pg_dsn_as("admin"))
    try:
        with conn:
            yield conn
    finally:
        conn.close()


# Closed when the route function returns, before the answer is sent: a change is committed before the admin
# hears it was made (a request-scoped dependency would commit after, racing the admin's next request).
AdminDb = Annotated[Any, Depends(admin_db, scope="function")]


def _actor(who: Caller) -> store.Actor:
    return store.Actor(who.account_id, who.role.value)


def _account(account: store.Account, now: datetime) -> dict[str, Any]:
    return {"account_id": account.account_id, "agency_id": account.agency_id, "label": account.label,
            "role": account.role, "token_hint": account.token_hint, "created_at": account.created_at,
            "expires_at": account.expires_at, "revoked_at": account.revoked_at, "state": account.state(now)}


def _agency(agency: Agency) -> dict[str, Any]:
    return {"agency_id": agency.agency_id, "name": agency.name, "kind": agency.kind, "state_code": agency.state_code,
            "accreditation": agency.accreditation, "shares_with_state": agency.shares_with_state}


def _missing_is_404(exc: store.AccountError) -> ApiError | store.AccountError:
    """An unknown account or agency named in the path is a 404 (a bad value in a body stays a 400)."""
    if exc.key in ("unknown_account", "unknown_agency"):
        return ApiError(404, exc.key, **exc.values)
    return exc


@router.post("/admin/accounts", status_code=201, response_model=IssuedToken, summary="Create an account")
def create_account(body: NewAccount, who: Admin, conn: AdminDb) -> dict[str, Any]:
    """A new account of an agency and its token, shown in this answer only (keep it secret)."""
    now = datetime.now(UTC)
    account, token = store.create_account(conn, _actor(who), body.agency_id, body.role, body.label, now, body.days)
    return {"account": _account(account, now), "token": token}


@router.get("/admin/accounts", response_model=list[AccountOut], summary="List accounts")
def list_accounts(who: Admin, conn: AdminDb,
                  agency: Annotated[str | None, Query(pattern=AGENCY_ID)] = None) -> list[dict[str, Any]]:
    """Every account (of one agency), oldest first, with its state; never a token, only its first characters."""
    now = datetime.now(UTC)
    return [_account(account, now) for account in store.list_accounts(conn, agency)]


@router.post("/admin/accounts/{account_id}/revoke", response_model=AccountOut, summary="Revoke an account",
             responses=NOT_FOUND)
def revoke_account(account_id: AccountId, who: Admin, conn: AdminDb) -> dict[str, Any]:
    """Its token stops working at once (every request is authenticated against the database)."""
    now = datetime.now(UTC)
    try:
        account = store.revoke_account(conn, _actor(who), account_id, now)
    except store.AccountError as exc:
        raise _missing_is_404(exc) from None
    return _account(account, now)


@router.post("/admin/accounts/{account_id}/rotate", response_model=IssuedToken, summary="Rotate an account's token",
             responses=NOT_FOUND)
def rotate_account(account_id: AccountId, who: Admin, conn: AdminDb,
                   body: Annotated[Rotation | None, Body()] = None) -> dict[str, Any]:
    """A new token for a live account, shown in this answer only; the old one stops working at once."""
    now = datetime.now(UTC)
    days = (body or Rotation()).days
    try:
        account, token = store.rotate_account(conn, _actor(who), account_id, now, days)
    except store.AccountError as exc:
        raise _missing_is_404(exc) from None
    return {"account": _account(account, now), "token": token}


@router.get("/admin/agencies", response_model=list[AgencyOut], summary="List agencies")
def list_agencies(who: Admin, conn: AdminDb) -> list[dict[str, Any]]:
    """Every agency with its kind, state, accreditation and sharing choice."""
    return [_agency(agency) for agency in load_agencies(conn)]


@router.post("/admin/agencies", status_code=201, response_model=AgencyOut, summary="Register a municipal agency")
def add_agency(body: NewAgency, who: Admin, conn: AdminDb) -> dict[str, Any]:
    """A municipal police agency of a Mexican state (refused if the id exists)."""
    state_code = normalize_state(body.state)
    if state_code is None:
        raise ApiError(400, "unknown_state", state=body.state)
    standing = Accreditation.IN_TRAINING if body.in_training else Accreditation.ACCREDITED
    agency = store.add_municipal_agency(conn, _actor(who), body.agency_id, body.name.strip(), state_code, standing)
    return _agency(agency)


@router.put("/admin/agencies/{agency_id}/sharing", response_model=AgencyOut, summary="Switch state sharing",
            responses=NOT_FOUND)
def set_sharing(agency_id: AgencyId, body: Sharing, who: Admin, conn: AdminDb) -> dict[str, Any]:
    """Opt an agency in to (or out of) sharing its traces with the agencies of its state. Reciprocal: two
    agencies see each other's traces only while both share; switching off hides them again at once."""
    try:
        agency = store.set_sharing(conn, _actor(who), agency_id, body.on)
    except store.AccountError as exc:
        raise _missing_is_404(exc) from None
    return _agency(agency)


@router.get("/admin/audit", response_model=list[AuditEntry], summary="Read the audit log")
def read_audit(who: Admin, conn: AdminDb, account: Filter = None, subject: Filter = None,
               since: datetime | None = None, until: datetime | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    """Rows matching every filter given (who, about what, from `since` up to `until`), newest first."""
    rows = audit.query(conn, account=account, subject=subject, since=since, until=until, limit=limit)
    return [{"id": row.id, "at": row.at, "account": row.account, "role": row.role, "action": row.action,
             "subject": row.subject, "reason": row.reason, "detail": dict(row.detail or {})} for row in rows]


@router.get("/ops/lag", response_model=LagSummary, summary="Consumer lag of the pipeline", tags=["ops"],
            responses={503: {"model": ErrorBody, "description": "the broker did not answer"}})
def ops_lag(request: Request, who: Annotated[Caller, Depends(allowed(may_watch_operations))]) -> dict[str, Any]:
    """Records each processor still has to read from its input topic and how old the oldest is, and the
    totals of their consumer groups (as `tracepipe lag` shows them)."""
    settings = request.app.state.settings
    if not request.app.state.broker_ready():
        raise ApiError(503, "lag_unavailable")
    stages = pipeline_stages(settings)
    try:
        report = read_lag_report(settings, [stage.group for stage in stages], timeout_s=LAG_TIMEOUT_S)
    except StackError:
        raise ApiError(503, "lag_unavailable") from None
    summary = report.as_json()
    return {"taken_at": summary["taken_at"], "total_lag": sum(stage.lag for stage in report.stages),
            "stages": summary["stages"], "groups": summary["groups"]}
