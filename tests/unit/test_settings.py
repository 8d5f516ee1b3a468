"""Settings read from the environment: defaults, and one readable error for a bad value."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import Settings


def test_worker_log_level_defaults_to_warning_and_accepts_any_case():
    assert Settings.from_env({}).worker_log_level == "WARNING"
    assert Settings.from_env({"TRACEPIPE_WORKER_LOG_LEVEL": "info"}).worker_log_level == "INFO"


def test_a_bad_worker_log_level_names_the_variable_and_the_choices():
    with pytest.raises(ConfigError, match=r"TRACEPIPE_WORKER_LOG_LEVEL must be one of INFO, WARNING, ERROR, "
                                          r"got 'LOUD'"):
        Settings.from_env({"TRACEPIPE_WORKER_LOG_LEVEL": "loud"})


def test_debug_is_refused_because_library_debug_output_may_carry_personal_data():
    with pytest.raises(ConfigError, match="WORKER_LOG_LEVEL"):
        Settings.from_env({"TRACEPIPE_WORKER_LOG_LEVEL": "DEBUG"})


def test_a_single_plaintext_node_is_the_default():
    settings = Settings.from_env({})
    assert (settings.kafka_nodes, settings.kafka_security, settings.replication) == (1, "none", 1)
    assert settings.kafka_bootstrap == "127.0.0.1:19092"
    assert not settings.kafka_scram


def test_three_nodes_list_every_node_and_default_to_replication_three():
    settings = Settings.from_env({"TRACEPIPE_KAFKA_NODES": "3", "TRACEPIPE_KAFKA_PORT": "21092",
                                  "TRACEPIPE_KAFKA_CONTROLLER_PORT": "21093"})
    assert settings.replication == 3
    assert settings.kafka_bootstrap == "127.0.0.1:21092,127.0.0.1:21192,127.0.0.1:21292"
    assert [settings.node_controller_port(i) for i in range(3)] == [21093, 21193, 21293]


def test_an_explicit_replication_wins_and_a_real_cluster_is_not_bound_by_the_local_node_count():
    assert Settings.from_env({"TRACEPIPE_KAFKA_NODES": "3", "TRACEPIPE_REPLICATION": "2"}).replication == 2
    remote = Settings.from_env({"TRACEPIPE_REPLICATION": "3", "TRACEPIPE_KAFKA_BOOTSTRAP": "kafka-0:9092"})
    assert (remote.replication, remote.kafka_bootstrap) == (3, "kafka-0:9092")


def test_more_replicas_than_local_nodes_is_refused_with_the_way_out():
    with pytest.raises(ConfigError, match=r"TRACEPIPE_REPLICATION=3 needs 3 brokers .* TRACEPIPE_KAFKA_NODES=1; "
                                          r"set TRACEPIPE_KAFKA_NODES=3"):
        Settings.from_env({"TRACEPIPE_REPLICATION": "3"})


@pytest.mark.parametrize(("nodes", "message"), [
    ("2", r"TRACEPIPE_KAFKA_NODES must be one of 1, 3, got 2"),
    ("three", r"TRACEPIPE_KAFKA_NODES must be a whole number, got 'three'"),
])
def test_a_bad_node_count_names_the_choices(nodes, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"TRACEPIPE_KAFKA_NODES": nodes})


def test_node_ports_that_collide_or_overflow_are_refused():
    with pytest.raises(ConfigError, match="collide across 3 nodes"):
        Settings.from_env({"TRACEPIPE_KAFKA_NODES": "3", "TRACEPIPE_KAFKA_PORT": "20000",
                           "TRACEPIPE_KAFKA_CONTROLLER_PORT": "20100"})
    with pytest.raises(ConfigError, match="too high for 3 nodes"):
        Settings.from_env({"TRACEPIPE_KAFKA_NODES": "3", "TRACEPIPE_KAFKA_PORT": "65500"})


def test_security_accepts_any_case_and_refuses_other_modes():
    assert Settings.from_env({"TRACEPIPE_KAFKA_SECURITY": "SCRAM"}).kafka_scram
    with pytest.raises(ConfigError, match=r"TRACEPIPE_KAFKA_SECURITY must be one of none, scram, got 'plain'"):
        Settings.from_env({"TRACEPIPE_KAFKA_SECURITY": "plain"})


def test_a_kafka_password_without_a_user_is_refused_and_a_password_never_prints():
    with pytest.raises(ConfigError, match="TRACEPIPE_KAFKA_PASSWORD is set but TRACEPIPE_KAFKA_USER is not"):
        Settings.from_env({"TRACEPIPE_KAFKA_PASSWORD": "hunter2"})
    settings = Settings.from_env({"TRACEPIPE_KAFKA_USER": "api", "TRACEPIPE_KAFKA_PASSWORD": "hunter2"})
    assert settings.kafka_password.reveal() == "hunter2"
    assert "hunter2" not in repr(settings) + str(settings.kafka_password) + f"{settings.kafka_password}"


def test_the_credentials_file_defaults_to_the_state_dir(tmp_path):
    assert Settings.from_env({"TRACEPIPE_STATE_DIR": str(tmp_path)}).kafka_credentials_file == (
        tmp_path / "kafka" / "credentials.json")
    elsewhere = tmp_path / "creds.json"
    assert Settings.from_env({"TRACEPIPE_KAFKA_CREDENTIALS": str(elsewhere)}).kafka_credentials_file == elsewhere


def test_tables_live_on_rocksdb_under_the_state_dir_unless_told_otherwise(tmp_path):
    default = Settings.from_env({"TRACEPIPE_STATE_DIR": str(tmp_path)})
    assert (default.table_store, default.tables_dir) == ("rocksdb", tmp_path.resolve() / "tables")
    chosen = Settings.from_env({"TRACEPIPE_TABLE_STORE": " Memory ", "TRACEPIPE_TABLES_DIR": str(tmp_path / "t")})
    assert (chosen.table_store, chosen.tables_dir) == ("memory", tmp_path / "t")


def test_an_unknown_table_store_names_the_choices():
    with pytest.raises(ConfigError, match=r"TRACEPIPE_TABLE_STORE must be one of rocksdb, memory, got 'redis'"):
        Settings.from_env({"TRACEPIPE_TABLE_STORE": "redis"})
