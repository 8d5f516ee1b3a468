"""The serial linker's neighbourhood index is not stored: a restarted linker rebuilds it from its recovered
table, so a serial one typo away from one filed before the restart is still linked. On RocksDB (the default)
the table itself is on disk, with the changelog offset it reflects, so a restart replays only the tail; in
memory it comes back from the whole changelog."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from rocksdict import AccessType, Rdict

from pipeline.bench.kafka_io import RawProducer
from pipeline.contract.codec import encode
from pipeline.contract.registry import Record
from pipeline.rules.possible_duplicates import serial_key
from pipeline.topology import TRACES_POSSIBLE_DUPLICATES, TRACES_SERIAL_INDEX
from tests.integration.harness import PipelineHarness


def entry(trace_id: str, serial: str) -> tuple[bytes, bytes]:
    datum = {"bucket": serial_key("GLOCK", serial), "trace_id": trace_id, "serial": serial, "model": "G19",
             "caliber": "9MM", "recovery_date": date(2026, 10, 1), "state_code": "14", "latitude": None,
             "longitude": None}
    return b"GLOCK", encode(Record.SERIAL_INDEX_ENTRY, datum)


OFFSET_KEY = b"__faust\0offset__"  # where faust's RocksDB store keeps the changelog offset it has applied


def stored_partitions(tables_dir: Path) -> dict[str, dict[bytes, bytes]]:
    """Every partition database under a worker's tables directory, read-only: {path: {key: value}}."""
    found = {}
    for path in sorted(tables_dir.rglob("serial_buckets*.db")):
        db = Rdict(str(path), access_type=AccessType.read_only())
        try:
            found[str(path)] = dict(db.items())
        finally:
            db.close()
    return found


@pytest.mark.parametrize("store", ["rocksdb", "memory"])
def test_a_restarted_linker_links_a_newcomer_to_a_serial_filed_before(stack, settings, store, tmp_path):
    harness = PipelineHarness(settings.with_changes(tables_dir_override=str(tmp_path)), ["serial_linker"],
                              {"TRACEPIPE_TABLE_STORE": store, "TRACEPIPE_TABLES_DIR": str(tmp_path)})
    topic = harness.settings.topic(TRACES_SERIAL_INDEX.name)
    for records in ([entry("TR-BEFORE", "ABC1234")], [entry("TR-AFTER", "ABC1284")]):
        harness.start()  # the second start is a fresh worker: its table comes back from disk or the changelog
        try:
            with RawProducer(harness.settings, topic) as producer:
                producer.send_all(records)
            harness.wait_drained()
        finally:
            harness.stop()
    links = dict(harness.read(TRACES_POSSIBLE_DUPLICATES.name))
    assert list(links) == [b"TR-AFTER~TR-BEFORE"]
    assert links[b"TR-AFTER~TR-BEFORE"]["candidate_serial"] == "ABC1234"
    if store == "rocksdb":  # both serials are on disk, beside the offset that says how far the store is
        stored = stored_partitions(tmp_path / harness.settings.group("serial_linker"))
        holding = [values for values in stored.values() if OFFSET_KEY in values]
        assert len(stored) == settings.partitions and len(holding) == 1
        assert any(b"ABC1234" in value for value in holding[0].values())
        assert any(b"ABC1284" in value for value in holding[0].values())
    else:
        assert not list(tmp_path.rglob("*.db"))
