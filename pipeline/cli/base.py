"""The root `tracepipe` command: settings read once for every command, the console, the language."""

from __future__ import annotations

import typer
from rich.console import Console

from pipeline.accounts import cli as accounts_cli
from pipeline.errors import TracepipeError
from pipeline.settings import Settings

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="tracepipe: firearm-trace pipeline / canal de rastreo de armas de fuego")

console = Console()


class _State:
    """Settings for this invocation, filled by the root callback (read from the environment once)."""

    settings: Settings


STATE = _State()


@app.callback()
def root(lang: str = typer.Option(None, "--lang", help="en | es (default: TRACEPIPE_LANG or en)")) -> None:
    """Read settings once for every command."""
    settings = Settings.from_env()
    if lang is not None:
        if lang not in ("en", "es"):
            raise TracepipeError(f"--lang must be 'en' or 'es', got {lang!r}")
        settings = settings.with_changes(lang=lang)
    STATE.settings = settings
    accounts_cli.CONTEXT.settings = settings

