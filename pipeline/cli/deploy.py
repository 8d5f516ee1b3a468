"""`tracepipe deploy render`: regenerate, or check, the deployment files derived from the topology."""

from __future__ import annotations

import typer

from pipeline.cli.base import STATE, app, console
from pipeline.errors import TracepipeError
from pipeline.i18n import t

deploy_app = typer.Typer(no_args_is_help=True, help="Deployment files (deploy/) generated from the topology.")
app.add_typer(deploy_app, name="deploy")


@deploy_app.command("render")
def deploy_render(
    check: bool = typer.Option(False, "--check", help="exit 1 if a generated file differs from the topology"),
    write: bool = typer.Option(False, "--write", help="rewrite the generated files (and generated blocks)"),
) -> None:
    """The Strimzi topics and users, and the per-principal lists of the compose and Kubernetes files."""
    from pipeline.stack import deploy_files

    lang = STATE.settings.lang
    if check == write:
        raise TracepipeError(t("deploy_render_mode", lang))
    if write:
        changed = deploy_files.write()
        console.print(t("deploy_render_written", lang, count=len(changed), files=", ".join(changed) or "-"),
                      soft_wrap=True)
        return
    stale = deploy_files.drifted()
    if stale:
        console.print(t("deploy_render_drift", lang, files=", ".join(stale)), soft_wrap=True)
        raise typer.Exit(1)
    console.print(t("deploy_render_current", lang))
