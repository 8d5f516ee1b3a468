"""The serial linker step over a plain dict standing in for its faust table: one table entry per trace, links
found through the neighbourhood index, replays and a rebuilt index (a restart) find the same links."""

from datetime import date

from pipeline.contract.codec import decode, encode
from pipeline.contract.envelope import Incoming
from pipeline.contract.registry import Record
from pipeline.processors.serial_linker import SerialTable, serial_linker_step
from pipeline.rules.possible_duplicates import serial_key


def entry(trace_id: str, serial: str, offset: int, bucket: str | None = None) -> Incoming:
    datum = {"bucket": bucket or serial_key("GLOCK", serial), "trace_id": trace_id, "serial": serial,
             "model": "G19", "caliber": "9MM", "recovery_date": date(2026, 10, 1), "state_code": "14",
             "latitude": None, "longitude": None}
    return Incoming("ns.traces.serial-index", 0, offset, b"GLOCK", encode(Record.SERIAL_INDEX_ENTRY, datum),
                    1_790_000_000_000 + offset)


def links(outputs) -> list[tuple[str, str]]:
    return [(d["trace_id"], d["candidate_trace_id"]) for d in (decode(o.value, Record.POSSIBLE_DUPLICATE)
                                                                for o in outputs)]


def test_one_table_entry_per_trace_and_links_one_edit_away():
    table: dict[bytes, list] = {}
    state = SerialTable(table)
    assert serial_linker_step(state, entry("T1", "ABC123", 0)) == []
    assert links(serial_linker_step(state, entry("T2", "ABC124", 1))) == [("T2", "T1")]
    assert links(serial_linker_step(state, entry("T3", "ABC1243", 2))) == [("T3", "T1"), ("T3", "T2")]
    assert serial_linker_step(state, entry("T4", "XYZ999", 3)) == []
    assert sorted(table) == [serial_key("GLOCK", s).encode() for s in ("ABC123", "ABC124", "ABC1243", "XYZ999")]


def test_replay_and_restart_find_the_same_links():
    table: dict[bytes, list] = {}
    state = SerialTable(table)
    for i, (trace, serial) in enumerate([("T1", "ABC123"), ("T2", "ABD123"), ("T3", "ABC1234")]):
        serial_linker_step(state, entry(trace, serial, i))
    before = {key: list(value) for key, value in table.items()}
    newcomer = entry("T4", "ABC124", 9)
    first = links(serial_linker_step(state, newcomer))
    assert sorted(first) == [("T4", "T1"), ("T4", "T3")]
    assert links(serial_linker_step(state, newcomer)) == first  # a replay
    restarted = SerialTable(dict(table))  # the index is rebuilt from the recovered table
    assert links(serial_linker_step(restarted, newcomer)) == first
    assert set(table) == set(before) | {serial_key("GLOCK", "ABC124").encode()}


def test_a_version_1_entry_keyed_by_a_variant_files_under_its_serial():
    state = SerialTable({})
    serial_linker_step(state, entry("T1", "ABC123", 0, bucket="GLOCK|AB123"))
    assert links(serial_linker_step(state, entry("T2", "ABC124", 1))) == [("T2", "T1")]
