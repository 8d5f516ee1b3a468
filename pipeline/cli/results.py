"""`tracepipe accounts|agencies|sharing|audit|api`: the downstream side, accounts and the results API."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from pipeline.accounts import cli as accounts_cli
from pipeline.cli.base import STATE, app, console
from pipeline.i18n import t

app.add_typer(accounts_cli.accounts_app, name="accounts")
app.add_typer(accounts_cli.agencies_app, name="agencies")
app.add_typer(accounts_cli.sharing_app, name="sharing")


@app.command("audit")
def audit(account: str = typer.Option(None, "--account", help="only this account (acct_… or cli:user)"),
          subject: str = typer.Option(None, "--subject", help="only this subject (a purchaser, account or agency id)"),
          since: datetime = typer.Option(None, "--since", help="from this time (ISO 8601, UTC if no offset)"),
          until: datetime = typer.Option(None, "--until", help="before this time"),
          limit: int = typer.Option(100, "--limit", min=1, max=10000)) -> None:
    """The audit log (admins): personal-data reads and account, agency and sharing changes."""
    accounts_cli.audit_command(account, subject, _utc(since), _utc(until), limit)


def _utc(moment: datetime | None) -> datetime | None:
    """Times given without an offset are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@app.command("api")
def api(
    host: str = typer.Option("127.0.0.1", "--host", envvar="TRACEPIPE_API_HOST", help="address to listen on"),
    port: int = typer.Option(8091, "--port", min=1, max=65535, envvar="TRACEPIPE_API_PORT", help="port"),
    write_openapi: Path = typer.Option(None, "--write-openapi", help="write the OpenAPI document here and exit"),
) -> None:
    """The results API for agency accounts (search, detail, status, export, leads, submission)."""
    from pipeline.api.app import openapi_document
    from pipeline.service import serve

    if write_openapi is not None:
        write_openapi.write_text(openapi_document(STATE.settings), encoding="utf-8")
        console.print(str(write_openapi))
        return

    console.print(t("api_serving", STATE.settings.lang, host=host, port=port))
    serve(STATE.settings, host, port)


