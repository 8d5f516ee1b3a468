"""Every Kafka client tracepipe makes, built here from the settings and the caller's principal.

With TRACEPIPE_KAFKA_SECURITY=none the options are just the bootstrap servers (PLAINTEXT, as the demo
always ran); with scram they add SASL_PLAINTEXT + SCRAM-SHA-512 and the principal's password. The
principal is the caller's role (pipeline/kafka_access/principals.py) unless TRACEPIPE_KAFKA_USER names
another: a deployment runs each process as its own user.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.kafka_access import credentials, principals
from pipeline.settings import Secret, Settings

if TYPE_CHECKING:  # the Kafka libraries load late: the CLI starts faster without them
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient

MECHANISM = "SCRAM-SHA-512"
PROTOCOL = "SASL_PLAINTEXT"




class _NoPlaintextScramWarning(logging.Filter):
    """kafka-python warns "Exchanging credentials in the clear" on every SCRAM login over SASL_PLAINTEXT; SCRAM
    never sends the password (only salted proofs), so the line is noise in every process's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Exchanging credentials in the clear")


_SCRAM_LOG = logging.getLogger("kafka.net.sasl.scram")
if not any(isinstance(f, _NoPlaintextScramWarning) for f in _SCRAM_LOG.filters):
    _SCRAM_LOG.addFilter(_NoPlaintextScramWarning())


@dataclass(frozen=True)
class Identity:
    """Who a client authenticates as."""

    principal: str
    password: Secret = field(repr=False)


def identity(settings: Settings, principal: str) -> Identity:
    """The identity of a process whose role is `principal`: TRACEPIPE_KAFKA_USER/PASSWORD if set, else
    the role's principal with its password from the credentials file."""
    user = settings.kafka_user or principal
    if settings.kafka_user and settings.kafka_password:
        return Identity(user, settings.kafka_password)
    return Identity(user, credentials.password_for(settings.kafka_credentials_file, user))


def client_options(settings: Settings, principal: str) -> dict[str, Any]:
    """Connection keyword arguments for kafka-python and aiokafka clients (the same names in both)."""
    options: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap}
    if settings.kafka_scram:
        who = identity(settings, principal)
        options.update(security_protocol=PROTOCOL, sasl_mechanism=MECHANISM,
                       sasl_plain_username=who.principal, sasl_plain_password=who.password.reveal())
    return options


def faust_options(settings: Settings, principal: str) -> dict[str, Any]:
    """`broker` and `broker_credentials` for faust.App (faust hands them to aiokafka)."""
    options: dict[str, Any] = {"broker": [f"kafka://{server}" for server in settings.kafka_bootstrap.split(",")]}
    if settings.kafka_scram:
        import faust

        who = identity(settings, principal)
        options["broker_credentials"] = faust.SASLCredentials(
            username=who.principal, password=who.password.reveal(), mechanism=MECHANISM
        )
    return options


def admin_client(settings: Settings, principal: str = principals.ADMIN, **extra: Any) -> KafkaAdminClient:
    """A kafka-python admin client (the caller closes it)."""
    from kafka.admin import KafkaAdminClient

    return KafkaAdminClient(**client_options(settings, principal), **extra)


def consumer(settings: Settings, principal: str, *topics: str, **extra: Any) -> KafkaConsumer:
    """A kafka-python consumer (the caller closes it)."""
    from kafka import KafkaConsumer

    return KafkaConsumer(*topics, **client_options(settings, principal), **extra)


def producer(settings: Settings, principal: str, **extra: Any) -> KafkaProducer:
    """A kafka-python producer (the caller closes it)."""
    from kafka import KafkaProducer

    return KafkaProducer(**client_options(settings, principal), **extra)


def producing_principal(settings: Settings) -> str:
    """Who the local producer tools (scenario, agency files) publish as: TRACEPIPE_KAFKA_USER, else admin."""
    return settings.kafka_user or principals.ADMIN


def java_client_config(settings: Settings, principal: str, path: Path) -> Path:
    """A client .properties file for Kafka's own Java tools (perf tests, kafka-consumer-groups), mode 0600
    since it holds the password; it does not name the bootstrap servers (pass those on the command line)."""
    lines = []
    if settings.kafka_scram:
        who = identity(settings, principal)
        jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required '
                f'username="{who.principal}" password="{who.password.reveal()}";')
        lines = [f"security.protocol={PROTOCOL}", f"sasl.mechanism={MECHANISM}", f"sasl.jaas.config={jaas}"]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n")
    return path
