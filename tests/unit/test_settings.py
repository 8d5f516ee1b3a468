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
