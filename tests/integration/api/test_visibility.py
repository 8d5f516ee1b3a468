"""Every pair of agencies probed for each other's traces through every trace endpoint: zero leaks.

Ground truth is the world: which agencies recovered which gun. Sharing is opt-in and reciprocal within a
state; switching it off hides the other agency's traces again at once.
"""

from __future__ import annotations

import csv
import io
import json
from itertools import permutations

import psycopg2
import pytest

from tests.integration.api.world import AGENCY_OF, ANALYSTS, NAME_MARK, share


def _visible_ids(api, who, **params) -> set[str]:
    seen, cursor = set(), None
    while True:
        page = api.get("/v1/traces", who, limit=7, **({"cursor": cursor} if cursor else {}), **params)
        assert page.status_code == 200, page.text
        body = page.json()
        seen |= {item["trace_id"] for item in body["items"]}
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def test_each_analyst_searches_exactly_its_agencys_traces(api):
    for who in ANALYSTS:
        expected = api.world.of(AGENCY_OF[who])
        assert _visible_ids(api, who) == expected, who
    assert _visible_ids(api, "national") == set(api.world.traces)


@pytest.mark.parametrize(("who", "other"), list(permutations(ANALYSTS, 2)))
def test_no_agency_reaches_anothers_trace_through_any_endpoint(api, who, other):
    mine = api.world.of(AGENCY_OF[who])
    foreign = api.world.of(AGENCY_OF[other]) - mine
    for trace_id in foreign:
        detail = api.get(f"/v1/traces/{trace_id}", who)
        assert detail.status_code == 404, (who, trace_id)  # the same answer as for a trace that does not exist
        serial = api.world.serials[trace_id]
        assert not api.get("/v1/traces", who, serial=serial).json()["items"]
        near_page = api.get("/v1/traces", who, serial=serial, serial_near="true").json()
        near = {item["trace_id"] for item in near_page["items"]}
        assert near <= mine
        # filtering by an agency the caller may not see matches nothing (not even a joint trace it does see)
        assert not api.get("/v1/traces", who, agency=AGENCY_OF[other]).json()["items"]
    exported = api.get("/v1/traces/export", who, format="jsonl")
    assert exported.status_code == 200
    assert {json.loads(line)["trace_id"] for line in exported.text.splitlines()} == mine
    links = api.get("/v1/duplicates", who, status="PENDING").json()
    for link in links:
        assert {link["trace_id"], link["candidate_trace_id"]} <= mine
    # another agency's seizure: the status endpoint only ever looks at the caller's own agency
    for label, (agency, event_id) in api.world.events.items():
        if agency == AGENCY_OF[other] and agency != AGENCY_OF[who]:
            assert api.get(f"/v1/seizures/{event_id}/status", who).status_code == 404, label
            assert api.get(f"/v1/seizures/{event_id}/status", who, agency=agency).status_code == 403


def test_a_joint_trace_shows_only_the_visible_agencys_recoveries(api):
    jal = api.get("/v1/traces/TR-JOINT", "jal").json()
    assert {r["agency_id"] for r in jal["recoveries"]} == {"FGE-JAL"} and jal["hidden_recoveries"] == 1
    assert jal["agencies"] == ["FGE-JAL"]
    fgr = api.get("/v1/traces/TR-JOINT", "fgr_analyst").json()
    assert {r["agency_id"] for r in fgr["recoveries"]} == {"FGR"}
    national = api.get("/v1/traces/TR-JOINT", "national").json()
    assert {r["agency_id"] for r in national["recoveries"]} == {"FGE-JAL", "FGR"} and national["hidden_recoveries"] == 0
    # a possible duplicate is listed only when both of its traces are visible
    assert {d["link_id"] for d in jal["possible_duplicates"]} == {"L-JAL-JAL"}
    assert {d["link_id"] for d in national["possible_duplicates"]} == {"L-JAL-JAL", "L-JAL-SON"}


def test_state_sharing_is_reciprocal_and_switching_it_off_hides_again(api):
    jal, gdl = api.world.of("FGE-JAL"), api.world.of("SSP-GDL")
    admin = psycopg2.connect(api.settings.pg_dsn_as("admin"))
    try:
        with admin:
            share(admin, "FGE-JAL", True)
        assert _visible_ids(api, "jal") == jal  # one side alone shares nothing
        with admin:
            share(admin, "SSP-GDL", True)
        assert _visible_ids(api, "jal") == jal | gdl
        assert _visible_ids(api, "gdl") == jal | gdl
        assert _visible_ids(api, "son") == api.world.of("FGE-SON")  # another state sees nothing more
        with admin:
            share(admin, "FGE-JAL", False)
        assert _visible_ids(api, "jal") == jal
        assert _visible_ids(api, "gdl") == gdl
    finally:
        with admin:
            share(admin, "FGE-JAL", False)
            share(admin, "SSP-GDL", False)
        admin.close()


def test_an_analyst_never_sees_purchaser_fields(api):
    for who in ANALYSTS:
        for trace_id in api.world.of(AGENCY_OF[who]):
            body = api.get(f"/v1/traces/{trace_id}", who, reason="curious").text
            assert NAME_MARK not in body and api.world.purchasers.get(trace_id, "P-none") not in body
            assert json.loads(body)["purchaser"] is None
        exported = api.get("/v1/traces/export", who, format="csv").text
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert rows and "purchaser_id" not in rows[0]
        assert not any(p in exported for p in api.world.names)


def test_the_same_buyer_has_the_same_pseudonym_on_every_trace(api):
    page = api.get("/v1/traces", "national", limit=500).json()
    refs = {item["trace_id"]: item["purchaser_ref"] for item in page["items"]}
    shared = {refs[t] for t, p in api.world.purchasers.items() if p == "P-SHARED"}
    assert len(shared) == 1 and None not in shared
    assert len({refs[t] for t in api.world.purchasers}) == len(set(api.world.purchasers.values()))


def test_a_duplicate_decision_is_seen_by_the_very_next_request(api):
    try:
        decided = api.post("/v1/duplicates/L-JAL-JAL", "jal", json={"decision": "CONFIRMED"})
        assert decided.status_code == 200 and decided.json()["status"] == "CONFIRMED"
        assert "L-JAL-JAL" in {d["link_id"] for d in api.get("/v1/duplicates", "jal", status="CONFIRMED").json()}
        assert api.post("/v1/duplicates/L-JAL-SON", "jal", json={"decision": "CONFIRMED"}).status_code == 404
    finally:
        api.post("/v1/duplicates/L-JAL-JAL", "jal", json={"decision": "PENDING"})
    with api.owner() as conn, conn.cursor() as cur:
        cur.execute("SELECT detail->>'decision' FROM audit_log WHERE action = 'duplicate.decided' "
                    "AND subject = 'L-JAL-JAL' ORDER BY id")
        assert [row[0] for row in cur.fetchall()][-2:] == ["CONFIRMED", "PENDING"]
