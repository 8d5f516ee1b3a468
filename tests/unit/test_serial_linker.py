"""The serial linker step over a plain dict standing in for its faust table: one table entry per sighting, links
found through the neighbourhood index, replays and a rebuilt index (a restart) find the same links."""

from datetime import date

from pipeline.contract.codec import decode, encode
from pipeline.contract.envelope import Incoming
from pipeline.contract.registry import Record
from pipeline.processors.serial_linker import SerialTable, serial_linker_step
from pipeline.rules.possible_duplicates import serial_key


def entry(trace_id: str, serial: str, offset: int, bucket: str | None = None,
          recovered: date = date(2026, 10, 1), state_code: str = "14") -> Incoming:
    datum = {"bucket": bucket or serial_key("GLOCK", serial), "trace_id": trace_id, "serial": serial,
             "model": "G19", "caliber": "9MM", "recovery_date": recovered, "state_code": state_code,
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


def test_a_link_does_not_depend_on_which_sighting_opened_the_trace():
    """T1 seen twice: far from T2's sighting (a year earlier, another state) and close to it. Whichever of T1's
    sightings opened the trace, and in whatever order the three arrive, T1 and T2 are linked once."""
    far = entry("T1", "ABC123", 0, recovered=date(2025, 9, 1), state_code="02")
    near = entry("T1", "ABC123", 1)
    typo = entry("T2", "ABC124", 2)
    orders = [(far, near, typo), (near, far, typo), (far, typo, near), (typo, far, near), (typo, near, far)]
    for order in orders:
        state = SerialTable({})
        found = {link for record in order for link in links(serial_linker_step(state, record))}
        assert {tuple(sorted(link)) for link in found} == {("T1", "T2")}, order
    state = SerialTable({})
    assert links(serial_linker_step(state, far)) == [] and links(serial_linker_step(state, typo)) == []
    assert links(serial_linker_step(state, near)) == [("T1", "T2")]  # the later, close recovery finds it
    assert links(serial_linker_step(state, near)) == [("T1", "T2")]  # a replay: the same link, filed once
    assert len(state.filed(serial_key("GLOCK", "ABC123"))) == 2  # both of T1's sightings
