from hypothesis import given
from hypothesis import strategies as st

from pipeline.rules.dedupe import Decision, FirearmMemory, Sighting, decide_sighting, trace_id_for


def s(event="FGE-JAL:1", source="0:1", key="GLOCK|ABC123"):
    return Sighting(key, event, source)


def test_first_sighting_opens_a_deterministic_trace():
    memory, decision = decide_sighting(None, s())
    assert decision is Decision.OPEN_TRACE
    assert memory.trace_id == trace_id_for("GLOCK|ABC123", "FGE-JAL:1")
    assert decide_sighting(None, s())[0].trace_id == memory.trace_id


def test_other_agency_adds_a_recovery_and_resend_is_exact_duplicate():
    memory, _ = decide_sighting(None, s())
    memory, decision = decide_sighting(memory, s(event="FGR:9", source="3:7"))
    assert decision is Decision.ADD_RECOVERY
    memory, decision = decide_sighting(memory, s(event="FGE-JAL:1", source="2:2"))
    assert decision is Decision.EXACT_DUPLICATE
    assert memory.sources["FGE-JAL:1"] == ("0:1", "2:2")


def test_replays_repeat_the_first_decision_and_change_nothing():
    m1, _ = decide_sighting(None, s())
    m2, _ = decide_sighting(m1, s(event="FGR:9", source="3:7"))
    m3, _ = decide_sighting(m2, s(source="2:2"))
    assert decide_sighting(m3, s()) == (m3, Decision.OPEN_TRACE)
    assert decide_sighting(m3, s(event="FGR:9", source="3:7")) == (m3, Decision.ADD_RECOVERY)
    assert decide_sighting(m3, s(source="2:2")) == (m3, Decision.EXACT_DUPLICATE)


def test_memory_json_round_trip():
    memory, _ = decide_sighting(None, s())
    memory, _ = decide_sighting(memory, s(event="FGR:9", source="3:7"))
    assert FirearmMemory.from_json(memory.to_json()) == memory
    assert FirearmMemory.from_json(None) is None


events = st.lists(st.tuples(st.sampled_from(["A:1", "B:2", "C:3"]), st.integers(0, 30)), min_size=1, max_size=40)


@given(events)
def test_counts_are_replay_proof(stream):
    """Whatever the order and however often records are replayed, decisions count distinct facts."""
    memory = None
    decided = {}
    for event, offset in stream:
        source = f"0:{offset}"
        memory, decision = decide_sighting(memory, s(event=event, source=source))
        assert decided.setdefault((event, source), decision) == decision
    distinct = {(e, f"0:{o}") for e, o in stream}
    opens = sum(1 for d in decided.values() if d is Decision.OPEN_TRACE)
    recoveries = sum(1 for d in decided.values() if d is Decision.ADD_RECOVERY)
    duplicates = sum(1 for d in decided.values() if d is Decision.EXACT_DUPLICATE)
    events_seen = {e for e, _ in distinct}
    assert opens == 1
    assert recoveries == len(events_seen) - 1
    assert duplicates == len(distinct) - len(events_seen)
