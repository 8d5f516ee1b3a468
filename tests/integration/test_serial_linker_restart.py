"""The serial linker's neighbourhood index is not stored: a restarted linker rebuilds it from its recovered
table, so a serial one typo away from one filed before the restart is still linked."""

from __future__ import annotations

from datetime import date

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


def test_a_restarted_linker_links_a_newcomer_to_a_serial_filed_before(stack, settings):
    harness = PipelineHarness(settings, ["serial_linker"])
    topic = harness.settings.topic(TRACES_SERIAL_INDEX.name)
    for records in ([entry("TR-BEFORE", "ABC1234")], [entry("TR-AFTER", "ABC1284")]):
        harness.start()  # the second start is a fresh worker: its table comes back from the changelog
        try:
            with RawProducer(harness.settings, topic) as producer:
                producer.send_all(records)
            harness.wait_drained()
        finally:
            harness.stop()
    links = dict(harness.read(TRACES_POSSIBLE_DUPLICATES.name))
    assert list(links) == [b"TR-AFTER~TR-BEFORE"]
    assert links[b"TR-AFTER~TR-BEFORE"]["candidate_serial"] == "ABC1234"
