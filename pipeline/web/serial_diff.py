"""Which characters of two serials differ, for highlighting a possible duplicate side by side (pure).

The possible-duplicate rule (pipeline/normalize `serial_edit_distance_one`) links serials one edit apart: one
substitution, one insertion or deletion, or one swap of adjacent characters. For such a pair the positions
are exactly the edit: the substituted character in both, the extra character in the longer serial only (the
shorter one has nothing to mark), both swapped characters in both. Where a run of equal characters makes the
inserted one ambiguous ("ZX900" / "ZX9000"), the last of the run is marked, as the rule itself aligns them.
Serials further apart (never linked by the pipeline) fall back to a longest-matching-blocks alignment.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from pipeline.normalize import serial_edit_distance_one


def differing_positions(a: str, b: str) -> tuple[frozenset[int], frozenset[int]]:
    """(positions in `a`, positions in `b`) of the characters that differ; both empty for equal serials."""
    if a == b:
        return frozenset(), frozenset()
    if serial_edit_distance_one(a, b):
        if len(a) == len(b):
            same = frozenset(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
            return same, same
        shorter, longer = (a, b) if len(a) < len(b) else (b, a)
        i = 0
        while i < len(shorter) and shorter[i] == longer[i]:
            i += 1
        extra = frozenset({i})
        return (frozenset(), extra) if longer is b else (extra, frozenset())
    in_a: set[int] = set()
    in_b: set[int] = set()
    for tag, a0, a1, b0, b1 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            in_a.update(range(a0, a1))
            in_b.update(range(b0, b1))
    return frozenset(in_a), frozenset(in_b)


def segments(serial: str, positions: frozenset[int]) -> list[tuple[str, bool]]:
    """The serial as runs of (text, differs), for a template to wrap the differing runs in <mark>."""
    runs: list[tuple[str, bool]] = []
    for index, char in enumerate(serial):
        differs = index in positions
        if runs and runs[-1][1] == differs:
            runs[-1] = (runs[-1][0] + char, differs)
        else:
            runs.append((char, differs))
    return runs


def side_by_side(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both serials as runs of (text, differs)."""
    in_a, in_b = differing_positions(a, b)
    return segments(a, in_a), segments(b, in_b)
