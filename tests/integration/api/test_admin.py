"""Admin routes over HTTP: accounts (create, list, rotate, revoke), agencies, state sharing and the audit log,
for admins only, every change audited with the admin as the actor; consumer lag for operations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import requests

from pipeline.topology import PROCESSORS
from tests.integration.api.conftest import serve_another_api

ADMIN_CALLS = [
    ("post", "/v1/admin/accounts", {"agency_id": "FGE-SON", "role": "analyst", "label": "x"}),
    ("get", "/v1/admin/accounts", None),
    ("post", "/v1/admin/accounts/acct_000000000000/revoke", None),
    ("post", "/v1/admin/accounts/acct_000000000000/rotate", None),
    ("get", "/v1/admin/agencies", None),
    ("post", "/v1/admin/agencies", {"agency_id": "SSP-NOPE", "name": "x", "state": "Sonora"}),
    ("put", "/v1/admin/agencies/FGE-JAL/sharing", {"on": True}),
    ("get", "/v1/admin/audit", None),
]


def _call(api, method: str, path: str, who: str | None = None, body=None, token: str | None = None, **params):
    return requests.request(method, api.url + path, json=body, params=params, timeout=30,
                            headers=api.headers(who, token))


def _visible(api, who: str) -> set[str]:
    seen, cursor = set(), None
    while True:
        page = api.get("/v1/traces", who, limit=500, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        seen |= {item["trace_id"] for item in page.json()["items"]}
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen


def _audit(api, **params) -> list[dict]:
    answer = api.get("/v1/admin/audit", "admin", **params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _no_secret_in(api, text: str, *tokens: str) -> None:
    for token in (*api.world.tokens.values(), *tokens):
        assert token not in text
    assert '"token"' not in text and "token_hash" not in text


def test_an_account_is_created_rotated_and_revoked_through_the_api(api):
    admin_id = api.world.accounts["admin"]
    created = api.post("/v1/admin/accounts", "admin", json={"agency_id": "FGE-SON", "role": "analyst",
                                                            "label": "api-made analyst", "days": 30})
    assert created.status_code == 201, created.text
    account, first_token = created.json()["account"], created.json()["token"]
    account_id = account["account_id"]
    assert first_token.startswith("tpk_") and account["token_hint"] == first_token[:10]
    assert account["state"] == "active" and account["agency_id"] == "FGE-SON" and account["role"] == "analyst"
    expires = datetime.fromisoformat(account["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    assert api.get("/v1/traces", token=first_token).status_code == 200

    listed = api.get("/v1/admin/accounts", "admin")
    assert listed.status_code == 200
    _no_secret_in(api, listed.text, first_token)
    mine = [row for row in listed.json() if row["account_id"] == account_id]
    assert mine == [account]
    sonora = api.get("/v1/admin/accounts", "admin", agency="FGE-SON").json()
    assert {row["agency_id"] for row in sonora} == {"FGE-SON"} and account_id in {r["account_id"] for r in sonora}

    rotated = api.post(f"/v1/admin/accounts/{account_id}/rotate", "admin", json={"days": 5})
    assert rotated.status_code == 200, rotated.text
    second_token = rotated.json()["token"]
    assert second_token != first_token and rotated.json()["account"]["token_hint"] == second_token[:10]
    assert api.get("/v1/traces", token=first_token).status_code == 401  # the old token, at once
    assert api.get("/v1/traces", token=second_token).status_code == 200
    rotated_again = api.post(f"/v1/admin/accounts/{account_id}/rotate", "admin")  # no body: the default days
    third_token = rotated_again.json()["token"]
    assert api.get("/v1/traces", token=second_token).status_code == 401

    revoked = api.post(f"/v1/admin/accounts/{account_id}/revoke", "admin")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert api.get("/v1/traces", token=third_token).status_code == 401
    assert api.post(f"/v1/admin/accounts/{account_id}/revoke", "admin").status_code == 404
    refused = api.post(f"/v1/admin/accounts/{account_id}/rotate", "admin", params={"lang": "es"})
    assert refused.status_code == 404 and refused.json()["error"] == "unknown_account"
    listed = api.get("/v1/admin/accounts", "admin")
    _no_secret_in(api, listed.text, first_token, second_token, third_token)
    assert [row["state"] for row in listed.json() if row["account_id"] == account_id] == ["revoked"]

    trail = _audit(api, subject=account_id)
    assert [row["action"] for row in trail] == ["account.revoked", "account.rotated", "account.rotated",
                                                "account.created"]
    assert {(row["account"], row["role"]) for row in trail} == {(admin_id, "admin")}
    assert trail[-1]["detail"]["agency"] == "FGE-SON" and trail[-1]["detail"]["granted_role"] == "analyst"
    for text in (str(trail), api.get("/v1/admin/audit", "admin", limit=1000).text):
        _no_secret_in(api, text, first_token, second_token, third_token)


def test_refused_accounts_get_a_readable_400_or_422(api):
    cases = [
        ({"agency_id": "FGE-SON", "role": "national_analyst", "label": "x"}, 400, "role_needs_national_agency"),
        ({"agency_id": "FGE-MEX", "role": "investigator", "label": "x"}, 400, "agency_in_training"),
        ({"agency_id": "NOPE-1", "role": "analyst", "label": "x"}, 400, "unknown_agency"),
        ({"agency_id": "FGE-SON", "role": "analyst", "label": "   "}, 400, "bad_label"),
        ({"agency_id": "FGE-SON", "role": "root", "label": "x"}, 422, "invalid_request"),
        ({"agency_id": "FGE-SON", "role": "analyst", "label": "x", "days": 0}, 422, "invalid_request"),
        ({"agency_id": "FGE-SON", "role": "analyst", "label": "x", "days": 367}, 422, "invalid_request"),
        ({"agency_id": "FGE-SON", "role": "analyst", "label": "nul\x00"}, 422, "invalid_request"),
        ({"agency_id": "' OR 1=1 --", "role": "analyst", "label": "x"}, 422, "invalid_request"),
        ({"role": "analyst", "label": "x"}, 422, "invalid_request"),
    ]
    before = len(api.get("/v1/admin/accounts", "admin").json())
    for body, status, key in cases:
        answer = api.post("/v1/admin/accounts", "admin", json=body)
        assert (answer.status_code, answer.json()["error"]) == (status, key), (body, answer.text)
    spanish = api.post("/v1/admin/accounts", "admin", json=cases[0][0], params={"lang": "es"})
    assert spanish.json()["message"] == "el rol national_analyst es solo para una agencia nacional (FGR, ATF)"
    assert len(api.get("/v1/admin/accounts", "admin").json()) == before


def test_agencies_are_listed_and_a_municipal_agency_is_registered(api):
    listed = api.get("/v1/admin/agencies", "admin")
    assert listed.status_code == 200
    by_id = {row["agency_id"]: row for row in listed.json()}
    assert by_id["SSP-GDL"] == {"agency_id": "SSP-GDL", "name": "Policía de Guadalajara", "kind": "MUNICIPAL",
                                "state_code": "14", "accreditation": "ACCREDITED", "shares_with_state": False}
    assert by_id["FGR"]["kind"] == "FEDERAL" and by_id["FGR"]["state_code"] is None
    assert by_id["FGE-MEX"]["accreditation"] == "IN_TRAINING"

    new_id = f"SSP-T{uuid.uuid4().hex[:6].upper()}"
    added = api.post("/v1/admin/agencies", "admin", json={"agency_id": new_id, "name": "Policía de Hermosillo",
                                                          "state": "Son.", "in_training": True})
    assert added.status_code == 201, added.text
    assert added.json() == {"agency_id": new_id, "name": "Policía de Hermosillo", "kind": "MUNICIPAL",
                            "state_code": "26", "accreditation": "IN_TRAINING", "shares_with_state": False}
    assert new_id in {row["agency_id"] for row in api.get("/v1/admin/agencies", "admin").json()}
    again = api.post("/v1/admin/agencies", "admin", json={"agency_id": new_id, "name": "x", "state": "Sonora"})
    assert again.status_code == 400 and again.json()["error"] == "agency_exists"
    nowhere = api.post("/v1/admin/agencies", "admin", json={"agency_id": "SSP-NOWHERE", "name": "x",
                                                            "state": "California"}, params={"lang": "es"})
    assert nowhere.status_code == 400 and nowhere.json()["message"] == "'California' no es un estado de México"
    too_short = api.post("/v1/admin/agencies", "admin", json={"agency_id": "S", "name": "x", "state": "Sonora"})
    assert too_short.status_code == 400 and too_short.json()["error"] == "bad_agency_id"
    analyst = api.post("/v1/admin/accounts", "admin", json={"agency_id": new_id, "role": "analyst", "label": "x"})
    assert analyst.status_code == 201  # in training: analysts only
    investigator = api.post("/v1/admin/accounts", "admin", json={"agency_id": new_id, "role": "investigator",
                                                                 "label": "x"})
    assert investigator.status_code == 400
    trail = _audit(api, subject=new_id)
    assert [(row["action"], row["account"], row["detail"]) for row in trail] == [
        ("agency.added", api.world.accounts["admin"], {"state_code": "26"})]
    api.post(f"/v1/admin/accounts/{analyst.json()['account']['account_id']}/revoke", "admin")


def test_sharing_on_both_sides_shows_each_other_and_off_hides_again(api):
    jal, gdl = api.world.of("FGE-JAL"), api.world.of("SSP-GDL")
    since = datetime.now(UTC) - timedelta(seconds=5)

    def share(agency: str, on: bool) -> dict:
        answer = _call(api, "put", f"/v1/admin/agencies/{agency}/sharing", "admin", {"on": on})
        assert answer.status_code == 200, answer.text
        assert answer.json()["shares_with_state"] is on
        return answer.json()

    try:
        assert _visible(api, "gdl") == gdl
        share("FGE-JAL", True)
        assert _visible(api, "gdl") == gdl and _visible(api, "jal") == jal  # reciprocal: one side is not enough
        share("SSP-GDL", True)
        assert _visible(api, "gdl") == gdl | jal
        assert _visible(api, "jal") == jal | gdl
        assert _visible(api, "son") == api.world.of("FGE-SON")  # another state sees nothing more
        share("FGE-JAL", False)
        assert _visible(api, "gdl") == gdl and _visible(api, "jal") == jal
    finally:
        for agency in ("FGE-JAL", "SSP-GDL"):
            share(agency, False)
    assert _visible(api, "gdl") == gdl
    changes = [(row["subject"], row["detail"]["shares_with_state"])
               for row in reversed(_audit(api, since=since.isoformat(), limit=1000))
               if row["action"] == "agency.sharing"]
    assert changes == [("FGE-JAL", True), ("SSP-GDL", True), ("FGE-JAL", False), ("FGE-JAL", False),
                       ("SSP-GDL", False)]

    training = _call(api, "put", "/v1/admin/agencies/FGE-MEX/sharing", "admin", {"on": True})
    assert training.status_code == 400 and training.json()["error"] == "agency_not_accredited"
    unknown = _call(api, "put", "/v1/admin/agencies/NOPE-1/sharing", "admin", {"on": True})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_agency"
    assert _call(api, "put", "/v1/admin/agencies/FGE-JAL/sharing", "admin", {"on": "maybe"}).status_code == 422


def test_the_audit_log_filters_by_account_subject_time_and_limit(api):
    admin_id = api.world.accounts["admin"]
    everything = _audit(api, limit=1000)
    assert everything == sorted(everything, key=lambda row: (row["at"], row["id"]), reverse=True)
    by_admin = _audit(api, account=admin_id, limit=1000)
    assert by_admin and {row["account"] for row in by_admin} == {admin_id}
    world_made = _audit(api, account="cli:test", subject=api.world.accounts["jal"])
    assert [row["action"] for row in world_made] == ["account.created"]
    assert len(_audit(api, limit=1)) == 1
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert _audit(api, since=future) == []
    assert _audit(api, until="2000-01-01T00:00:00Z") == []
    for params in ({"limit": 0}, {"limit": 1001}, {"since": "yesterday"}, {"account": "nul\x00"},
                   {"subject": "A" * 201}):
        answer = api.get("/v1/admin/audit", "admin", **params)
        assert answer.status_code == 422 and answer.json()["error"] == "invalid_request", params


def test_only_admins_may_administer(api):
    for who in ("jal", "jal_investigator", "national", "ops"):
        for method, path, body in ADMIN_CALLS:
            answer = _call(api, method, path, who, body)
            assert answer.status_code == 403 and answer.json()["error"] == "forbidden", (who, method, path)
    for method, path, body in ADMIN_CALLS:
        assert _call(api, method, path, None, body).status_code == 401, (method, path)
        assert _call(api, method, path, "revoked", body).status_code == 401, (method, path)
    shares = {row["agency_id"]: row["shares_with_state"] for row in api.get("/v1/admin/agencies", "admin").json()}
    assert shares["FGE-JAL"] is False  # the refused PUTs changed nothing


def test_consumer_lag_is_for_operations_and_503_when_the_broker_is_down(api):
    for who in ("ops", "admin"):
        answer = api.get("/v1/ops/lag", who)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert [stage["stage"] for stage in report["stages"]] == [spec.name for spec in PROCESSORS]
        assert report["total_lag"] == sum(stage["lag"] for stage in report["stages"])
        assert {group["group"] for group in report["groups"]} == {stage["group"] for stage in report["stages"]}
    for who in ("jal", "national", "jal_investigator"):
        assert api.get("/v1/ops/lag", who).status_code == 403, who
    with serve_another_api(api.settings.with_changes(kafka_bootstrap_override="127.0.0.1:9"), api.world) as down:
        answer = down.get("/v1/ops/lag", "ops", lang="es")
        assert answer.status_code == 503 and answer.json()["error"] == "lag_unavailable"
        assert answer.json()["message"].startswith("no se pudo leer")
