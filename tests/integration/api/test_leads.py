"""Leads never show or count a trace outside the caller's scope; purchasers only by pseudonym for analysts.

Ground truth: the world (which agencies recovered which gun) plus the rows this module adds (ids `LEAD-`,
removed again when the module ends, so the other modules' exact counts still hold). Every lead is
recomputed here in plain Python from that truth, for every account, and compared exactly.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import date, timedelta
from itertools import permutations

import psycopg2
import pytest

from pipeline.api.trace_search import purchaser_ref
from pipeline.rules.leads import Evidence, score
from tests.integration.api.world import AGENCY_OF, ANALYSTS, NAME_MARK, NOW, SHARED_BUYER, STATES, share

SHORT = 1095
READERS = (*ANALYSTS, "jal_investigator", "national")
EVERYTHING = {  # path -> the query that lists every lead of that kind
    "/v1/leads/purchasers": {"min_traces": 1, "limit": 500},
    "/v1/leads/dealers": {"min_traces": 1, "limit": 500},
    "/v1/leads/short-ttc": {"limit": 500},
    "/v1/leads/short-ttc-dealers": {"min_traces": 1, "limit": 500},
    "/v1/leads/multiple-sales": {"limit": 500},
    "/v1/leads/source-states": {},
}
# trace id -> (recovering agencies, time to crime, dealer, purchaser, source state)
EXTRA_TRACES = {
    "LEAD-TR-A": (["FGE-JAL"], 100, "LEAD-D-NM", "LEAD-P-STRAW", "NM"),
    "LEAD-TR-B": (["FGE-JAL"], 200, "LEAD-D-NM", "LEAD-P-STRAW", "NM"),
    "LEAD-TR-C": (["FGE-SON", "FGE-CHH"], 150, "LEAD-D-NM", "LEAD-P-STRAW", "NM"),
    "LEAD-TR-D": (["FGR"], 900, "LEAD-D-NM", "LEAD-P-STRAW", "NM"),
    "LEAD-TR-E": (["SSP-GDL"], 1094, "LEAD-D-NM", "LEAD-P-STRAW", "NM"),  # the last short day
    "LEAD-TR-F": (["FGE-CHH"], 1095, "LEAD-D-GHOST", "LEAD-P-STRAW", None),  # three years: not short
    "LEAD-TR-G": (["FGE-MEX", "FGE-JAL"], 50, "LEAD-D-GHOST", "LEAD-P-OTHER", "TX"),
}
EXTRA_REPORTS = {  # report id -> (form, purchaser, dealer, date, firearm keys)
    "LEAD-MS-1": ("3310.12", "LEAD-P-STRAW", "LEAD-D-NM", date(2020, 5, 1),
                  ["LEADCO|LEAD-TR-A", "LEADCO|LEAD-TR-C", "LEADCO|LEAD-TR-D", "LEADCO|UNTRACED-1"]),
    "LEAD-MS-2": ("3310.4", "LEAD-P-STRAW", "LEAD-D-NM", date(2021, 3, 1), ["LEADCO|LEAD-TR-B", "LEADCO|LEAD-TR-E"]),
    "LEAD-MS-3": ("3310.4", "LEAD-P-OTHER", "LEAD-D-GHOST", date(2022, 1, 1),
                  ["LEADCO|UNTRACED-2", "LEADCO|UNTRACED-3"]),  # no traced gun: nobody's lead
}
EXTRA_PURCHASERS = ("LEAD-P-STRAW", "LEAD-P-OTHER")


def _insert_extras(cur) -> None:
    cur.execute("INSERT INTO licensees VALUES ('LEAD-D-NM', 'Mesa Arms', 'DEALER', 'NM', 'Las Cruces', 'ACTIVE', NULL)")
    for purchaser in EXTRA_PURCHASERS:
        cur.execute("INSERT INTO purchasers VALUES (%s, %s, %s, %s, 'Las Cruces', 'NM')",
                    (purchaser, f"{purchaser} {NAME_MARK} Name", date(1990, 1, 1), f"2 {NAME_MARK} Road"))
    recovered = date(2024, 6, 1)
    for trace_id, (agencies, ttc, dealer, purchaser, source) in EXTRA_TRACES.items():
        cur.execute(
            "INSERT INTO traces (trace_id, firearm_key, outcome, reason, maker, model, caliber, serial, firearm_type,"
            " country, recovery_date, state_code, opening_agency, agencies, first_sale_date, time_to_crime_days,"
            " source_state, dealer_license, purchaser_id, hops, stage_timings, opened_at, completed_at)"
            " VALUES (%s,%s,'COMPLETED','NONE','LEADCO','L1','5.56',%s,'RIFLE','USA',%s,%s,%s,%s,%s,%s,%s,%s,%s,"
            " '[]','[]',%s,%s)",
            (trace_id, f"LEADCO|{trace_id}", trace_id, recovered, STATES[agencies[0]] or "09", agencies[0], agencies,
             recovered - timedelta(days=ttc), ttc, source, dealer, purchaser, NOW, NOW))
        for agency in agencies:
            cur.execute("INSERT INTO recoveries VALUES (%s,%s,%s,%s,%s,'Centro',false,%s)",
                        (agency, f"{trace_id}-{agency}", trace_id, recovered, STATES[agency] or "09", NOW))
    for report, (form, purchaser, dealer, day, keys) in EXTRA_REPORTS.items():
        cur.execute("INSERT INTO multiple_sales VALUES (%s,%s,%s,%s,%s,%s)",
                    (report, purchaser, dealer, day, form, keys))


def _delete_extras(cur) -> None:
    cur.execute("DELETE FROM recoveries WHERE trace_id LIKE 'LEAD-%'")
    cur.execute("DELETE FROM traces WHERE trace_id LIKE 'LEAD-%'")
    cur.execute("DELETE FROM multiple_sales WHERE report_id LIKE 'LEAD-%'")
    cur.execute("DELETE FROM purchasers WHERE purchaser_id LIKE 'LEAD-%'")
    cur.execute("DELETE FROM licensees WHERE license LIKE 'LEAD-%'")


class Truth:
    """Every trace and report as the owner reads them, and which agencies recovered each trace."""

    def __init__(self, conn, world_traces: dict[str, set[str]]) -> None:
        with conn.cursor() as cur:
            cur.execute("SELECT trace_id, firearm_key, agencies, time_to_crime_days, state_code, source_state,"
                        " dealer_license, purchaser_id FROM traces")
            self.traces = {row[0]: dict(zip(("firearm_key", "agencies", "ttc", "state", "source", "dealer",
                                             "purchaser"), row[1:], strict=True)) for row in cur.fetchall()}
            cur.execute("SELECT report_id, form, report_date, dealer_license, purchaser_id, firearm_keys"
                        " FROM multiple_sales")
            self.reports = {row[0]: row[1:] for row in cur.fetchall()}
            cur.execute("SELECT license, name, us_state, city, status FROM licensees")
            self.licensees = {row[0]: row[1:] for row in cur.fetchall()}
        self.recovered_by = {**world_traces, **{t: set(a) for t, (a, *_) in EXTRA_TRACES.items()}}
        assert set(self.traces) == set(self.recovered_by)  # the table holds exactly the world and this module's rows
        assert all(set(self.traces[t]["agencies"]) == agencies for t, agencies in self.recovered_by.items())

    def visible_agencies(self, who: str, shared: frozenset[str] = frozenset()) -> set[str] | None:
        """The agencies whose traces `who` sees (None: every agency); `shared`: agencies sharing with it."""
        return None if who == "national" else {AGENCY_OF[who], *shared}

    def visible(self, agencies: set[str] | None) -> set[str]:
        return {t for t, by in self.recovered_by.items() if agencies is None or by & agencies}

    def reports_of(self, traces) -> set[str]:
        keys = {self.traces[t]["firearm_key"] for t in traces}
        return {r for r, row in self.reports.items() if keys & set(row[4])}

    def party(self, agencies: set[str] | None, key: str, partner: str) -> dict[str, dict]:
        """What a purchaser or dealer lead must say, per party (the real id), for a caller seeing `agencies`."""
        groups = defaultdict(list)
        for trace in self.visible(agencies):
            if self.traces[trace][key] is not None:
                groups[self.traces[trace][key]].append(trace)
        out = {}
        for party, traces in groups.items():
            ttcs = [self.traces[t]["ttc"] for t in traces if self.traces[t]["ttc"] is not None]
            reports = self.reports_of(traces)
            evidence = {
                "traces": len(traces), "short_ttc_traces": sum(1 for d in ttcs if d < SHORT),
                "median_ttc_days": float(statistics.median(ttcs)) if ttcs else None,
                "multiple_sale_reports": len(reports),
                "agencies": len({a for t in traces for a in self.traces[t]["agencies"]
                                 if agencies is None or a in agencies}),
                "recovery_states": len({self.traces[t]["state"] for t in traces} - {None}),
                "trace_ids": sorted(traces), "multiple_sale_report_ids": sorted(reports),
            }
            partners = {self.traces[t][partner] for t in traces} - {None}
            out[party] = {"evidence": evidence, "partners": len(partners)}
        return out


@pytest.fixture(scope="module")
def truth(api):
    """This module's extra rows (removed at the end) and the truth; state sharing off meanwhile."""
    admin = psycopg2.connect(api.settings.pg_dsn_as("admin"))
    try:
        with api.owner() as owner, owner.cursor() as cur:
            cur.execute("SELECT agency_id FROM agencies WHERE shares_with_state")
            sharing = [row[0] for row in cur.fetchall()]
            _delete_extras(cur)  # left over from an interrupted run
            _insert_extras(cur)
        with admin:
            for agency in sharing:
                share(admin, agency, False)
        with api.owner() as owner:
            found = Truth(owner, api.world.traces)
        yield found
    finally:
        with api.owner() as owner, owner.cursor() as cur:
            _delete_extras(cur)
        with admin:
            for agency in sharing:
                share(admin, agency, True)
        admin.close()


@pytest.fixture(scope="module")
def answers(api, truth):
    """Every account's answer to every lead, listing everything: who -> path -> JSON text."""
    out: dict[str, dict[str, str]] = {}
    for who in READERS:
        out[who] = {}
        for path, params in EVERYTHING.items():
            answer = api.get(path, who, **params)
            assert answer.status_code == 200, (who, path, answer.text)
            out[who][path] = answer.text
    return out


def _pepper(api) -> bytes:
    return api.settings.api_pepper.reveal().encode()


def _strings(value) -> set[str]:
    """Every string anywhere in a JSON value."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _trace_ids(body: dict) -> set[str]:
    """Every trace id a lead answer lists."""
    ids = set()
    for item in body["items"]:
        ids |= set(item.get("trace_ids", ())) | set(item.get("evidence", {}).get("trace_ids", ()))
        if "trace_id" in item:
            ids.add(item["trace_id"])
    return ids


def _check_everything(api, truth: Truth, who: str, bodies: dict[str, dict], agencies: set[str] | None) -> None:
    """Each lead of `bodies` equals the lead recomputed from the truth for a caller seeing `agencies`."""
    visible = truth.visible(agencies)
    pepper = _pepper(api)
    investigator = who == "jal_investigator"

    # 1 and 6: purchasers, every field of the evidence, the score, the pseudonym
    expected = truth.party(agencies, "purchaser", "dealer")
    body = bodies["/v1/leads/purchasers"]
    got = {item["purchaser_ref"]: item for item in body["items"]}
    assert set(got) == {purchaser_ref(p, pepper) for p in expected}, who
    assert body["total"] == len(expected)
    for purchaser, want in expected.items():
        item = got[purchaser_ref(purchaser, pepper)]
        assert item["evidence"] == want["evidence"], (who, purchaser)
        assert item["dealers"] == want["partners"]
        assert item["purchaser_id"] == (purchaser if investigator else None)
        counts = {k: v for k, v in want["evidence"].items() if not k.endswith("ids")}
        assert item["score"] == score(Evidence(**counts)).points
        assert sum(part["points"] for part in item["score_parts"]) == pytest.approx(item["score"])

    # 6: dealers, with the licensee's records
    expected = truth.party(agencies, "dealer", "purchaser")
    body = bodies["/v1/leads/dealers"]
    got = {item["dealer_license"]: item for item in body["items"]}
    assert set(got) == set(expected) and body["total"] == len(expected), who
    for dealer, want in expected.items():
        item = got[dealer]
        assert item["evidence"] == want["evidence"], (who, dealer)
        assert item["purchasers"] == want["partners"]
        name, state, city, status = truth.licensees.get(dealer, (None, None, None, None))
        assert (item["name"], item["us_state"], item["city"], item["status"]) == (name, state, city, status)

    # 2: short time to crime
    short = {t for t in visible if truth.traces[t]["ttc"] is not None and truth.traces[t]["ttc"] < SHORT}
    body = bodies["/v1/leads/short-ttc"]
    assert [item["trace_id"] for item in body["items"]] == sorted(short, key=lambda t: (truth.traces[t]["ttc"], t))
    assert body["total"] == len(short), who
    for item in body["items"]:
        purchaser = truth.traces[item["trace_id"]]["purchaser"]
        assert item["purchaser_ref"] == purchaser_ref(purchaser, pepper)
        assert item["purchaser_id"] == (purchaser if investigator else None)

    # 4: dealers recurring in short time-to-crime traces
    per_dealer = defaultdict(set)
    for trace in short:
        if truth.traces[trace]["dealer"]:
            per_dealer[truth.traces[trace]["dealer"]].add(trace)
    body = bodies["/v1/leads/short-ttc-dealers"]
    assert {item["dealer_license"]: (item["short_ttc_traces"], item["trace_ids"]) for item in body["items"]} == {
        dealer: (len(traces), sorted(traces)) for dealer, traces in per_dealer.items()}, who
    counts = [item["short_ttc_traces"] for item in body["items"]]
    assert counts == sorted(counts, reverse=True)

    # 3: multiple sales: only visible guns counted and listed
    body = bodies["/v1/leads/multiple-sales"]
    want_reports = {}
    for report, (_form, _day, _dealer, _buyer, keys) in truth.reports.items():
        traces = {t for t in visible if truth.traces[t]["firearm_key"] in keys}
        if traces:
            want_reports[report] = (len({truth.traces[t]["firearm_key"] for t in traces}), sorted(traces))
    assert {item["report_id"]: (item["visible_guns"], item["trace_ids"]) for item in body["items"]} == want_reports
    assert body["total"] == len(want_reports), who
    for item in body["items"]:
        form, day, dealer, buyer, _keys = truth.reports[item["report_id"]]
        assert (item["form"], item["report_date"], item["dealer_license"]) == (form, day.isoformat(), dealer)
        assert item["purchaser_ref"] == purchaser_ref(buyer, pepper)

    # 5: source states
    per_state = defaultdict(list)
    for trace in visible:
        per_state[truth.traces[trace]["source"]].append(trace)
    body = bodies["/v1/leads/source-states"]
    assert {item["source_state"]: (item["traces"], item["short_ttc_traces"], item["trace_ids"])
            for item in body["items"]} == {
        state: (len(ts), len(set(ts) & short), sorted(ts)) for state, ts in per_state.items() if state is not None}
    assert body["unknown"] == len(per_state.get(None, ())), who

    # nothing listed anywhere is outside the scope
    for text in bodies.values():
        assert _trace_ids(text) <= visible, who


@pytest.mark.parametrize("who", READERS)
def test_every_lead_is_computed_over_exactly_the_callers_traces(api, truth, answers, who):
    bodies = {path: json.loads(text) for path, text in answers[who].items()}
    _check_everything(api, truth, who, bodies, truth.visible_agencies(who))


@pytest.mark.parametrize(("who", "other"), list(permutations(ANALYSTS, 2)))
def test_no_lead_of_one_analyst_shows_a_trace_of_another_agency(api, truth, answers, who, other):
    mine = truth.visible({AGENCY_OF[who]})
    foreign = truth.visible({AGENCY_OF[other]}) - mine
    assert mine and foreign, (who, other)
    for path, text in answers[who].items():
        body = json.loads(text)
        assert not _strings(body) & foreign, (who, other, path)
        assert not (foreign & {t for t in foreign if t in text}), (who, other, path)
        # and nothing was counted past what the caller sees
        if path == "/v1/leads/source-states":
            assert sum(item["traces"] for item in body["items"]) + body["unknown"] == len(mine)
        if path in ("/v1/leads/purchasers", "/v1/leads/dealers"):
            key = "purchaser" if path.endswith("purchasers") else "dealer"
            assert sum(item["evidence"]["traces"] for item in body["items"]) == len(
                {t for t in mine if truth.traces[t][key] is not None})


def test_the_shared_buyer_counts_only_the_callers_own_traces(api, truth, answers):
    ref = purchaser_ref(SHARED_BUYER, _pepper(api))
    everywhere = {t for t, row in truth.traces.items() if row["purchaser"] == SHARED_BUYER}
    assert len({a for t in everywhere for a in truth.recovered_by[t]}) > 2  # several agencies bought from it
    for who in (*ANALYSTS, "national"):
        items = {i["purchaser_ref"]: i for i in json.loads(answers[who]["/v1/leads/purchasers"])["items"]}
        seen = everywhere & truth.visible(truth.visible_agencies(who))
        assert items[ref]["evidence"]["traces"] == len(seen), who
        assert set(items[ref]["evidence"]["trace_ids"]) == seen
    national = {i["purchaser_ref"]: i for i in json.loads(answers["national"]["/v1/leads/purchasers"])["items"]}
    assert national[ref]["evidence"]["traces"] == len(everywhere) == 6
    assert national[ref]["evidence"]["agencies"] == 6
    # with the default threshold (2 traces) an analyst seeing one of its traces gets no lead for it at all
    for who in ANALYSTS:
        refs = {i["purchaser_ref"] for i in api.get("/v1/leads/purchasers", who, limit=500).json()["items"]}
        assert ref not in refs, who
    assert ref in {i["purchaser_ref"] for i in api.get("/v1/leads/purchasers", "national").json()["items"]}


def test_the_national_analyst_sees_every_trace_in_the_leads(api, truth, answers):
    body = json.loads(answers["national"]["/v1/leads/source-states"])
    assert sum(item["traces"] for item in body["items"]) + body["unknown"] == len(truth.traces)
    dealers = json.loads(answers["national"]["/v1/leads/dealers"])
    assert sum(i["evidence"]["traces"] for i in dealers["items"]) == sum(
        1 for row in truth.traces.values() if row["dealer"])


def test_names_never_appear_and_purchaser_ids_only_for_investigators(api, truth, answers):
    ids = {*api.world.names, *EXTRA_PURCHASERS}
    for who, by_path in answers.items():
        for path, text in by_path.items():
            assert NAME_MARK not in text and "full_name" not in text, (who, path)
            if who != "jal_investigator":
                assert not any(p in text for p in ids), (who, path)
    investigator = json.loads(answers["jal_investigator"]["/v1/leads/purchasers"])
    assert {i["purchaser_id"] for i in investigator["items"]} == {
        truth.traces[t]["purchaser"] for t in truth.visible({"FGE-JAL"})} - {None}


def test_agencies_the_caller_may_not_see_are_not_counted(api, truth, answers):
    # LEAD-TR-C was recovered by Sonora and Chihuahua: Sonora counts one agency, the national analyst both
    ref = purchaser_ref("LEAD-P-STRAW", _pepper(api))
    son = {i["purchaser_ref"]: i for i in json.loads(answers["son"]["/v1/leads/purchasers"])["items"]}[ref]
    assert son["evidence"]["trace_ids"] == ["LEAD-TR-C"] and son["evidence"]["agencies"] == 1
    national = {i["purchaser_ref"]: i for i in json.loads(answers["national"]["/v1/leads/purchasers"])["items"]}[ref]
    assert national["evidence"]["agencies"] == 5 and national["evidence"]["traces"] == 6
    assert national["evidence"]["multiple_sale_report_ids"] == ["LEAD-MS-1", "LEAD-MS-2"]


def test_multiple_sales_name_only_the_visible_guns(api, truth, answers):
    jal = {i["report_id"]: i for i in json.loads(answers["jal"]["/v1/leads/multiple-sales"])["items"]}
    assert jal["LEAD-MS-1"]["visible_guns"] == 1 and jal["LEAD-MS-1"]["trace_ids"] == ["LEAD-TR-A"]
    assert jal["LEAD-MS-1"]["form"] == "3310.12" and jal["LEAD-MS-1"]["dealer_name"] == "Mesa Arms"
    assert jal["MS-1"]["visible_guns"] == 1 and jal["MS-1"]["trace_ids"] == ["TR-FGEJAL-2"]
    national = {i["report_id"]: i for i in json.loads(answers["national"]["/v1/leads/multiple-sales"])["items"]}
    assert national["LEAD-MS-1"]["visible_guns"] == 3 and national["MS-1"]["visible_guns"] == 2
    assert "LEAD-MS-3" not in national  # a report with no traced gun is nobody's lead
    for who, by_path in answers.items():
        text = by_path["/v1/leads/multiple-sales"]
        assert "LEADCO|" not in text and "GLOCK|" not in text, who  # firearm keys are never listed
    only_rifles = api.get("/v1/leads/multiple-sales", "national", form="3310.12").json()
    assert {i["report_id"] for i in only_rifles["items"]} == {"LEAD-MS-1"} and only_rifles["total"] == 1


def test_three_years_is_not_short(api, answers):
    national = {i["trace_id"]: i for i in json.loads(answers["national"]["/v1/leads/short-ttc"])["items"]}
    assert national["LEAD-TR-E"]["time_to_crime_days"] == 1094
    assert "LEAD-TR-F" not in national


def test_scores_rank_with_ties_broken_by_id_and_pages_add_up(api, truth):
    full = api.get("/v1/leads/dealers", "national", min_traces=1, limit=500).json()
    keys = [(-i["score"], i["dealer_license"]) for i in full["items"]]
    assert keys == sorted(keys) and len(keys) == 4
    assert full["items"][0]["dealer_license"] == "D-TX-1"  # 7 short time-to-crime traces, 6 agencies
    ascending = api.get("/v1/leads/dealers", "national", min_traces=1, limit=500, sort="score").json()
    assert [(i["score"], i["dealer_license"]) for i in ascending["items"]] == sorted(
        (i["score"], i["dealer_license"]) for i in full["items"])
    by_traces = api.get("/v1/leads/purchasers", "national", min_traces=1, limit=500, sort="-traces").json()
    keys = [(-i["evidence"]["traces"], i["purchaser_ref"]) for i in by_traces["items"]]
    assert keys == sorted(keys)
    by_median = api.get("/v1/leads/purchasers", "national", min_traces=1, limit=500, sort="median_ttc_days").json()
    medians = [i["evidence"]["median_ttc_days"] for i in by_median["items"]]
    known = [m for m in medians if m is not None]
    assert known == sorted(known) and medians[:len(known)] == known
    everyone = api.get("/v1/leads/purchasers", "national", min_traces=1, limit=500).json()
    pages = [api.get("/v1/leads/purchasers", "national", min_traces=1, limit=2, offset=n).json()
             for n in range(0, everyone["total"] + 2, 2)]
    assert [i for page in pages for i in page["items"]] == everyone["items"]
    assert all(page["total"] == everyone["total"] for page in pages)
    top = api.get("/v1/leads/purchasers", "national").json()["items"][0]
    assert top["purchaser_ref"] == purchaser_ref("LEAD-P-STRAW", _pepper(api))
    assert {p["factor"] for p in top["score_parts"]} == {"traces", "short_ttc_traces", "multiple_sale_reports",
                                                         "extra_agencies", "extra_recovery_states", "median_ttc_days"}


def test_leads_follow_state_sharing_at_once(api, truth):
    admin = psycopg2.connect(api.settings.pg_dsn_as("admin"))

    def bodies(who):
        return {path: api.get(path, who, **params).json() for path, params in EVERYTHING.items()}

    try:
        with admin:
            share(admin, "FGE-JAL", True)
            share(admin, "SSP-GDL", True)
        for who in ("jal", "gdl"):
            _check_everything(api, truth, who, bodies(who), {"FGE-JAL", "SSP-GDL"})
        _check_everything(api, truth, "son", bodies("son"), {"FGE-SON"})
        with admin:
            share(admin, "SSP-GDL", False)
        _check_everything(api, truth, "jal", bodies("jal"), {"FGE-JAL"})
    finally:
        with admin:
            share(admin, "FGE-JAL", False)
            share(admin, "SSP-GDL", False)
        admin.close()


def test_roles_without_trace_rights_get_403_and_no_token_401(api, truth):
    for path in EVERYTHING:
        for who in ("ops", "admin"):
            answer = api.get(path, who)
            assert answer.status_code == 403 and answer.json()["error"] == "forbidden", (who, path)
        assert api.get(path).status_code == 401
        assert api.get(path, "revoked").status_code == 401


BAD = {
    "/v1/leads/purchasers": [{"sort": "name"}, {"sort": "score; DROP TABLE traces"}, {"limit": 0}, {"limit": 501},
                             {"limit": "ten"}, {"offset": -1}, {"offset": 10**9}, {"min_traces": 0},
                             {"min_traces": 10**12}, {"sort": "\x00"}],
    "/v1/leads/dealers": [{"sort": "--score"}, {"limit": -5}, {"min_traces": "two"}, {"offset": "1.5"}],
    "/v1/leads/short-ttc": [{"sort": "-score"}, {"limit": 1000}, {"offset": -1}],
    "/v1/leads/short-ttc-dealers": [{"min_traces": 0}, {"limit": 0}],
    "/v1/leads/multiple-sales": [{"form": "3310"}, {"form": "' OR 1=1 --"}, {"sort": "report_id"}, {"limit": 0}],
    "/v1/leads/source-states": [{"sort": "state"}, {"sort": "A" * 10_000}],
}


@pytest.mark.parametrize("path", sorted(BAD))
def test_bad_parameters_are_422(api, truth, path):
    for params in BAD[path]:
        answer = api.get(path, "jal", **params, lang="es")
        assert answer.status_code == 422, (path, params, answer.text[:200])
        assert answer.json()["error"] == "invalid_request" and answer.json()["message"] == "solicitud no válida"
