"""The trafficking score: never negative, monotone in the evidence, deterministic, ties broken by id."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.rules.leads import (
    COUNT_FIELDS,
    SHORT_TIME_TO_CRIME_DAYS,
    SORT_KEYS,
    Evidence,
    median_centipoints,
    rank,
    score,
)

counts = st.integers(min_value=0, max_value=10_000)
medians = st.one_of(st.none(), st.floats(min_value=-1000, max_value=20_000, allow_nan=False),
                    st.integers(min_value=0, max_value=20_000))
evidence = st.builds(Evidence, traces=counts, short_ttc_traces=counts, multiple_sale_reports=counts, agencies=counts,
                     recovery_states=counts, median_ttc_days=medians)
ids = st.text(alphabet="ABCDEFGHIJ0123456789-", min_size=1, max_size=8)
leads = st.lists(st.tuples(ids, evidence), max_size=30, unique_by=lambda item: item[0])


@given(evidence)
def test_score_is_never_negative_and_its_parts_add_up(found):
    result = score(found)
    assert result.centipoints >= 0
    assert all(part.centipoints >= 0 for part in result.parts)
    assert sum(part.centipoints for part in result.parts) == result.centipoints
    assert result.points == result.centipoints / 100


@given(evidence, st.sampled_from(COUNT_FIELDS), st.integers(min_value=1, max_value=1000))
def test_score_never_falls_when_a_count_grows(found, name, more):
    grown = replace(found, **{name: getattr(found, name) + more})
    assert score(grown).centipoints >= score(found).centipoints


@given(evidence, st.floats(min_value=0, max_value=5000, allow_nan=False))
def test_score_never_rises_when_the_median_time_to_crime_grows(found, later):
    if found.median_ttc_days is None:
        found = replace(found, median_ttc_days=0.0)
    slower = replace(found, median_ttc_days=found.median_ttc_days + later)
    assert score(slower).centipoints <= score(found).centipoints
    assert score(replace(found, median_ttc_days=None)).centipoints <= score(slower).centipoints


@given(evidence)
def test_score_depends_only_on_the_evidence(found):
    assert score(found) == score(Evidence(**{k: getattr(found, k) for k in (*COUNT_FIELDS, "median_ttc_days")}))


@given(leads, st.sampled_from(SORT_KEYS), st.booleans(), st.randoms(use_true_random=False))
def test_rank_is_deterministic_whatever_the_input_order(items, by, descending, rnd):
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert rank(items, by, descending) == rank(shuffled, by, descending)
    assert sorted(lead.lead_id for lead in rank(items, by, descending)) == sorted(i for i, _ in items)


@given(leads, st.booleans())
def test_rank_by_score_orders_by_score_then_id(items, descending):
    ranked = rank(items, "score", descending)
    for first, second in zip(ranked, ranked[1:], strict=False):
        a, b = first.score.centipoints, second.score.centipoints
        assert (a > b if descending else a < b) or (a == b and first.lead_id < second.lead_id)


@given(leads, st.sampled_from(["traces", "short_ttc_traces", "multiple_sale_reports"]), st.booleans())
def test_rank_by_a_count_breaks_ties_by_id(items, by, descending):
    ranked = rank(items, by, descending)
    for first, second in zip(ranked, ranked[1:], strict=False):
        a, b = getattr(first.evidence, by), getattr(second.evidence, by)
        assert (a > b if descending else a < b) or (a == b and first.lead_id < second.lead_id)


@given(leads, st.booleans())
def test_an_unknown_median_sorts_last_either_way(items, descending):
    ranked = rank(items, "median_ttc_days", descending)
    known = [lead.evidence.median_ttc_days is not None for lead in ranked]
    assert known == sorted(known, reverse=True)


def test_ties_are_broken_by_id():
    same = Evidence(traces=2, short_ttc_traces=1)
    assert [lead.lead_id for lead in rank([("PR-b", same), ("PR-a", same), ("PR-c", same)])] == ["PR-a", "PR-b",
                                                                                               "PR-c"]
    assert [lead.lead_id for lead in rank([("PR-b", same), ("PR-a", same)], descending=False)] == ["PR-a", "PR-b"]


def test_the_weights():
    # 3 traces (3), 2 short (6), 1 report (2), 3 agencies (+2), 2 states (+1.5), median 0 days (+2)
    found = Evidence(traces=3, short_ttc_traces=2, multiple_sale_reports=1, agencies=3, recovery_states=2,
                     median_ttc_days=0)
    result = score(found)
    assert result.points == 16.5
    assert {part.factor: part.points for part in result.parts} == {
        "traces": 3.0, "short_ttc_traces": 6.0, "multiple_sale_reports": 2.0, "extra_agencies": 2.0,
        "extra_recovery_states": 1.5, "median_ttc_days": 2.0}
    assert score(Evidence()).centipoints == 0
    assert score(Evidence(traces=1, agencies=1, recovery_states=1)).points == 1.0  # one of each adds nothing


def test_a_short_trace_outweighs_a_long_one():
    long = Evidence(traces=1, median_ttc_days=2000)
    short = Evidence(traces=1, short_ttc_traces=1, median_ttc_days=400)
    assert rank([("long", long), ("short", short)])[0].lead_id == "short"


def test_the_median_part_ends_at_three_years():
    assert median_centipoints(None) == 0
    assert median_centipoints(0) == 200
    assert median_centipoints(-30) == 200
    assert median_centipoints(SHORT_TIME_TO_CRIME_DAYS / 2) == 100
    assert median_centipoints(SHORT_TIME_TO_CRIME_DAYS - 1) == 0  # floor(200/1095)
    assert median_centipoints(SHORT_TIME_TO_CRIME_DAYS) == 0
    assert median_centipoints(10_000) == 0
    assert SHORT_TIME_TO_CRIME_DAYS == 1095


@pytest.mark.parametrize("bad", [{"traces": -1}, {"agencies": -5}, {"traces": 1.5}, {"traces": True},
                                 {"median_ttc_days": float("nan")}, {"median_ttc_days": float("inf")},
                                 {"median_ttc_days": "400"}])
def test_impossible_evidence_is_refused(bad):
    with pytest.raises(ValueError):
        Evidence(**bad)


def test_rank_refuses_duplicate_ids_and_unknown_keys():
    with pytest.raises(ValueError):
        rank([("A", Evidence()), ("A", Evidence(traces=1))])
    with pytest.raises(ValueError):
        rank([("A", Evidence())], by="bogus")  # type: ignore[arg-type]
