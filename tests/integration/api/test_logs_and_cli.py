"""No token and no purchaser name ever reaches a log; the accounts commands show a token once, then never."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from tests.integration.api.world import NAME_MARK


def test_no_token_or_purchaser_name_in_the_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    for who in api.world.tokens:
        api.get("/v1/traces", who)
        api.get("/v1/traces/TR-FGEJAL-1", who, reason="case 1")
        api.get("/v1/traces/export", who, format="csv")
    api.get("/v1/traces", token="tpk_" + "y" * 43)
    text = caplog.text
    assert not [name for name, token in api.world.tokens.items() if token in text]
    assert NAME_MARK not in text
    assert api.settings.pg_password.reveal() not in text


def _cli(api, *args: str, lang: str = "en") -> subprocess.CompletedProcess:
    env = {**os.environ, "TRACEPIPE_PG_DB": api.settings.pg_db, "TRACEPIPE_PG_PORT": str(api.settings.pg_port),
           "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "--lang", lang, *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False)


def test_accounts_commands_show_a_token_once(api):
    created = _cli(api, "accounts", "create", "--agency", "FGE-CHH", "--role", "investigator", "--label", "cli test")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("tpk_") and api.get("/v1/traces", token=token).status_code == 200
    listed = _cli(api, "accounts", "list", "--agency", "FGE-CHH")
    assert listed.returncode == 0 and token not in listed.stdout and token[:10] in listed.stdout
    account_id = next(word for word in created.stdout.split() if word.startswith("acct_"))
    rotated = _cli(api, "accounts", "rotate", account_id)
    new_token = rotated.stdout.strip().splitlines()[-1]
    assert rotated.returncode == 0 and new_token != token
    assert api.get("/v1/traces", token=token).status_code == 401
    assert api.get("/v1/traces", token=new_token).status_code == 200
    assert _cli(api, "accounts", "revoke", account_id).returncode == 0
    assert api.get("/v1/traces", token=new_token).status_code == 401
    audit = _cli(api, "audit", "--subject", account_id)
    for action in ("account.created", "account.rotated", "account.revoked"):
        assert action in audit.stdout
    assert token not in audit.stdout and new_token not in audit.stdout


def test_refused_account_requests_are_one_line_in_the_users_language(api):
    training = _cli(api, "accounts", "create", "--agency", "FGE-MEX", "--role", "investigator", "--label", "x",
                    lang="es")
    assert training.returncode == 2 and "capacitación" in training.stderr and "Traceback" not in training.stderr
    unknown = _cli(api, "accounts", "revoke", "acct_nonesuch")
    assert unknown.returncode == 2 and "no live account" in unknown.stderr and "Traceback" not in unknown.stderr
    bad_role = _cli(api, "accounts", "create", "--agency", "FGE-JAL", "--role", "superuser", "--label", "x")
    assert bad_role.returncode == 2 and "Traceback" not in bad_role.stderr
    national = _cli(api, "accounts", "create", "--agency", "FGE-JAL", "--role", "national_analyst", "--label", "x")
    assert national.returncode == 2 and "national agency" in national.stderr
