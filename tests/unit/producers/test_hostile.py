"""The hostile-record generator: reproducible, every family present, and every record one that intake must
dead-letter with the reason the record declares (checked through the pure intake step, no broker)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from pipeline.contract.codec import decode
from pipeline.contract.envelope import Incoming
from pipeline.contract.registry import Record
from pipeline.processors.intake import intake_record
from pipeline.producers.hostile import FAMILIES, LARGEST_VALUE, hostile_records
from pipeline.topology import RAW_RECORD_LIMIT, SEIZURES_DEAD_LETTER

NOW_MS = int(time.time() * 1000)


@pytest.fixture(scope="module")
def records():
    return list(hostile_records(6_000, seed=13))


def test_the_same_seed_gives_the_same_records_and_another_seed_others():
    assert list(hostile_records(300, seed=5)) == list(hostile_records(300, seed=5))
    assert list(hostile_records(300, seed=5)) != list(hostile_records(300, seed=6))


def test_every_record_is_dead_lettered_by_intake_with_its_declared_reason(records):
    assert set(Counter(r.family for r in records)) == set(FAMILIES)
    for offset, record in enumerate(records):
        incoming = Incoming("seizures.raw", 0, offset, record.key, record.value, NOW_MS)
        [out] = intake_record(incoming)
        assert out.topic == SEIZURES_DEAD_LETTER.name, (record.family, offset)
        letter = decode(out.value, Record.DEAD_LETTER)
        assert letter["reason_code"] == str(record.reason), (record.family, offset, letter["message_en"])
        assert letter["original_value"] == (record.value or b"") and letter["original_key"] == record.key
        assert letter["message_en"] and letter["message_es"] and letter["message_en"] != letter["message_es"]


def test_every_record_fits_the_raw_topic_and_huge_ones_come_near_its_limit(records):
    sizes = [len(r.value or b"") + len(r.key or b"") for r in records]
    assert max(sizes) < RAW_RECORD_LIMIT - 1_000
    assert max(sizes) > LARGEST_VALUE
    assert any(r.value is None for r in records)  # a tombstone too
    assert any(r.key is None for r in records)
    assert all(r.key is not None or r.value is not None for r in records)  # Kafka refuses a record of neither
