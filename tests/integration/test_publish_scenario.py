"""A generated scenario file published with `tracepipe publish`: what arrives equals what was generated."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from kafka.admin import NewTopic

from pipeline.contract.codec import decode
from pipeline.paths import PROJECT_ROOT
from pipeline.producers.agency_file import REQUIRED
from pipeline.producers.publisher import event_key
from pipeline.producers.scenario import generate_scenario, write_jsonl
from pipeline.producers.scenario.truth import InvalidReason
from pipeline.stack.topics import admin_client
from tests.integration.test_publish_file import _consume_all


def test_generated_file_round_trips_through_kafka(stack, settings, unique_name, tmp_path):
    scenario = generate_scenario(days=3, seed=11)
    path = write_jsonl(scenario.events, tmp_path / "events.jsonl")
    admin = admin_client(settings)
    admin.create_topics([NewTopic(unique_name, num_partitions=6, replication_factor=1)])
    admin.close()

    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "publish", str(path), "--topic", unique_name],
                         capture_output=True, text=True, cwd=PROJECT_ROOT, check=False,
                         env={**os.environ, "COLUMNS": "200"})
    garbage_lines = [i + 1 for i, event in enumerate(scenario.events) if isinstance(event, bytes)]
    blank_lines = [i + 1 for i, event in enumerate(scenario.events)
                   if isinstance(event, dict) and any(not str(event[name] or "").strip() for name in REQUIRED)]
    assert garbage_lines and blank_lines, "the scenario should contain lines to reject"
    for line in blank_lines:  # the ground truth agrees these are the blank-field events
        assert scenario.truth[line - 1].invalid_reason == InvalidReason.MISSING_FIELD
    datums = [event for i, event in enumerate(scenario.events)
              if isinstance(event, dict) and i + 1 not in blank_lines]
    assert out.returncode == 1
    for line in garbage_lines:
        assert f"events.jsonl:{line}: -: line is not a JSON object" in out.stdout
    for line in blank_lines:
        assert f"events.jsonl:{line}: " in out.stdout and "required field is missing" in out.stdout
    rejected = len(garbage_lines) + len(blank_lines)
    assert f"{len(scenario.events)} line(s) read, {len(datums)} published, {rejected} rejected" in out.stdout

    records = _consume_all(settings, unique_name, len(datums))
    assert len(records) == len(datums)
    assert Counter(m.key for m in records) == Counter(event_key(d) for d in datums)
    received = Counter(repr(sorted(decode(m.value).items())) for m in records)
    expected = Counter(repr(sorted(d.items())) for d in datums)
    assert received == expected
