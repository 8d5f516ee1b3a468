"""Hostile filter values get a 4xx with a readable message, never a 5xx, and never change the answer's scope."""

from __future__ import annotations

import pytest

HOSTILE = [
    "' OR '1'='1", "'; DROP TABLE traces; --", "1) OR (1=1", "%", "_", "\\", "\x00", "nul\x00byte", "\x1b[31m",
    "A" * 10_000, "😀" * 50, "\u202eevil", "Ａｂｃ", "ǅ", "\ud7ff", "𝔊𝔩𝔬𝔠𝔨", "$(rm -rf /)", "{{7*7}}",
    "<script>x</script>",
]
STRING_FILTERS = ("agency", "state", "reason", "maker", "model", "caliber", "serial", "source_state", "dealer",
                  "cursor", "outcome", "sort")
DATE_FILTERS = ("recovered_from", "recovered_to")
BAD_DATES = ["2024-02-30", "0000-01-01", "9999-99-99", "-1", "yesterday", "2024-13-01", "1e9", "\x00"]


@pytest.mark.parametrize("name", STRING_FILTERS)
def test_hostile_string_filters_are_4xx_or_an_empty_scoped_answer(api, name):
    mine = api.world.of("FGE-SON")
    for value in HOSTILE:
        answer = api.get("/v1/traces", "son", **{name: value})
        assert answer.status_code < 500, (name, repr(value[:20]), answer.text[:200])
        if answer.status_code == 200:
            assert {item["trace_id"] for item in answer.json()["items"]} <= mine
        else:
            body = answer.json()
            assert body["error"] in {"invalid_request", "invalid_cursor"} and body["message"]


@pytest.mark.parametrize("name", DATE_FILTERS)
def test_impossible_dates_are_422(api, name):
    for value in BAD_DATES:
        answer = api.get("/v1/traces", "son", **{name: value}, lang="es")
        assert answer.status_code == 422, (name, value)
        assert answer.json()["message"] == "solicitud no válida"


def test_hostile_path_values_are_404_or_422(api):
    for value in ("' OR 1=1 --", "..%2F..%2Fetc%2Fpasswd", "A" * 300, "%00", "😀"):
        for path in (f"/v1/traces/{value}", f"/v1/seizures/{value}/status"):
            answer = api.get(path, "jal")
            assert answer.status_code in (404, 422), (path, answer.status_code)


def test_numbers_out_of_range_are_422(api):
    for params in ({"limit": 0}, {"limit": 501}, {"limit": "ten"}, {"ttc_min": -1}, {"ttc_max": 10**12},
                   {"serial_near": "maybe"}):
        assert api.get("/v1/traces", "jal", **params).status_code == 422, params
