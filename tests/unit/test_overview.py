"""The dashboard's figures from snapshots, lag and dead letters (pure), and the page around them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.samples import Sample

from pipeline.i18n import MESSAGES
from pipeline.ops.dashboard.overview import Snapshot, SnapshotHistory, build_overview, recent_errors, sum_by
from pipeline.ops.dashboard.web import choose_lang, page_text, render_page
from pipeline.ops.lag.model import LagReport, StageLag
from pipeline.ops.metrics.instruments import ProcessorMetrics, parse_sample_key, sample_key
from pipeline.topology import PROCESSORS

T0 = datetime(2026, 9, 21, 14, 13, 20, tzinfo=UTC).timestamp()


def snapshot(name: str, worker: str, at: float, events: int, **extra: int) -> Snapshot:
    """A snapshot of real ProcessorMetrics after `events` records in (plus dead letters by reason in `extra`)."""
    metrics = ProcessorMetrics(name)
    metrics.events_in.labels(name).inc(events)
    for reason, count in extra.items():
        metrics.dead_letters.labels(name, reason).inc(count)
    counters, _gauges = metrics.snapshot_values()
    return Snapshot(name, worker, at, counters)


def letter(at: float, reason: str = "UNKNOWN_STATE") -> dict:
    return {"failed_at": datetime.fromtimestamp(at, UTC), "processor": "intake", "reason_code": reason,
            "message_en": "state is not a Mexican state", "message_es": "el estado no es un estado de México",
            "source_topic": "seizures.raw", "source_partition": 1, "source_offset": 7,
            "original_key": b"k", "original_value": b"secret bytes"}


@given(st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), st.text(max_size=12), max_size=4))
def test_parse_sample_key_inverts_sample_key(labels):
    assert parse_sample_key(sample_key(Sample("tracepipe_x_total", labels, 1.0))) == ("tracepipe_x_total", labels)


def test_totals_add_up_every_workers_latest_snapshot():
    history = SnapshotHistory()
    history.add(snapshot("intake", "a-1", T0, 10))
    history.add(snapshot("intake", "a-1", T0 + 10, 40, UNKNOWN_STATE=2))
    history.add(snapshot("intake", "b-2", T0 + 10, 5))
    history.add(snapshot("intake", "a-1", T0 + 5, 99))  # out of order: ignored
    assert sum_by(history.latest(), "tracepipe_events_in_total", "processor") == {"intake": 45}
    overview = build_overview(history, None, [], T0 + 12)
    intake = overview["stages"][0]
    assert (intake["stage"], intake["events_in"], intake["dead_letters"], intake["workers"]) == ("intake", 45, 2, 2)
    assert overview["totals"]["events"] == 45 and overview["totals"]["dead_letters"] == 2
    assert overview["dead_letters"] == [{"name": "UNKNOWN_STATE", "label": "UNKNOWN_STATE", "count": 2}]
    assert overview["totals"]["lag"] is None and intake["lag"] is None  # no lag read yet
    assert [row["stage"] for row in overview["stages"]] == [spec.name for spec in PROCESSORS]


def test_rate_is_growth_over_the_last_minute_per_worker():
    history = SnapshotHistory()
    history.add(snapshot("dedupe", "a-1", T0, 1000))  # older than the window
    history.add(snapshot("dedupe", "a-1", T0 + 60, 1100))
    history.add(snapshot("dedupe", "a-1", T0 + 100, 1300))
    history.add(snapshot("dedupe", "b-2", T0 + 90, 0))
    history.add(snapshot("dedupe", "b-2", T0 + 100, 50))
    rows = {row["stage"]: row for row in build_overview(history, None, [], T0 + 110)["stages"]}
    assert rows["dedupe"]["rate_in"] == pytest.approx(200 / 40 + 50 / 10)
    assert rows["intake"]["rate_in"] == 0


def test_prune_forgets_old_snapshots_and_silent_workers():
    history = SnapshotHistory(keep_s=100)
    history.add(snapshot("intake", "gone-1", T0, 7))
    history.add(snapshot("intake", "a-1", T0, 1))
    history.add(snapshot("intake", "a-1", T0 + 150, 3))
    history.prune(T0 + 160)
    assert [(s.worker, s.taken_at_s) for s in history.latest()] == [("a-1", T0 + 150)]
    assert history.rate_bases(T0 + 160) == []  # one snapshot left: no rate


def test_silent_worker_is_not_counted_as_active():
    history = SnapshotHistory()
    history.add(snapshot("intake", "a-1", T0, 3))
    assert build_overview(history, None, [], T0 + 61)["stages"][0]["workers"] == 0
    assert build_overview(history, None, [], T0 + 61)["stages"][0]["events_in"] == 3


def test_outcomes_and_decisions_are_named_in_the_users_language():
    metrics = ProcessorMetrics("sink")
    for outcome, reason, times in (("COMPLETED", "NONE", 3), ("CLOSED", "PRE_1968", 1)):
        for _ in range(times):
            metrics.observe_trace_result({"outcome": outcome, "reason": reason, "time_to_crime_days": None})
    history = SnapshotHistory()
    history.add(Snapshot("sink", "a-1", T0, metrics.snapshot_values()[0]))
    overview = build_overview(history, None, [], T0, "es")
    assert overview["outcomes"] == [
        {"name": "COMPLETED", "label": "completado (comprador identificado)", "count": 3},
        {"name": "CLOSED", "label": "cerrado sin comprador", "count": 1}]
    assert [row["label"] for row in overview["close_reasons"]] == ["completado", "fabricada antes de 1968"]
    assert overview["totals"]["traces_finished"] == 4


def test_every_outcome_reason_and_decision_has_words_in_both_languages():
    from pipeline.ops.metrics.instruments import DECISIONS

    metrics = ProcessorMetrics("sink")
    codes = [("outcome", metrics.outcomes), ("reason", metrics.close_reasons), ("decision", DECISIONS)]
    for prefix, names in codes:
        for name in names:
            assert set(MESSAGES[f"{prefix}_{name.lower()}"]) == {"en", "es"}


def test_lag_per_stage_comes_from_the_report():
    stages = tuple(StageLag(spec.name, f"tracepipe-{spec.name}", spec.reads.name, 6, 0, index, float(index * 90))
                   for index, spec in enumerate(PROCESSORS))
    overview = build_overview(SnapshotHistory(), LagReport(0, (), (), stages), [], T0)
    rows = {row["stage"]: row for row in overview["stages"]}
    assert rows["dedupe"]["lag"] == 1 and rows["dedupe"]["lag_age"] == "1m30s"
    assert overview["totals"]["lag"] == sum(range(len(PROCESSORS)))
    assert overview["workers_seen"] == 0


def test_recent_errors_newest_first_in_the_language_without_bytes():
    rows = recent_errors([letter(T0), letter(T0 + 5, "FUTURE_DATE")], "es", limit=1)
    assert rows == [{"at": "2026-09-21T14:13:25+00:00", "processor": "intake", "reason": "FUTURE_DATE",
                     "message": "el estado no es un estado de México", "source": "seizures.raw/1@7"}]
    assert "secret" not in json.dumps(rows)


@pytest.mark.parametrize(("asked", "header", "default", "chosen"), [
    ("es", "en-US", "en", "es"),
    (None, "es-MX,es;q=0.9,en;q=0.8", "en", "es"),
    (None, "fr-FR, en;q=0.5", "es", "en"),
    ("de", None, "es", "es"),
    (None, "", "en", "en"),
])
def test_language_choice(asked, header, default, chosen):
    assert choose_lang(asked, header, default) == chosen


def test_page_has_every_label_in_both_languages():
    dash_keys = {key for key in MESSAGES if key.startswith("dash_")}
    for lang in ("en", "es"):
        assert set(page_text(lang, 5)) == dash_keys
        html = render_page(lang, 5)
        assert f'<html lang="{lang}">' in html and "__" not in re.sub(r"__BOOT__|__LANG__|__TITLE__", "", html)
        boot = json.loads(re.search(r"const BOOT = (.*);  //", html).group(1))
        assert boot["lang"] == lang and boot["text"]["dash_title"] == MESSAGES["dash_title"][lang]
        # every label the script asks for exists
        assert set(re.findall(r"T\.(dash_\w+)", html)) | set(re.findall(r'"(dash_\w+)"', html)) <= dash_keys
    assert page_text("es", 2.5)["dash_refresh_every"] == "se actualiza cada 2.5 s"


def test_page_script_cannot_be_closed_by_a_label(monkeypatch):
    monkeypatch.setitem(MESSAGES, "dash_none", {"en": "</script><b>x</b>", "es": "x"})
    html = render_page("en", 5)
    assert "</script><b>" not in html and html.count("</script>") == 1
