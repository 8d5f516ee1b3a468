"""Authentication and roles: 401 for every bad token, 403 for a role without rights, revocation at once."""

from __future__ import annotations

import pytest

BAD_TOKENS = {
    "missing": None,
    "malformed": "not-a-token",
    "unknown": "tpk_" + "x" * 43,
    "sql": "tpk_' OR '1'='1' -- " + "a" * 30,
    "huge": "tpk_" + "a" * 5000,
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_tokens_get_401_in_the_callers_language(api, kind):
    for path in ("/v1/traces", "/v1/traces/TR-FGEJAL-1", "/v1/duplicates", "/v1/seizures/JAL-DEAD-1/status"):
        answer = api.get(path, token=BAD_TOKENS[kind]) if BAD_TOKENS[kind] else api.get(path)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.json()["error"] == "unauthorized"
    spanish = api.get("/v1/traces", token=BAD_TOKENS[kind], lang="es") if BAD_TOKENS[kind] else api.get(
        "/v1/traces", lang="es")
    assert "se requiere" in spanish.json()["message"]


def test_revoked_and_expired_tokens_get_401(api):
    assert api.get("/v1/traces", "jal").status_code == 200
    assert api.get("/v1/traces", "revoked").status_code == 401
    assert api.get("/v1/traces", "expired").status_code == 401


def test_roles_without_trace_rights_get_403(api):
    for who in ("ops", "admin"):
        answer = api.get("/v1/traces", who)
        assert answer.status_code == 403 and answer.json()["error"] == "forbidden", who
        assert api.get("/v1/traces/TR-FGEJAL-1", who).status_code == 403


def test_revocation_takes_effect_at_once(api):
    from datetime import UTC, datetime

    import psycopg2

    from pipeline.accounts.store import Actor, create_account, revoke_account
    from pipeline.rules.access import Role

    admin = psycopg2.connect(api.settings.pg_dsn_as("admin"))
    try:
        with admin:
            account, token = create_account(admin, Actor("cli:test", "admin"), "FGE-SON", Role.ANALYST, "short-lived",
                                            datetime.now(UTC))
        assert api.get("/v1/traces", token=token).status_code == 200
        with admin:
            revoke_account(admin, Actor("cli:test", "admin"), account.account_id, datetime.now(UTC))
        assert api.get("/v1/traces", token=token).status_code == 401
    finally:
        admin.close()
