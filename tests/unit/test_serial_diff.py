"""Which serial characters a possible-duplicate pair highlights: exactly the one edit of the linking rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalize import serial_edit_distance_one
from pipeline.web.serial_diff import differing_positions, segments, side_by_side


def test_a_substitution_marks_the_same_position_in_both():
    assert differing_positions("ZX9000", "ZX9010") == ({4}, {4})
    assert side_by_side("ZX9000", "ZX9010") == ([("ZX90", False), ("0", True), ("0", False)],
                                                [("ZX90", False), ("1", True), ("0", False)])


def test_an_insertion_marks_the_extra_character_of_the_longer_serial_only():
    assert differing_positions("AB123", "AB1723") == (set(), {3})
    assert differing_positions("AB123", "XAB123") == (set(), {0})
    assert differing_positions("AB123", "AB1234") == (set(), {5})
    # inside a run of equal characters the last of the run is the extra one, as the linking rule aligns them
    assert differing_positions("ZX900", "ZX9000") == (set(), {5})


def test_a_deletion_marks_the_missing_character_in_the_first_serial():
    assert differing_positions("AB1723", "AB123") == ({3}, set())
    assert differing_positions("XAB123", "AB123") == ({0}, set())


def test_an_adjacent_swap_marks_both_characters_in_both():
    assert differing_positions("AB1234", "AB1324") == ({3, 4}, {3, 4})
    assert differing_positions("BA", "AB") == ({0, 1}, {0, 1})


def test_equal_serials_mark_nothing_and_distant_ones_fall_back_to_an_alignment():
    assert differing_positions("AB123", "AB123") == (set(), set())
    assert segments("AB123", frozenset()) == [("AB123", False)]
    assert differing_positions("AB123", "XY123") == ({0, 1}, {0, 1})
    assert differing_positions("", "A") == (set(), {0})


@given(st.text(alphabet="AB01", max_size=8), st.text(alphabet="AB01", max_size=8))
def test_a_linked_pair_marks_one_or_two_characters_and_runs_rebuild_the_serials(a, b):
    in_a, in_b = differing_positions(a, b)
    assert all(0 <= i < len(a) for i in in_a) and all(0 <= i < len(b) for i in in_b)
    if serial_edit_distance_one(a, b):
        assert 1 <= len(in_a) + len(in_b) <= 4 and len(in_a | in_b) <= 2
        if len(a) != len(b):  # removing the marked character of the longer gives the shorter
            longer, marked = (a, in_a) if len(a) > len(b) else (b, in_b)
            (i,) = marked
            assert longer[:i] + longer[i + 1:] == (b if longer is a else a)
    elif a != b:
        assert in_a or in_b
    left, right = side_by_side(a, b)
    assert "".join(text for text, _ in left) == a and "".join(text for text, _ in right) == b
