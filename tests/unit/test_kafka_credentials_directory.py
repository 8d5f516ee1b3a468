"""A deployment hands a process its Kafka passwords as a directory of one file per principal (Kubernetes
projected Secrets, Docker secrets): read it, never write into it, and say which password is missing."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.kafka_access import credentials


@pytest.fixture
def mounted(tmp_path):
    (tmp_path / "processor-intake").write_text("s3cret-intake\n")
    (tmp_path / "ops").write_text("s3cret-ops")
    (tmp_path / "..data").mkdir()  # what a Kubernetes Secret volume holds beside the files
    return tmp_path


def test_each_principal_reads_its_own_file(mounted):
    assert credentials.password_for(mounted, "processor-intake").reveal() == "s3cret-intake"
    assert {p: s.reveal() for p, s in credentials.known(mounted).items()} == {
        "processor-intake": "s3cret-intake", "ops": "s3cret-ops"}


def test_a_missing_password_is_named_and_nothing_is_written(mounted):
    before = sorted(p.name for p in mounted.iterdir())
    with pytest.raises(ConfigError, match="no password for api"):
        credentials.password_for(mounted, "api")
    with pytest.raises(ConfigError, match="api, downstream"):
        credentials.ensure(mounted, ["ops", "api", "downstream"])
    assert sorted(p.name for p in mounted.iterdir()) == before
