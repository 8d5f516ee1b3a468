"""After the demo: demo accounts for two agencies (and a national analyst), the results API serving the
demo's traces, and the lines a user copies to try it."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
from rich.console import Console

from pipeline.accounts.store import Actor, create_account
from pipeline.accounts.tokens import token_hint
from pipeline.api.leads_queries import top_dealers
from pipeline.api.scope import Scope
from pipeline.i18n import t
from pipeline.rules.access import Role
from pipeline.service import create_service
from pipeline.settings import Settings
from pipeline.stack.process import port_open
from pipeline.stack.serving import ServerThread

DEMO_ACCOUNTS = (
    ("FGE-JAL", Role.ANALYST, "demo analyst, Jalisco"),
    ("FGE-CHH", Role.ANALYST, "demo analyst, Chihuahua"),
    ("FGE-JAL", Role.INVESTIGATOR, "demo investigator, Jalisco"),
    ("FGR", Role.NATIONAL_ANALYST, "demo national analyst, FGR"),
)


def create_demo_accounts(demo: Settings) -> list[tuple[str, str, str]]:
    """(agency, role, token) of each demo account, created in the demo's (throwaway) database, valid a week."""
    actor = Actor("demo", "admin")
    made = []
    conn = psycopg2.connect(demo.pg_dsn_as("admin"))
    try:
        with conn:
            for agency, role, label in DEMO_ACCOUNTS:
                _, token = create_account(conn, actor, agency, role, label, datetime.now(UTC), days=7)
                made.append((agency, role.value, token))
    finally:
        conn.close()
    return made


def write_tokens_file(demo: Settings, accounts: list[tuple[str, str, str]]) -> Path:
    """Write the demo accounts' tokens ("agency role token" lines) to a file only the user may read: tokens are
    never printed, so the terminal (and its scrollback or a shared screen) shows only their hints."""
    path = demo.state_dir / "demo-tokens.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.writelines(f"{agency} {role} {token}\n" for agency, role, token in accounts)
    return path


def print_leads(demo: Settings, console: Console) -> None:
    """The three dealers with the highest trafficking score over every trace (the national view)."""
    conn = psycopg2.connect(demo.pg_dsn_as("api"))
    try:
        with conn:
            top = top_dealers(conn, Scope(None), 3)
    finally:
        conn.close()
    lang = demo.lang
    console.print(t("demo_leads_title", lang))
    for lead, row in top:
        evidence = lead.evidence
        console.print(t("demo_lead_dealer", lang, license=lead.lead_id, name=row.get("name") or "?",
                        score=lead.score.points, traces=evidence.traces, short=evidence.short_ttc_traces,
                        reports=evidence.multiple_sale_reports), highlight=False)


def api_tour(demo: Settings, port: int, serve: bool, console: Console) -> None:
    """Print how to try the API with the demo accounts; serve it until Ctrl-C when `serve`."""
    lang = demo.lang
    if not port:
        return
    if serve and port_open(port):
        console.print(t("demo_api_port_taken", lang, port=port))
        serve = False
    accounts = create_demo_accounts(demo)
    tokens_file = write_tokens_file(demo, accounts)
    url = f"http://127.0.0.1:{port}"
    console.print(t("demo_api_title", lang, url=url, path=tokens_file), highlight=False, soft_wrap=True)
    for agency, role, token in accounts:
        console.print(f"  {agency:8} {role:17} {token_hint(token)}…", highlight=False)
    console.print(t("demo_web_app", lang, url=f"{url}/app/"), highlight=False, soft_wrap=True)
    console.print(t("demo_api_try", lang), highlight=False)
    console.print(f'  curl -s -H "Authorization: Bearer $(awk \'NR==1 {{print $3}}\' {tokens_file})" '
                  f'"{url}/v1/traces?limit=3&lang={lang}"', highlight=False, soft_wrap=True)
    if not serve:
        console.print(t("demo_api_later", lang, db=demo.pg_db, port=port), highlight=False)
        return
    with ServerThread(create_service(demo), "127.0.0.1", port, "results API"):
        console.print(t("demo_api_serving", lang))
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            console.print(t("demo_api_stopped", lang))
