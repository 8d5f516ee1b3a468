"""The `tracepipe` command line: one entry point, settings read once, errors shown as one line.

Each module registers one family of commands on the root app of `base`.
"""

from __future__ import annotations

import sys

import psycopg2
from rich.console import Console

from pipeline.accounts.store import AccountError
from pipeline.cli import agency, deploy, infra, operate, results, security  # noqa: F401 - they register their commands
from pipeline.cli.base import STATE, app
from pipeline.errors import TracepipeError
from pipeline.i18n import t


def main() -> None:
    """Console-script entry point: known errors become one readable line and exit code 2."""
    try:
        app()
    except TracepipeError as exc:
        lang = getattr(getattr(STATE, "settings", None), "lang", "en")
        message = t(exc.key, lang, **exc.values) if isinstance(exc, AccountError) else str(exc)
        Console(stderr=True).print(f"[bold red]{t('error', lang)}:[/] {message}", highlight=False)
        sys.exit(2)
    except psycopg2.Error as exc:  # the server's own first line (it never holds a password)
        lang = getattr(getattr(STATE, "settings", None), "lang", "en")
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        Console(stderr=True).print(f"[bold red]{t('error', lang)}:[/] {t('database_error', lang, problem=first)}",
                                   highlight=False)
        sys.exit(2)


