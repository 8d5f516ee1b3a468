"""Who a Kafka client logs in as, and the credentials file: generated once, kept private, never printed."""

from __future__ import annotations

import json
import stat

import pytest

from pipeline.errors import ConfigError
from pipeline.kafka_access import clients, credentials, principals
from pipeline.settings import Settings


@pytest.fixture
def scram(tmp_path) -> Settings:
    return Settings.from_env({"TRACEPIPE_STATE_DIR": str(tmp_path), "TRACEPIPE_KAFKA_SECURITY": "scram"})


def test_without_security_a_client_gets_only_the_servers(tmp_path):
    plain = Settings.from_env({"TRACEPIPE_STATE_DIR": str(tmp_path), "TRACEPIPE_KAFKA_NODES": "3"})
    assert clients.client_options(plain, principals.API) == {"bootstrap_servers": plain.kafka_bootstrap}
    assert clients.faust_options(plain, principals.processor("intake")) == {
        "broker": [f"kafka://127.0.0.1:{plain.node_port(i)}" for i in range(3)]}
    assert not plain.kafka_credentials_file.exists()  # nothing generated when nothing needs it


def test_with_scram_each_role_logs_in_as_itself_with_a_generated_password(scram):
    api = clients.client_options(scram, principals.API)
    ops = clients.client_options(scram, principals.OPS)
    assert api["security_protocol"] == "SASL_PLAINTEXT" and api["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (api["sasl_plain_username"], ops["sasl_plain_username"]) == ("api", "ops")
    assert len(api["sasl_plain_password"]) >= 32 and api["sasl_plain_password"] != ops["sasl_plain_password"]
    again = clients.client_options(scram, principals.API)
    assert again["sasl_plain_password"] == api["sasl_plain_password"]  # kept, not regenerated
    file = scram.kafka_credentials_file
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert set(json.loads(file.read_text())) == {"api", "ops"}


def test_the_faust_login_uses_scram_sha_512(scram):
    credentials_ = clients.faust_options(scram, principals.processor("dedupe"))["broker_credentials"]
    assert (credentials_.username, credentials_.mechanism.value) == ("processor-dedupe", "SCRAM-SHA-512")
    assert credentials_.protocol.value == "SASL_PLAINTEXT"


def test_a_configured_user_and_password_win_over_the_role_and_the_file(tmp_path):
    settings = Settings.from_env({"TRACEPIPE_STATE_DIR": str(tmp_path), "TRACEPIPE_KAFKA_SECURITY": "scram",
                                  "TRACEPIPE_KAFKA_USER": "agency-FGR", "TRACEPIPE_KAFKA_PASSWORD": "given"})
    options = clients.client_options(settings, principals.ADMIN)
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("agency-FGR", "given")
    assert clients.producing_principal(settings) == "agency-FGR"
    assert not settings.kafka_credentials_file.exists()


def test_a_configured_user_without_password_reads_its_own_entry(scram):
    admin_password = credentials.password_for(scram.kafka_credentials_file, principals.ADMIN)
    as_admin = scram.with_changes(kafka_user="admin")
    who = clients.identity(as_admin, principals.OPS)
    assert (who.principal, who.password.reveal()) == ("admin", admin_password.reveal())
    assert admin_password.reveal() not in repr(who) + str(who)


def test_ensure_adds_missing_principals_and_keeps_the_others(tmp_path):
    path = tmp_path / "creds.json"
    first = credentials.ensure(path, ["admin"])
    both = credentials.ensure(path, ["admin", "processor-intake"])
    assert both["admin"].reveal() == first["admin"].reveal()
    assert set(credentials.known(path)) == {"admin", "processor-intake"}
    assert str(both["admin"]) == "***"


def test_a_damaged_credentials_file_is_a_readable_error_not_new_passwords(tmp_path):
    path = tmp_path / "creds.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="credentials file .* cannot be read"):
        credentials.password_for(path, "admin")
    assert path.read_text() == "{not json"


def test_the_java_tools_config_holds_the_login_and_is_private(scram, tmp_path):
    config = clients.java_client_config(scram, principals.ADMIN, tmp_path / "client.properties")
    text = config.read_text()
    assert "security.protocol=SASL_PLAINTEXT" in text and 'username="admin"' in text
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
