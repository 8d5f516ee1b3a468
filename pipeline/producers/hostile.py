"""Hostile records for the raw topic: seeded, reproducible, each one a record the pipeline must dead-letter.

`hostile_records(count, seed)` yields records of the families in `FAMILIES`: bytes that are no Avro at all,
truncated or foreign Avro, and well-formed SeizureEvents with one value validation must refuse (blank, huge or
control-laden text, serials in look-alike scripts, impossible dates, NaN or out-of-range coordinates). Each
record carries the dead-letter reason it must get, so a test can check every record, not just a count.
Every other value of a SeizureEvent is valid, so the reason is certain; a record is never valid by chance.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from pipeline.contract.codec import HEADER_SIZE, encode
from pipeline.contract.registry import Record, default_registry, sample_datum
from pipeline.contract.schema_file import SINGLE_OBJECT_MAGIC
from pipeline.rules.text_rules import ID_LIMIT, TEXT_LIMIT
from pipeline.rules.validate import RejectReason

# Well below the raw topic's limit (topology.RAW_RECORD_LIMIT), with room for the key and the batch header.
LARGEST_VALUE = 480_000
GIANT_EVERY = 100  # one huge string in this many is near LARGEST_VALUE; the others a few times the field's limit
STATES = ("Jalisco", "Sonora", "Chihuahua", "Nuevo León", "Sinaloa", "Michoacán", "Guerrero", "Baja California")
NOT_STATES = ("Texas", "Arizona", "Guatemala", "California", "Nuevo México", "XX", "Atlántida", "Ohio")
MAKERS = ("Glock", "Colt", "Smith & Wesson", "Ruger", "Beretta", "Taurus")
FREE_TEXT_FIELDS = ("state", "crime_type", "municipality", "notes", "case_number", "firearm.manufacturer",
                    "firearm.model", "firearm.caliber", "firearm.firearm_type", "firearm.country",
                    "possessor.full_name", "possessor.sex")
STRICT_FIELDS = ("agency_id", "event_id", "firearm.serial")
# Control characters no field may hold (tab and line breaks are allowed in free text, so not here).
CONTROL = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0))]
LINE_BREAKS = ["\t", "\n", "\r"]  # refused in ids and serials only
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202a", "\u202b", "\u202e",
             "\u2066", "\u2067", "\u00ad"]  # zero-width, bidi marks and overrides, soft hyphen: refused in ids
# Serial characters that look Latin but are not, or that normalising would silently drop.
LOOKALIKES = {"A": "АΑ", "B": "ВΒ", "C": "СϹ", "E": "ЕΕ", "H": "НΗ", "K": "КΚ", "M": "МΜ", "O": "ОΟ", "P": "РΡ",
              "T": "ТΤ", "X": "ХΧ", "0": "٠۰०", "1": "١۱१", "2": "٢۲२", "5": "٥۵५"}
STRANGERS = ["😀", "🔫", "💀", "⚠", "★", "\ufffd", "ß", "Ł", "Ø", "ж", "λ", "中", "ع", "א"]


@dataclass(frozen=True)
class HostileRecord:
    """One record to put on the raw topic, and the reason its dead letter must give."""

    family: str
    key: bytes | None
    value: bytes | None  # None: a tombstone
    reason: RejectReason


@lru_cache(maxsize=1)
def _known_fingerprints() -> frozenset[int]:
    registry = default_registry()
    return frozenset(version.fingerprint for name in registry.names for version in registry.versions(name))


@lru_cache(maxsize=1)
def _foreign_payloads() -> tuple[bytes, ...]:
    """A valid payload of every record type but SeizureEvent."""
    return tuple(encode(name, sample_datum(default_registry().latest(name)))
                 for name in Record if name is not Record.SEIZURE_EVENT)


class _Maker:
    """Builds one family's records from a shared random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.huge_made = 0

    # -- valid material to spoil ------------------------------------------------------------------------------
    def serial(self) -> str:
        rng = self.rng
        return "".join(rng.choice("ABCDEFHKMPTX0123456789") for _ in range(rng.randint(6, 10)))

    def event(self, index: int) -> dict[str, Any]:
        """A valid SeizureEvent (2024, long before any record's Kafka timestamp)."""
        rng = self.rng
        reported = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        event: dict[str, Any] = {
            "agency_id": rng.choice(("FGE-JAL", "FGE-SON", "FGE-CHIH", "FGR")), "event_id": f"FUZZ-{index:07d}",
            "reported_at": reported, "recovery_date": reported.date() - timedelta(days=rng.randrange(0, 30)),
            "state": rng.choice(STATES), "municipality": rng.choice((None, "Centro", "Zapopan")),
            "latitude": None, "longitude": None, "crime_type": rng.choice(("homicidio", "portación", "robo")),
            "priority": rng.choice(("ROUTINE", "URGENT")),
            "firearm": {"manufacturer": rng.choice(MAKERS), "importer": None, "model": rng.choice((None, "19")),
                        "caliber": rng.choice((None, "9mm")), "serial": self.serial(), "firearm_type": "pistola",
                        "country": None},
            "possessor": rng.choice((None, {"full_name": "Juan Pérez", "birth_date": date(1990, 5, 1), "sex": "H"})),
            "notes": rng.choice((None, "asegurada en cateo")), "case_number": rng.choice((None, "CI-2024-1")),
        }
        if rng.random() < 0.5:
            event["latitude"], event["longitude"] = rng.uniform(15, 32), rng.uniform(-117, -87)
        return event

    def encoded(self, event: dict[str, Any]) -> bytes:
        """The event as agencies publish it, sometimes with the older v1 writer schema (when it has no
        case_number, the field v2 added: v1 would drop it, and with it a spoilt value)."""
        if self.rng.random() < 0.2 and event["case_number"] is None:
            older = {k: v for k, v in event.items() if k != "case_number"}
            return encode(default_registry().get(Record.SEIZURE_EVENT, 1), older)
        return encode(Record.SEIZURE_EVENT, event)

    def set_field(self, event: dict[str, Any], field: str, value: Any) -> None:
        record, _, name = field.rpartition(".")
        if record == "possessor" and event["possessor"] is None:
            event["possessor"] = {"full_name": None, "birth_date": None, "sex": None}
        (event[record] if record else event)[name] = value

    # -- the families -----------------------------------------------------------------------------------------
    def random_bytes(self, index: int) -> tuple[bytes | None, RejectReason]:
        rng = self.rng
        if rng.random() < 0.01:
            return None, RejectReason.DECODE_CORRUPT  # a tombstone: no value at all
        value = bytearray(rng.randbytes(rng.randrange(0, 400)))
        if value[:2] == SINGLE_OBJECT_MAGIC:
            value[0] ^= 0xFF
        return bytes(value), RejectReason.DECODE_CORRUPT

    def truncated(self, index: int) -> tuple[bytes, RejectReason]:
        whole = self.encoded(self.event(index))
        return whole[: self.rng.randrange(0, len(whole))], RejectReason.DECODE_CORRUPT

    def unknown_fingerprint(self, index: int) -> tuple[bytes, RejectReason]:
        known = _known_fingerprints()
        fingerprint = self.rng.getrandbits(64)
        while fingerprint in known:
            fingerprint = self.rng.getrandbits(64)
        body = self.encoded(self.event(index))[HEADER_SIZE:]
        return SINGLE_OBJECT_MAGIC + fingerprint.to_bytes(8, "little") + body, RejectReason.DECODE_UNKNOWN_SCHEMA

    def garbage_body(self, index: int) -> tuple[bytes, RejectReason]:
        # The body's first value is agency_id's length, a zig-zag varint: an odd first byte is a negative length.
        header = self.encoded(self.event(index))[:HEADER_SIZE]
        first = bytes([self.rng.randrange(1, 128, 2)])
        return header + first + self.rng.randbytes(self.rng.randrange(0, 300)), RejectReason.DECODE_CORRUPT

    def foreign_record(self, index: int) -> tuple[bytes, RejectReason]:
        """Another record type's valid payload, or its header on a seizure's body (the wrong types for a seizure)."""
        other = self.rng.choice(_foreign_payloads())
        if self.rng.random() < 0.5:
            return other, RejectReason.DECODE_UNKNOWN_SCHEMA
        return other[:HEADER_SIZE] + self.encoded(self.event(index))[HEADER_SIZE:], RejectReason.DECODE_UNKNOWN_SCHEMA

    def refused_values(self, index: int) -> tuple[bytes, RejectReason]:
        """Decodable, but blank where a value is required, no firearm at all, or no Mexican state."""
        event, rng = self.event(index), self.rng
        choice = rng.randrange(3)
        if choice == 0:
            field = rng.choice(("agency_id", "event_id", "state", "crime_type"))
            blanks = ("", " ", "\u3000") + (() if field in STRICT_FIELDS else ("\t\n ", "\r\n"))
            self.set_field(event, field, rng.choice(blanks))
            return self.encoded(event), RejectReason.MISSING_FIELD
        if choice == 1:
            event["firearm"] = {name: rng.choice((None, "", "  ")) for name in event["firearm"]}
            return self.encoded(event), RejectReason.MISSING_FIELD
        event["state"] = rng.choice(NOT_STATES)
        return self.encoded(event), RejectReason.UNKNOWN_STATE

    def huge_string(self, index: int) -> tuple[bytes, RejectReason]:
        event, rng = self.event(index), self.rng
        field = rng.choice(FREE_TEXT_FIELDS + STRICT_FIELDS)
        limit = ID_LIMIT if field in ("agency_id", "event_id") else TEXT_LIMIT
        unit = rng.choice(("A", "9", "é", "语", "😀"))
        self.huge_made += 1
        if self.huge_made % GIANT_EVERY == 1:  # near the largest record the raw topic takes
            length = LARGEST_VALUE // len(unit.encode())
        else:
            length = rng.randint(limit + 1, 4 * limit)
        self.set_field(event, field, unit * length)
        return self.encoded(event), RejectReason.TEXT_TOO_LONG

    def control_characters(self, index: int) -> tuple[bytes, RejectReason]:
        event, rng = self.event(index), self.rng
        field = rng.choice(FREE_TEXT_FIELDS + STRICT_FIELDS)
        bad = rng.choice(CONTROL + (LINE_BREAKS + INVISIBLE if field in STRICT_FIELDS else []))
        text = rng.choice(("Jalisco", "Glock", "robo", "ABC123", "x"))
        at = rng.randrange(len(text) + 1)
        self.set_field(event, field, text[:at] + bad + text[at:])
        return self.encoded(event), RejectReason.INVALID_TEXT

    def mixed_scripts(self, index: int) -> tuple[bytes, RejectReason]:
        """Serials with look-alike letters or digits of other scripts, emoji and symbols (other fields may hold
        any script: only the serial makes the record certainly invalid)."""
        event, rng = self.event(index), self.rng
        serial = list(event["firearm"]["serial"])
        spots = [i for i, c in enumerate(serial) if c in LOOKALIKES]
        if spots and rng.random() < 0.6:
            for i in rng.sample(spots, rng.randint(1, len(spots))):
                serial[i] = rng.choice(LOOKALIKES[serial[i]])
        else:
            serial.insert(rng.randrange(len(serial) + 1), rng.choice(STRANGERS))
        event["firearm"]["serial"] = "".join(serial)
        if rng.random() < 0.5:  # mixed scripts elsewhere are allowed: they only add to the confusion
            event["firearm"]["manufacturer"] = rng.choice(("ГЛОК", "Γλοκ", "グロック", "Smith & Wesson\u202e"))
            event["crime_type"] = rng.choice(("ро́бо", "homicidio 🔫", "مخدرات"))
        return self.encoded(event), RejectReason.INVALID_SERIAL

    def impossible_date(self, index: int) -> tuple[bytes, RejectReason]:
        event, rng = self.event(index), self.rng
        choice = rng.randrange(4)
        if choice == 0:  # reported far in the future: year 9999, 2100, a month ahead of the record's arrival
            future = rng.choice((datetime(9999, 12, 31, 23, 59, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC),
                                 datetime(2999, 2, 28, tzinfo=UTC)))
            event["reported_at"], event["recovery_date"] = future, future.date()
            return self.encoded(event), RejectReason.FUTURE_DATE
        if choice == 1:  # recovered after it was reported
            event["recovery_date"] = event["reported_at"].date() + timedelta(days=rng.randint(2, 3000))
            return self.encoded(event), RejectReason.FUTURE_DATE
        if choice == 2:  # year 1, the epoch's eve, a mistyped century
            event["recovery_date"] = rng.choice((date(1, 1, 1), date(1969, 12, 31), date(1924, 7, 1),
                                                 date(1989, 12, 31)))
            return self.encoded(event), RejectReason.ANCIENT_DATE
        ancient = rng.choice((datetime(1, 1, 1, tzinfo=UTC), datetime(1900, 2, 28, tzinfo=UTC),
                              datetime(1970, 1, 1, tzinfo=UTC) - timedelta(days=rng.randint(1, 20000))))
        event["reported_at"], event["recovery_date"] = ancient, ancient.date()
        return self.encoded(event), RejectReason.ANCIENT_DATE

    def bad_coordinates(self, index: int) -> tuple[bytes, RejectReason]:
        event, rng = self.event(index), self.rng
        pair: list[float | None] = [rng.uniform(15, 32), rng.uniform(-117, -87)]
        choice = rng.randrange(3)
        if choice == 0:  # a latitude no place has
            pair[0] = rng.choice((math.nan, math.inf, -math.inf, 90.000001, -91.0, 1e308, -1e308, 180.5))
        elif choice == 1:  # a longitude no place has
            pair[1] = rng.choice((math.nan, math.inf, -math.inf, 180.000001, -181.0, 1e308, -1e308, 360.0))
        else:  # only one of the two
            pair[rng.randrange(2)] = None
        event["latitude"], event["longitude"] = pair
        return self.encoded(event), RejectReason.INVALID_COORDINATES


FamilyBuilder = Callable[[_Maker, int], tuple[bytes | None, RejectReason]]
# Family name -> (builder, relative weight). Huge strings are rare so a run of 100,000 stays near 100 MB.
FAMILIES: dict[str, tuple[FamilyBuilder, int]] = {
    "random_bytes": (_Maker.random_bytes, 12),
    "truncated_avro": (_Maker.truncated, 12),
    "unknown_fingerprint": (_Maker.unknown_fingerprint, 8),
    "garbage_body": (_Maker.garbage_body, 10),
    "foreign_record": (_Maker.foreign_record, 8),
    "refused_values": (_Maker.refused_values, 10),
    "huge_string": (_Maker.huge_string, 2),
    "control_characters": (_Maker.control_characters, 12),
    "mixed_scripts": (_Maker.mixed_scripts, 10),
    "impossible_date": (_Maker.impossible_date, 8),
    "bad_coordinates": (_Maker.bad_coordinates, 8),
}


def hostile_records(count: int, seed: int = 13) -> Iterator[HostileRecord]:
    """`count` hostile records, the same ones for the same seed (every family appears once `count` >= 11)."""
    rng = random.Random(seed)
    maker = _Maker(rng)
    names = list(FAMILIES)
    weights = [weight for _builder, weight in FAMILIES.values()]
    for index in range(count):
        family = names[index] if index < len(names) else rng.choices(names, weights)[0]
        value, reason = FAMILIES[family][0](maker, index)
        # Some records have no key; a tombstone always has one (Kafka takes no record without key and value).
        key = None if rng.random() < 0.05 and value is not None else f"fuzz:{index}".encode()
        yield HostileRecord(family, key, value, reason)
