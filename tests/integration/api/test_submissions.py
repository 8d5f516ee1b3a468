"""POST /v1/seizures against the real broker and database: validated as `tracepipe publish` validates files,
published to seizures.raw only as the caller's agency, per-record errors in the caller's language, 4xx for
hostile bodies, 503 when the broker is down, and a status of "received" right after.

The app here has its own topic namespace (the session's API shares the broker with every other test), over
the same world database.
"""

from __future__ import annotations

import json
import socket
import uuid

import pytest
import requests

from pipeline.stack.topics import ensure_topics
from pipeline.topology import SEIZURES_RAW, SEIZURES_URGENT
from tests.integration.api.conftest import serve_another_api
from tests.integration.harness import published_seizures

CSV_ES = (
    "agencia,folio,fecha_aseguramiento,estado,delito,fabricante,modelo,calibre,serie,prioridad,municipio\n"
    "{agency},{a},2024-07-01,Jalisco,portación,Colt,Super,.38 Super,CS-{a},urgente,Guadalajara\n"
    ",{b},2024-07-02,Jal.,homicidio,Glock,19,9mm,GL-{b},rutina,Zapopan\n"
)


@pytest.fixture(scope="module")
def submit_api(api_settings, world):
    """The API with a topic namespace of its own, its submission topics (both lanes) created as `stack up` creates
    them."""
    private = api_settings.with_changes(namespace=f"t-sub-{uuid.uuid4().hex[:8]}-")
    ensure_topics(private, (SEIZURES_RAW, SEIZURES_URGENT))
    with serve_another_api(private, world) as served:
        yield served


def _unique(label: str = "E") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


def _record(event_id: str, **changes) -> dict:
    record = {"event_id": event_id, "recovery_date": "2024-07-01", "reported_at": "2024-07-02T10:00:00Z",
              "state": "Jalisco", "crime_type": "homicidio",
              "firearm": {"manufacturer": "Glock", "model": "19", "caliber": "9mm", "serial": f"S{event_id}"}}
    record.update(changes)
    return record


def _published(api) -> dict[str, dict]:
    return published_seizures(api.settings)


def _submit(api, who: str, body, content_type: str = "application/json", **params) -> requests.Response:
    data = json.dumps(body).encode() if not isinstance(body, str | bytes) else body
    data = data.encode() if isinstance(data, str) else data
    return requests.post(api.url + "/v1/seizures", data=data, params=params, timeout=60,
                         headers={**api.headers(who), "Content-Type": content_type})


def test_a_json_seizure_is_published_as_the_callers_agency_and_is_received_at_once(submit_api):
    event = _unique()
    answer = _submit(submit_api, "jal", _record(event))
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"received": 1, "published": 1, "rejected": 0, "errors": [], "warnings": [],
                             "status_recorded": True}
    published = _published(submit_api)[f"FGE-JAL:{event}"]
    assert published["agency_id"] == "FGE-JAL" and published["event_id"] == event
    assert published["firearm"]["serial"] == f"S{event}" and published["recovery_date"].isoformat() == "2024-07-01"
    status = submit_api.get(f"/v1/seizures/{event}/status", "jal")
    assert status.status_code == 200 and status.json()["status"] == "received"
    assert status.json()["agency_id"] == "FGE-JAL"
    assert submit_api.get(f"/v1/seizures/{event}/status", "son").status_code == 404  # not Sonora's seizure
    with submit_api.owner() as conn, conn.cursor() as cur:
        cur.execute("SELECT account_id FROM submissions WHERE agency_id = 'FGE-JAL' AND event_id = %s", (event,))
        assert cur.fetchall() == [(submit_api.world.accounts["jal"],)]


def test_a_csv_with_spanish_columns_is_published_with_the_callers_agency(submit_api):
    first, second = _unique("C"), _unique("C")
    body = CSV_ES.format(agency="fge-jal", a=first, b=second)  # its own agency, in lower case, or left blank
    answer = _submit(submit_api, "jal", body, "text/csv; charset=utf-8")
    assert answer.status_code == 202, answer.text
    assert answer.json()["published"] == 2 and answer.json()["errors"] == [] and answer.json()["warnings"] == []
    published = _published(submit_api)
    colt, glock = published[f"FGE-JAL:{first}"], published[f"FGE-JAL:{second}"]
    assert colt["agency_id"] == glock["agency_id"] == "FGE-JAL"
    assert colt["priority"] == "URGENT" and colt["firearm"]["caliber"] == ".38 Super"
    assert colt["municipality"] == "Guadalajara" and glock["state"] == "Jal." and glock["priority"] == "ROUTINE"
    for event in (first, second):
        assert submit_api.get(f"/v1/seizures/{event}/status", "jal").json()["status"] == "received"


def test_json_lines_are_published_and_errors_name_their_lines(submit_api):
    good, bad = _unique("L"), _unique("L")
    lines = [json.dumps(_record(good)), "", "not json", json.dumps(_record(bad, recovery_date="2024-02-30"))]
    answer = _submit(submit_api, "son", "\n".join(lines) + "\n", "application/x-ndjson")
    assert answer.status_code == 202, answer.text
    report = answer.json()
    assert (report["received"], report["published"], report["rejected"]) == (3, 1, 2)
    assert [(e["record"], e["line"], e["field"], e["error"]) for e in report["errors"]] == [
        (1, 3, "-", "bad_json"), (2, 4, "recovery_date", "bad_date")]
    published = _published(submit_api)
    assert published[f"FGE-SON:{good}"]["agency_id"] == "FGE-SON"
    assert not any(key.endswith(bad) for key in published)


@pytest.mark.parametrize("naming", [{"agency_id": "FGE-SON"}, {"agencia": "FGR"}, {"id_agencia": "SSP-GDL"}])
def test_a_record_naming_another_agency_is_refused_and_not_published(submit_api, naming):
    event = _unique("X")
    answer = _submit(submit_api, "jal", _record(event, **naming))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "records_rejected" and body["published"] == 0 and body["rejected"] == 1
    assert [(e["field"], e["error"]) for e in body["errors"]] == [("agency_id", "agency_mismatch")]
    assert "FGE-JAL" in body["errors"][0]["message"] and next(iter(naming.values())) in body["errors"][0]["message"]
    assert not any(key.endswith(f":{event}") for key in _published(submit_api))
    assert submit_api.get(f"/v1/seizures/{event}/status", "jal").status_code == 404
    assert submit_api.get(f"/v1/seizures/{event}/status", "son").status_code == 404


def test_a_mixed_batch_publishes_the_valid_records_and_reports_each_bad_one(submit_api):
    ok_first, ok_last, other, broken = (_unique("M") for _ in range(4))
    batch = [
        _record(ok_first),
        _record(other, agency_id="FGE-SON"),
        _record(broken, recovery_date="yesterday", latitude="north", priority="maybe"),
        "not an object",
        _record(ok_last, agency_id="FGE-JAL", firearm={"serial": {"$ne": None}}),
        _record(ok_last),
    ]
    answer = _submit(submit_api, "jal", batch)
    assert answer.status_code == 202, answer.text
    report = answer.json()
    assert (report["received"], report["published"], report["rejected"]) == (6, 2, 4)
    problems = {(e["record"], e["field"], e["error"]) for e in report["errors"]}
    assert problems == {(1, "agency_id", "agency_mismatch"), (2, "recovery_date", "bad_date"),
                        (2, "latitude", "bad_number"), (2, "priority", "bad_priority"), (3, "-", "bad_json"),
                        (4, "firearm.serial", "bad_type")}
    assert all(e["line"] is None and e["message"] for e in report["errors"])
    published = _published(submit_api)
    assert {f"FGE-JAL:{ok_first}", f"FGE-JAL:{ok_last}"} <= set(published)
    assert not any(key.endswith((other, broken)) for key in published)


def test_errors_are_in_spanish_when_asked(submit_api):
    event = _unique("S")
    answer = _submit(submit_api, "jal", [_record(event, fecha_aseguramiento=None, recovery_date="2024-13-01"),
                                         _record(event, agency_id="FGR")], lang="es")
    assert answer.status_code == 422
    body = answer.json()
    assert body["message"].startswith("no se publicó nada")
    messages = {e["error"]: e["message"] for e in body["errors"]}
    assert messages["bad_date"] == "no es una fecha (se espera AAAA-MM-DD)"
    assert messages["agency_mismatch"] == ("agency_id 'FGR' no es su agencia (FGE-JAL): una cuenta solo envía como "
                                           "su agencia")
    by_header = requests.post(submit_api.url + "/v1/seizures", data=b"[]", timeout=30,
                              headers={**submit_api.headers("jal"), "Content-Type": "application/json",
                                       "Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert by_header.status_code == 400 and by_header.json()["message"] == "el cuerpo no contiene registros"


HOSTILE = {
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "too_deeply_nested"),
    "nested record": (json.dumps(_record("H-1", notes=[[[[[[[[["x"]]]]]]]]])).encode(), "application/json", 422,
                      "records_rejected"),
    "not json": (b"{'agency_id': 'FGE-JAL'", "application/json", 400, "bad_json_body"),
    "a string": (b'"hello"', "application/json", 400, "body_not_records"),
    "a number": (b"1" * 5000, "application/json", 400, "bad_json_body"),
    "empty array": (b"[]", "application/json", 400, "no_records"),
    "empty body": (b"", "application/json", 400, "bad_json_body"),
    "huge string": (json.dumps(_record("H-2", notes="A" * 2_000_000)).encode(), "application/json", 422,
                    "records_rejected"),
    "huge event id": (json.dumps(_record("H" * 300)).encode(), "application/json", 422, "records_rejected"),
    "NUL in a field": (json.dumps(_record("H-3\x00", state="Jal\x00isco")).encode(), "application/json", 422,
                       "records_rejected"),
    "escape codes": (json.dumps(_record("H-4", crime_type="\x1b[31mrobo")).encode(), "application/json", 422,
                     "records_rejected"),
    "lone surrogate": (b'{"event_id": "H-5\\ud800", "recovery_date": "2024-01-01", "state": "Jalisco", '
                       b'"crime_type": "robo"}', "application/json", 422, "records_rejected"),
    "wrong types": (json.dumps({"event_id": ["H-6"], "recovery_date": 20240101, "state": {"a": 1},
                                "crime_type": True, "latitude": [1], "reported_at": False}).encode(),
                    "application/json", 422, "records_rejected"),
    "impossible dates": (json.dumps(_record("H-7", recovery_date="2024-02-30", reported_at="2024-99-01T00:00:00Z",
                                            possessor={"birth_date": "0000-01-01"})).encode(), "application/json",
                         422, "records_rejected"),
    "infinite numbers": (json.dumps(_record("H-8")).replace('"Jalisco"', '"Jalisco", "latitude": 1e999, '
                                                             '"longitude": NaN').encode(),
                         "application/json", 422, "records_rejected"),
    "too many records": (json.dumps([_record(f"H-9-{i}") for i in range(1001)]).encode(), "application/json", 413,
                         "too_many_records"),
    "unclosed csv field": (b'agencia,folio\n"' + b"x" * 200_000, "text/csv", 422, "records_rejected"),
    "csv without data": (b"agencia,folio,estado\n", "text/csv", 400, "no_records"),
    "binary csv": (bytes(range(256)) * 10, "text/csv", 422, "records_rejected"),
    "plain text": (b"hello", "text/plain", 415, "unsupported_media_type"),
    "latin-1 charset": (b"{}", "application/json; charset=latin-1", 415, "unsupported_media_type"),
    "no content type": (b"{}", "", 415, "unsupported_media_type"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bodies_get_a_readable_4xx(submit_api, name):
    body, content_type, status, key = HOSTILE[name]
    answer = _submit(submit_api, "son", body, content_type)
    assert answer.status_code == status, (name, answer.status_code, answer.text[:300])
    assert answer.json()["error"] == key and answer.json()["message"], answer.text[:300]
    if status == 422:
        assert answer.json()["published"] == 0 and answer.json()["errors"]


def test_a_body_over_five_megabytes_is_413(submit_api):
    body = json.dumps([_record(_unique("B"), notes="n" * 3000) for _ in range(1800)]).encode()
    assert len(body) > 5 * 1024 * 1024
    answer = _submit(submit_api, "jal", body)
    assert answer.status_code == 413 and answer.json()["error"] == "body_too_large"


def test_roles_that_may_not_submit_get_403_and_no_token_401(submit_api):
    for who in ("ops", "admin"):
        answer = _submit(submit_api, who, _record(_unique("R")))
        assert answer.status_code == 403 and answer.json()["error"] == "forbidden", who
    anonymous = requests.post(submit_api.url + "/v1/seizures", json=_record(_unique("R")), timeout=30)
    assert anonymous.status_code == 401
    revoked = _submit(submit_api, "revoked", _record(_unique("R")))
    assert revoked.status_code == 401


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_broker_that_is_down_gets_503_and_nothing_is_recorded(submit_api):
    down = submit_api.settings.with_changes(kafka_bootstrap_override=f"127.0.0.1:{_closed_port()}")
    event = _unique("D")
    with serve_another_api(down, submit_api.world) as api:
        answer = _submit(api, "jal", _record(event), lang="es")
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"] == "broker_unavailable" and "no se publicó nada" in answer.json()["message"]
        assert api.get(f"/v1/seizures/{event}/status", "jal").status_code == 404
        # a body with no valid record is still answered (validation needs no broker)
        assert _submit(api, "jal", _record(event, agency_id="FGR")).status_code == 422
    assert not any(key.endswith(event) for key in _published(submit_api))
