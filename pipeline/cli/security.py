"""`tracepipe kafka`: who may do what on the stream (SCRAM users and ACLs), and an agency's credentials."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.base import STATE, app, console
from pipeline.errors import ConfigError
from pipeline.i18n import t

kafka_app = typer.Typer(no_args_is_help=True,
                        help="Kafka principals, credentials and ACLs (TRACEPIPE_KAFKA_SECURITY=scram).")
app.add_typer(kafka_app, name="kafka")


def _require_security() -> None:
    if not STATE.settings.kafka_scram:
        raise ConfigError(t("kafka_security_off", STATE.settings.lang))


@kafka_app.command("provision")
def provision_command() -> None:
    """Set every principal's credentials, create the agencies' topics and apply the ACLs (safe to run twice;
    `stack up` does it too)."""
    from pipeline.stack.kafka_security import provision

    _require_security()
    report = provision(STATE.settings)
    console.print(t("kafka_provisioned", STATE.settings.lang, principals=report.principals,
                    topics=report.agency_topics_created, acls=report.acls_created, present=report.acls_present))


@kafka_app.command("acls")
def acls_command(agency: list[str] = typer.Option(None, "--agency",  # noqa: B008 - typer's idiom
                                                  help="agencies to include (default: the registry's)")) -> None:
    """Print every principal's ACLs as a Markdown table (the table in docs/ARCHITECTURE.md)."""
    from pipeline.stack.kafka_acls import acl_table
    from pipeline.stack.kafka_security import registered_agency_ids

    ids = agency or registered_agency_ids(STATE.settings)
    console.print(acl_table(STATE.settings, ids), highlight=False, markup=False, soft_wrap=True)


@kafka_app.command("credentials")
def credentials_command(
    agency: str = typer.Argument(..., help="agency id, e.g. FGE-JAL"),
    out: Path = typer.Option(..., "--out", help="client.properties file to write (mode 0600)"),
) -> None:
    """Write the agency's Kafka client settings (bootstrap, SASL/SCRAM login, its topic) to FILE for the
    agency's producer. The password goes to the file only, never to the screen."""
    from pipeline.stack.kafka_security import agency_client_properties, provision, registered_agency_ids

    _require_security()
    lang = STATE.settings.lang
    if agency not in registered_agency_ids(STATE.settings, strict=True):
        raise ConfigError(t("kafka_unknown_agency", lang, agency=agency))
    provision(STATE.settings, [agency])
    topic = agency_client_properties(STATE.settings, agency, out)
    console.print(t("kafka_credentials_written", lang, agency=agency, path=out, topic=topic), highlight=False)
