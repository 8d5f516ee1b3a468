"""Serial-number cleaning: the clean serial, or why there is none (obliterated or missing)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.normalize.text import compact, fold, strip_accents
from pipeline.vocab import SerialStatus, load_data

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True)
class _SerialMarkers:
    obliterated: tuple[tuple[str, ...], ...]
    missing: frozenset[str]
    placeholder_words: frozenset[str]
    label: re.Pattern[str]


def _label_pattern(labels: list[str]) -> re.Pattern[str]:
    """A leading label ('No. de serie:', 'S/N', '#'); word labels need a separator so 'SN12345' survives."""
    alternatives = []
    for label in sorted(labels, key=len, reverse=True):
        words = [re.escape(w) for w in label.split()]
        alternatives.append(r"[\s.]+".join(words))
    return re.compile(r"^\s*(?:" + "|".join(alternatives) + r")(?:[\s:#.\-]+|(?<=[.:#]))")


@lru_cache(maxsize=1)
def _markers() -> _SerialMarkers:
    raw = load_data("serial_markers.json", "pipeline.vocab")
    return _SerialMarkers(
        obliterated=tuple(tuple(fold(w).split()) for w in raw["obliterated"]),
        missing=frozenset(compact(fold(m)) for m in raw["missing"]),
        placeholder_words=frozenset(compact(fold(w)) for w in raw["placeholder_words"]),
        label=_label_pattern([strip_accents(label).upper() for label in raw["labels"]]),
    )


def _says_obliterated(tokens: list[str], words: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(tokens[i : i + len(phrase)]) == phrase for phrase in words for i in range(len(tokens)))


def _is_placeholder(serial: str, words: frozenset[str]) -> bool:
    """Whether a digit-free serial splits entirely into placeholder words ('NOSERIAL' = NO + SERIAL).

    Word-break over the glued letters, so every spacing and punctuation of "no serial", "sin número de
    serie", "w/o serial number" is caught without listing each phrasing. A real serial has digits.
    """
    if any(c.isdigit() for c in serial):
        return False
    longest = max(map(len, words))
    reachable = [True] + [False] * len(serial)
    for end in range(1, len(serial) + 1):
        reachable[end] = any(reachable[start] and serial[start:end] in words
                             for start in range(max(0, end - longest), end))
    return reachable[-1]


def normalize_serial(text: str | None) -> tuple[str | None, SerialStatus]:
    """(clean serial, status) for a serial as typed.

    The clean serial is upper-case with spaces, dashes, dots and any other punctuation removed, so
    '123-45678' and '12345678' are one serial. Words such as 'LIMADO', 'ILEGIBLE', 'GROUND OFF' make
    it OBLITERATED; placeholders such as 'S/N', 'SIN NUMERO', 'N/A', 'No serial', 'w/o serial number' or
    nothing make it MISSING; both give None as the serial. Labels like 'No. de serie:' are stripped first.
    """
    if text is None:
        return None, SerialStatus.MISSING
    markers = _markers()
    if _says_obliterated(fold(text).split(), markers.obliterated):
        return None, SerialStatus.OBLITERATED
    upper = strip_accents(text).upper()
    if compact(fold(upper)) in markers.missing:
        return None, SerialStatus.MISSING
    serial = _NOT_ALNUM.sub("", markers.label.sub("", upper, count=1))
    if serial in markers.missing or not serial.strip("0X") or _is_placeholder(serial, markers.placeholder_words):
        return None, SerialStatus.MISSING
    return serial, SerialStatus.PRESENT
