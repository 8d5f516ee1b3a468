"""The merge rule: a CONFIRMED possible duplicate is one gun in every view, for every caller who sees both traces.

The candidate trace leaves search, export, the maps' counts and leads; the link's trace_id survives with the
recoveries of both; the merged trace's id answers the survivor's detail (`merged_into`). A caller who sees
only one of the two traces sees nothing change. Reopening or rejecting restores both. Every test puts the
links it touched back to PENDING (other modules count the world exactly).
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import psycopg2

from pipeline.api.scope import Scope
from pipeline.api.trace_search import TraceFilters, search_counts
from tests.integration.api.world import NOW

JOINT, TWIN, SON_TWIN = "TR-JOINT", "TR-JAL-TWIN", "TR-SON-TWIN"


def _ids(api, who, **params) -> set[str]:
    seen, cursor = set(), None
    while True:
        body = api.get("/v1/traces", who, limit=7, **({"cursor": cursor} if cursor else {}), **params).json()
        seen |= {item["trace_id"] for item in body["items"]}
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def _decide(api, who: str, link: str, decision: str) -> None:
    answer = api.post(f"/v1/duplicates/{link}", who, json={"decision": decision})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == decision


@contextmanager
def _confirmed(api, who: str, *links: str):
    try:
        for link in links:
            _decide(api, who, link, "CONFIRMED")
        yield
    finally:
        for link in links:
            _decide(api, "national", link, "PENDING")


def _recoveries(detail: dict) -> set[tuple[str, str]]:
    return {(r["agency_id"], r["trace_id"]) for r in detail["recoveries"]}


def _counts(api, agencies: frozenset[str] | None, **filters) -> dict[str, dict[str, int]]:
    conn = psycopg2.connect(api.settings.pg_dsn_as("api"))
    try:
        with conn:
            return search_counts(conn, TraceFilters(**filters), Scope(agencies))
    finally:
        conn.close()


def test_a_confirmed_pair_is_one_trace_in_search_export_detail_and_counts(api):
    jalisco = api.world.of("FGE-JAL")
    before = _counts(api, frozenset({"FGE-JAL"}))["state_code"]["14"]
    with _confirmed(api, "jal", "L-JAL-JAL"):
        assert _ids(api, "jal") == jalisco - {TWIN}
        assert _ids(api, "national") == set(api.world.traces) - {TWIN}
        item = next(i for i in api.get("/v1/traces", "jal", serial="ZX9000").json()["items"])
        assert item["trace_id"] == JOINT and item["merged_from"] == [TWIN]
        # the gun is found by either serial it was entered with
        assert [i["trace_id"] for i in api.get("/v1/traces", "jal", serial="ZX9010").json()["items"]] == [JOINT]
        exported = [json.loads(line) for line in api.get("/v1/traces/export", "jal", format="jsonl").text.splitlines()]
        assert {e["trace_id"] for e in exported} == jalisco - {TWIN}
        assert _counts(api, frozenset({"FGE-JAL"}))["state_code"]["14"] == before - 1

        survivor = api.get(f"/v1/traces/{JOINT}", "jal").json()
        assert _recoveries(survivor) == {("FGE-JAL", JOINT), ("FGE-JAL", TWIN)}
        assert survivor["hidden_recoveries"] == 1 and survivor["merged_from"] == [TWIN]
        assert survivor["merged_into"] is None and survivor["agencies"] == ["FGE-JAL"]
        merged = api.get(f"/v1/traces/{TWIN}", "jal")
        assert merged.status_code == 200  # not a 404: Jalisco saw this trace before
        assert merged.json()["trace_id"] == JOINT and merged.json()["merged_into"] == JOINT
        assert _recoveries(merged.json()) == _recoveries(survivor)

        national = api.get(f"/v1/traces/{TWIN}", "national").json()
        assert national["merged_into"] == JOINT and national["hidden_recoveries"] == 0
        assert _recoveries(national) == {("FGE-JAL", JOINT), ("FGR", JOINT), ("FGE-JAL", TWIN)}
        assert national["agencies"] == ["FGE-JAL", "FGR"]
        # the link stays in the queue (as confirmed) so it can be reopened
        assert "L-JAL-JAL" in {d["link_id"] for d in api.get("/v1/duplicates", "jal", status="CONFIRMED").json()}
    assert _ids(api, "jal") == jalisco
    assert api.get(f"/v1/traces/{TWIN}", "jal").json()["merged_into"] is None
    assert _counts(api, frozenset({"FGE-JAL"}))["state_code"]["14"] == before


def test_a_caller_who_sees_only_one_of_the_two_traces_sees_nothing_change(api):
    fgr_before = api.get(f"/v1/traces/{JOINT}", "fgr_analyst").json()
    with _confirmed(api, "jal", "L-JAL-JAL"):
        # FGR recovered TR-JOINT but not its Jalisco twin: no link to see, no merge, no Jalisco recovery shown
        fgr = api.get(f"/v1/traces/{JOINT}", "fgr_analyst").json()
        assert fgr == fgr_before and fgr["merged_from"] == []
        assert {r["agency_id"] for r in fgr["recoveries"]} == {"FGR"}
        assert api.get(f"/v1/traces/{TWIN}", "fgr_analyst").status_code == 404
        assert _ids(api, "fgr_analyst") == api.world.of("FGR")
        assert _ids(api, "son") == api.world.of("FGE-SON")
        assert not api.get("/v1/duplicates", "son", status="CONFIRMED").json()


def test_a_chain_of_confirmed_links_is_one_gun_and_each_caller_sees_only_its_part(api):
    with _confirmed(api, "national", "L-JAL-JAL", "L-JAL-SON"):
        national = api.get(f"/v1/traces/{SON_TWIN}", "national").json()
        assert national["trace_id"] == JOINT and national["merged_from"] == [TWIN, SON_TWIN]
        assert national["agencies"] == ["FGE-JAL", "FGE-SON", "FGR"]
        assert _ids(api, "national") == set(api.world.traces) - {TWIN, SON_TWIN}
        # Jalisco sees the Jalisco pair merged, never Sonora's trace nor its recovery
        jal = api.get(f"/v1/traces/{JOINT}", "jal").json()
        assert jal["merged_from"] == [TWIN] and {r["agency_id"] for r in jal["recoveries"]} == {"FGE-JAL"}
        assert jal["hidden_recoveries"] == 1 and SON_TWIN not in json.dumps(jal)
        # Sonora cannot see TR-JOINT: its own trace stays as it was, with nothing of Jalisco's
        son = api.get(f"/v1/traces/{SON_TWIN}", "son").json()
        assert son["trace_id"] == SON_TWIN and son["merged_into"] is None and son["merged_from"] == []
        assert {r["agency_id"] for r in son["recoveries"]} == {"FGE-SON"} and son["hidden_recoveries"] == 0
        assert _ids(api, "son") == api.world.of("FGE-SON")
    assert _ids(api, "national") == set(api.world.traces)


def test_leads_count_a_merged_pair_once(api):
    # A link of the test's own between two Jalisco traces sold by D-TX-1 to the same buyer.
    with api.owner() as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO possible_duplicates (link_id, trace_id, candidate_trace_id, serial, candidate_serial,"
                    " found_at) VALUES ('L-MERGE-TEST', 'TR-JOINT', 'TR-FGEJAL-1', 'ZX9000', 'AB01001', %s)", (NOW,))

    def dealer_traces(who: str) -> int:
        items = api.get("/v1/leads/dealers", who, limit=500).json()["items"]
        return next(d["evidence"]["traces"] for d in items if d["dealer_license"] == "D-TX-1")

    def unknown_sources(who: str) -> int:
        return api.get("/v1/leads/source-states", who).json()["unknown"]

    try:
        before, unknown_before = dealer_traces("jal"), unknown_sources("jal")
        with _confirmed(api, "jal", "L-MERGE-TEST", "L-JAL-JAL"):
            assert dealer_traces("jal") == before - 1
            assert unknown_sources("jal") == unknown_before - 1  # TR-JAL-TWIN had no source state
            short = {t["trace_id"] for t in api.get("/v1/leads/short-ttc", "jal", limit=500).json()["items"]}
            assert "TR-FGEJAL-1" not in short and JOINT in short
        assert dealer_traces("jal") == before and unknown_sources("jal") == unknown_before
    finally:
        with api.owner() as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM possible_duplicates WHERE link_id = 'L-MERGE-TEST'")


def test_rejecting_restores_both_and_every_decision_is_audited(api):
    try:
        _decide(api, "jal", "L-JAL-JAL", "CONFIRMED")
        assert TWIN not in _ids(api, "jal")
        _decide(api, "jal", "L-JAL-JAL", "REJECTED")
        assert {JOINT, TWIN} <= _ids(api, "jal")
        assert api.get(f"/v1/traces/{JOINT}", "jal").json()["merged_from"] == []
    finally:
        _decide(api, "jal", "L-JAL-JAL", "PENDING")
    with api.owner() as conn, conn.cursor() as cur:
        cur.execute("SELECT detail->>'decision' FROM audit_log WHERE action = 'duplicate.decided' "
                    "AND subject = 'L-JAL-JAL' ORDER BY id")
        assert [row[0] for row in cur.fetchall()][-3:] == ["CONFIRMED", "REJECTED", "PENDING"]
