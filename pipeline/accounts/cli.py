"""`tracepipe accounts|agencies|sharing|audit`: admin tasks, run as the admin database role, every change audited.

A token is printed once, when it is created or rotated, and never again: only its hash is stored.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from pipeline.i18n import t
from pipeline.rules.access import Role
from pipeline.settings import Settings

accounts_app = typer.Typer(no_args_is_help=True, help="Agency accounts and their tokens.")
agencies_app = typer.Typer(no_args_is_help=True, help="The agency registry.")
sharing_app = typer.Typer(no_args_is_help=True, help="An agency's opt-in sharing with the agencies of its state.")
console = Console()


class _Context:
    """Settings of this invocation (set by the root callback in pipeline/cli/base.py)."""

    settings: Settings


CONTEXT = _Context()


@contextmanager
def admin_connection() -> Iterator[Any]:
    """One transaction as the admin role (committed when the block ends without error)."""
    import psycopg2

    conn = psycopg2.connect(CONTEXT.settings.pg_dsn_as("admin"))
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def _actor() -> Any:
    from pipeline.accounts.store import Actor

    return Actor(f"cli:{getpass.getuser()}", "admin")


def _now() -> datetime:
    return datetime.now(UTC)


def _lang() -> str:
    return CONTEXT.settings.lang


def _print_token(account: Any, token: str) -> None:
    console.print(t("account_token_once", _lang(), account=account.account_id, agency=account.agency_id,
                    role=account.role.value, expires=account.expires_at.date().isoformat()))
    print(token)  # plain stdout, so it can be piped; shown this once


@accounts_app.command("create")
def create(agency: str = typer.Option(..., "--agency", help="agency id, e.g. FGE-JAL, FGR, ATF"),
           role: Role = typer.Option(..., "--role", help="analyst, investigator, national_analyst, ops, admin"),
           label: str = typer.Option(..., "--label", help="who or what holds it (a person, a system)"),
           days: int = typer.Option(90, "--days", help="days until the token expires (1 to 366)")) -> None:
    """Create an account and print its token (once)."""
    from pipeline.accounts.store import create_account

    with admin_connection() as conn:
        account, token = create_account(conn, _actor(), agency, role, label, _now(), days)
    _print_token(account, token)


@accounts_app.command("list")
def list_(agency: str = typer.Option(None, "--agency", help="only this agency's accounts")) -> None:
    """Accounts with their state (tokens are never shown, only their first characters)."""
    from pipeline.accounts.store import list_accounts

    with admin_connection() as conn:
        accounts = list_accounts(conn, agency)
    lang, now = _lang(), _now()
    table = Table(*(t(k, lang) for k in ("col_account", "col_agency", "col_role", "col_label", "col_token",
                                           "col_expires", "col_state")))
    for account in accounts:
        table.add_row(account.account_id, account.agency_id, account.role.value, account.label,
                      account.token_hint + "…", account.expires_at.date().isoformat(), account.state(now))
    console.print(table)


@accounts_app.command("revoke")
def revoke(account_id: str = typer.Argument(..., help="the account id (acct_…)")) -> None:
    """Revoke an account: its token stops working at once."""
    from pipeline.accounts.store import revoke_account

    with admin_connection() as conn:
        revoke_account(conn, _actor(), account_id, _now())
    console.print(t("account_revoked", _lang(), account=account_id))


@accounts_app.command("rotate")
def rotate(account_id: str = typer.Argument(..., help="the account id (acct_…)"),
           days: int = typer.Option(90, "--days", help="days until the new token expires")) -> None:
    """Give an account a new token (printed once); the old one stops working at once."""
    from pipeline.accounts.store import rotate_account

    with admin_connection() as conn:
        account, token = rotate_account(conn, _actor(), account_id, _now(), days)
    _print_token(account, token)


@agencies_app.command("list")
def agencies_list() -> None:
    """Every agency with its accreditation and sharing choice."""
    from pipeline.accounts.registry import load_agencies

    with admin_connection() as conn:
        agencies = load_agencies(conn)
    lang = _lang()
    table = Table(*(t(k, lang) for k in ("col_agency", "col_name", "col_kind", "col_state_code",
                                           "col_accreditation", "col_sharing")))
    for agency in agencies:
        table.add_row(agency.agency_id, agency.name, agency.kind.value, agency.state_code or "",
                      agency.accreditation.value, "✓" if agency.shares_with_state else "")
    console.print(table)


@agencies_app.command("sync")
def agencies_sync() -> None:
    """Write the built-in registry (32 states, FGR, ATF) into the database; sharing choices are kept."""
    from pipeline.accounts.registry import sync_registry

    with admin_connection() as conn:
        count = sync_registry(conn)
    console.print(t("agencies_synced", _lang(), count=count))


@agencies_app.command("add")
def agencies_add(agency_id: str = typer.Option(..., "--id", help="e.g. SSP-GDL"),
                 name: str = typer.Option(..., "--name", help="the agency's name"),
                 state: str = typer.Option(..., "--state", help="its Mexican state (name, abbreviation or code)"),
                 in_training: bool = typer.Option(False, "--in-training", help="accredited later")) -> None:
    """Register a municipal police agency."""
    from pipeline.accounts.store import add_municipal_agency
    from pipeline.errors import ConfigError
    from pipeline.normalize import normalize_state
    from pipeline.vocab.agencies import Accreditation

    state_code = normalize_state(state)
    if state_code is None:
        raise ConfigError(t("unknown_state", _lang(), state=state))
    standing = Accreditation.IN_TRAINING if in_training else Accreditation.ACCREDITED
    with admin_connection() as conn:
        agency = add_municipal_agency(conn, _actor(), agency_id, name, state_code, standing)
    console.print(t("agency_added", _lang(), agency=agency.agency_id, state=agency.state_code))


def _set_sharing(agency: str, on: bool) -> None:
    from pipeline.accounts.store import set_sharing

    with admin_connection() as conn:
        set_sharing(conn, _actor(), agency, on)
    console.print(t("sharing_on" if on else "sharing_off", _lang(), agency=agency))


@sharing_app.command("on")
def sharing_on(agency: str = typer.Argument(..., help="agency id")) -> None:
    """Share this agency's traces with the agencies of its state that share too."""
    _set_sharing(agency, True)


@sharing_app.command("off")
def sharing_off(agency: str = typer.Argument(..., help="agency id")) -> None:
    """Stop sharing: the other agencies no longer see this agency's traces, at once."""
    _set_sharing(agency, False)


def audit_command(account: str | None, subject: str | None, since: datetime | None, until: datetime | None,
                  limit: int) -> None:
    """Print audit rows, newest first."""
    from pipeline.accounts.audit import query

    with admin_connection() as conn:
        rows = query(conn, account=account, subject=subject, since=since, until=until, limit=limit)
    lang = _lang()
    table = Table(*(t(k, lang) for k in ("col_at", "col_account", "col_role", "col_action", "col_subject",
                                           "col_reason")))
    for row in rows:
        table.add_row(row.at.isoformat(timespec="seconds"), row.account, row.role, row.action, row.subject,
                      row.reason or "")
    console.print(table)
