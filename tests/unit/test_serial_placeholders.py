"""A placeholder typed where a serial should be never becomes a serial, however it is phrased.

Two different guns recorded "NO SERIAL" must never share a firearm key (and be merged into one trace).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalize import firearm_key, normalize_serial
from pipeline.vocab import SerialStatus

NEGATIONS = ["no", "sin", "without", "w/o", "s/", "no tiene", "no hay", "not"]
NUMBER_WORDS = ["número", "numero", "num", "núm.", "no.", "nro", "#", "number", "no", "n°"]
SERIAL_WORDS = ["serie", "serial", "series", "de serie", "serial number", "matrícula", "s/n", "n/s"]
TAILS = ["", "visible", "disponible", "available", "recorded", "registrado", "conocido"]
PUNCTUATION = ["", " ", ".", "-", "/", ":", "  ", ". ", ", ", "_"]


def _cased(text: str, style: int) -> str:
    return (text.upper(), text.lower(), text.title(), text)[style % 4]


@st.composite
def placeholder_phrasings(draw) -> str:
    parts = [draw(st.sampled_from(NEGATIONS))]
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(NUMBER_WORDS)))
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(["de", "del", "of", "the"])))
    parts.append(draw(st.sampled_from(SERIAL_WORDS)))
    parts.append(draw(st.sampled_from(TAILS)))
    glue = draw(st.lists(st.sampled_from(PUNCTUATION), min_size=len(parts), max_size=len(parts)))
    text = "".join(part + sep for part, sep in zip(parts, glue, strict=True))
    return draw(st.sampled_from(["", " ", "  "])) + _cased(text, draw(st.integers(0, 3)))


@given(placeholder_phrasings())
def test_a_placeholder_is_never_a_serial(text):
    serial, status = normalize_serial(text)
    assert serial is None and status is SerialStatus.MISSING, (text, serial)


@given(placeholder_phrasings(), placeholder_phrasings())
def test_two_guns_recorded_without_a_serial_never_share_a_key(one, other):
    assert firearm_key("GLOCK", one, "G19") is None
    assert firearm_key("GLOCK", other, "G19") is None


@given(st.from_regex(r"[A-Z]{0,3}[1-9][0-9]{2,7}[A-Z]{0,2}", fullmatch=True))
def test_a_serial_with_digits_is_kept_whatever_its_letters(serial):
    assert normalize_serial(serial) == (serial, SerialStatus.PRESENT)


def test_known_phrasings():
    for text in ("NO SERIAL", "No serial", "no. serial", "SIN No. DE SERIE", "Núm. de serie: sin", "w/o serial number",
                 "NOSERIAL", "N.S.", "no hay número", "Sin matrícula visible", "without serial"):
        assert normalize_serial(text) == (None, SerialStatus.MISSING), text
    for text, serial in (("S/N ABC123", "ABC123"), ("No. de serie: 4567", "4567"), ("NS12345", "NS12345"),
                         ("GLK-123", "GLK123")):
        assert normalize_serial(text) == (serial, SerialStatus.PRESENT), text
