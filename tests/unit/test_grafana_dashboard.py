"""Static checks of the Grafana dashboard deploy/grafana/tracepipe-dashboard.json and its compose provisioning.

Every `tracepipe_*` series the dashboard queries must be one the code really exposes, with the labels the
query groups or filters by. The reference is built from the code, not from a list kept by hand: a
`ProcessorMetrics` per processor of the topology (with every labelled series touched once, so `_total`,
`_bucket`, `_sum` and `_count` samples and their labels appear) and the lag gauges of `lag_metric_families`.
A renamed metric or label therefore fails here instead of leaving an empty panel in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.ops.lag.model import GroupLag, LagReport, PartitionLag, StageLag
from pipeline.ops.lag.report import lag_metric_families
from pipeline.ops.metrics.instruments import LOOKUP_OUTCOMES, STAGES, ProcessorMetrics
from pipeline.topology import PROCESSORS

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_FILE = ROOT / "deploy" / "grafana" / "tracepipe-dashboard.json"
COMPOSE_FILE = ROOT / "deploy" / "compose" / "docker-compose.yml"

METRIC = re.compile(r"\btracepipe_\w+")
# A selector: metric name, then optionally its {matchers}.
SELECTOR = re.compile(r"\b(tracepipe_\w+)\s*(?:\{([^}]*)\})?")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")
LABEL_VALUES = re.compile(r"label_values\(\s*(tracepipe_\w+)\s*(?:\{[^}]*\})?\s*,\s*(\w+)\s*\)")


# --------------------------------------------------------------------------------------------------
# What the code exposes
# --------------------------------------------------------------------------------------------------


def _touch_every_series(metrics: ProcessorMetrics) -> None:
    """Create one series of every metric, so each family shows its samples (and their labels) in collect()."""
    name = metrics.processor
    metrics.events_in.labels(name).inc()
    metrics.events_out.labels(name, "seizures.enriched").inc()
    metrics.dead_letters.labels(name, "MISSING_FIELD").inc()
    metrics.dedupe_decisions.labels(name, "OPEN_TRACE").inc()
    metrics.traces_opened.labels(name).inc()
    metrics.possible_duplicates.labels(name).inc()
    metrics.observer_errors.labels(name).inc()
    metrics.step_seconds.labels(name).observe(0.01)
    metrics.publish_to_process_seconds.labels(name).observe(0.5)
    metrics.last_event_timestamp.labels(name).set(1.7e9)
    for outcome in LOOKUP_OUTCOMES:
        metrics.record_lookup(STAGES[0], outcome)
    metrics.database_error(STAGES[0])
    metrics.observe_trace_result({"outcome": metrics.outcomes[0], "reason": metrics.close_reasons[0],
                                  "time_to_crime_days": 400, "opened_at": datetime(2026, 1, 1, tzinfo=UTC),
                                  "completed_at": datetime(2026, 1, 1, 0, 1, tzinfo=UTC)})


def _fake_lag_report() -> LagReport:
    group, topic = "tracepipe-intake", "seizures.raw"
    return LagReport(
        taken_at_ms=1_700_000_000_000,
        partitions=(PartitionLag(group, topic, 0, committed=5, log_start=0, log_end=12, lag=7,
                                 seconds_behind=3.0, changelog=False),),
        groups=(GroupLag(group, "Stable", partitions=1, lag=7, seconds_behind=3.0),),
        stages=(StageLag("intake", group, topic, partitions=1, never_committed=0, lag=7, seconds_behind=3.0),),
    )


@cache
def _exposed() -> dict[str, dict[str, set[str]]]:
    """{sample name: {label: {values seen}}} of every tracepipe sample the workers and the lag reader expose."""
    out: dict[str, dict[str, set[str]]] = {}
    families = []
    for spec in PROCESSORS:
        metrics = ProcessorMetrics(spec.name)
        _touch_every_series(metrics)
        families += list(metrics.registry.collect())
    families += lag_metric_families(_fake_lag_report())
    for family in families:
        assert family.samples, f"{family.name} has no sample: the reference would miss its names"
        for sample in family.samples:
            if not sample.name.startswith("tracepipe_") or sample.name.endswith("_created"):
                continue
            labels = out.setdefault(sample.name, {})
            for label, value in sample.labels.items():
                labels.setdefault(label, set()).add(value)
    return out



# --------------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------------


def _load() -> dict[str, Any]:
    with DASHBOARD_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return _load()


def _all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, rows included, and the panels nested in (collapsed) rows."""
    for panel in panels:
        yield panel
        yield from _all_panels(panel.get("panels") or [])


def _queries(dash: dict[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """(where, expr, legendFormat) of every panel target and templating query."""
    for panel in _all_panels(dash["panels"]):
        for target in panel.get("targets") or []:
            if "expr" in target:
                yield f"panel {panel.get('id')} {panel.get('title')!r}", target["expr"], target.get("legendFormat")
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        query = var.get("query")
        texts = [query.get("query", "") if isinstance(query, dict) else str(query or ""), var.get("definition", "")]
        for text in texts:
            if text:
                yield f"variable ${var['name']}", text, None


def problems_in_expr(expr: str, legend: str | None = None) -> list[str]:
    """Everything in one PromQL expression that does not match what the code exposes (empty: fine)."""
    exposed = _exposed()
    found: list[str] = []
    names = METRIC.findall(expr)
    unknown = [n for n in names if n not in exposed]
    found += [f"unknown metric {n}" for n in unknown]
    known = [n for n in names if n in exposed]
    for name, matchers in SELECTOR.findall(expr):
        if name not in exposed:
            continue
        for label, op, value in MATCHER.findall(matchers or ""):
            if label not in exposed[name]:
                found.append(f"{name} has no label {label!r} (labels: {sorted(exposed[name])})")
            elif label == "le" and op == "=" and value not in exposed[name]["le"]:
                found.append(f"{name} has no bucket le={value!r} (buckets: {sorted(exposed[name]['le'])})")
    for group in GROUPING.findall(expr):
        for label in (part.strip() for part in group.split(",")):
            missing = [n for n in known if label and label not in exposed[n]]
            if missing:
                found.append(f"grouping label {label!r} is not on {missing}")
    for name, label in LABEL_VALUES.findall(expr):
        if name in exposed and label not in exposed[name]:
            found.append(f"label_values: {name} has no label {label!r}")
    if legend and known:
        available = set().union(*(exposed[n] for n in known))
        for label in LEGEND_LABEL.findall(legend):
            if label not in available:
                found.append(f"legend {{{{{label}}}}} is no label of {known}")
    return found


def test_reference_covers_every_metric_family():
    """The reference itself: a family the code adds later must show up here (see _touch_every_series)."""
    exposed = _exposed()
    for spec in PROCESSORS:
        families = {f.name for f in ProcessorMetrics(spec.name).registry.collect()}
        for family in families:
            assert any(s == family or s.startswith(f"{family}_") for s in exposed), family
    assert "tracepipe_events_in_total" in exposed
    assert "le" in exposed["tracepipe_step_duration_seconds_bucket"]
    assert {"group", "topic"} <= set(exposed["tracepipe_consumer_lag_seconds"])
    assert "tracepipe_lag_up" in exposed


def test_dashboard_identity(dashboard):
    assert dashboard["uid"] == "tracepipe-ops"
    assert dashboard["title"] == "tracepipe — pipeline operations"
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 39


def test_every_panel_queries_something(dashboard):
    panels = [p for p in _all_panels(dashboard["panels"]) if p.get("type") != "row"]
    assert len(panels) >= 15
    for panel in panels:
        exprs = [t.get("expr") for t in panel.get("targets") or []]
        assert exprs and all(exprs), f"panel {panel.get('id')} {panel.get('title')!r} has a target without expr"
        assert panel.get("description"), f"panel {panel.get('title')!r} says nothing to the operator"


def test_panel_ids_and_ref_ids_are_unique(dashboard):
    panels = list(_all_panels(dashboard["panels"]))
    ids = [p.get("id") for p in panels]
    assert None not in ids
    assert len(ids) == len(set(ids)), f"duplicate panel ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    uids = [p["uid"] for p in panels if p.get("uid")]
    assert len(uids) == len(set(uids))
    for panel in panels:
        refs = [t.get("refId") for t in panel.get("targets") or []]
        assert len(refs) == len(set(refs)), f"panel {panel['id']}: duplicate refId"


def test_every_queried_metric_and_label_exists(dashboard):
    queries = list(_queries(dashboard))
    assert any(where.startswith("variable") for where, _, _ in queries), "no templating query checked"
    seen: set[str] = set()
    problems = []
    for where, expr, legend in queries:
        seen |= set(METRIC.findall(expr))
        problems += [f"{where}: {p}" for p in problems_in_expr(expr, legend)]
    assert not problems, "\n".join(problems)
    # The panels the dashboard promises are there.
    for name in ("tracepipe_events_in_total", "tracepipe_events_out_total", "tracepipe_dead_letters_total",
                 "tracepipe_dedupe_decisions_total", "tracepipe_traces_opened_total",
                 "tracepipe_possible_duplicates_total", "tracepipe_stage_lag_messages",
                 "tracepipe_consumer_lag_seconds", "tracepipe_lag_up", "tracepipe_step_duration_seconds_bucket",
                 "tracepipe_publish_to_process_seconds_bucket", "tracepipe_trace_outcomes_total",
                 "tracepipe_time_to_crime_seconds_bucket", "tracepipe_records_lookups_total",
                 "tracepipe_database_errors_total", "tracepipe_observer_errors_total"):
        assert name in seen, f"no panel queries {name}"


@pytest.mark.parametrize(
    ("expr", "complaint"),
    [
        ("sum(rate(tracepipe_foo_total[5m]))", "unknown metric tracepipe_foo_total"),
        ("rate(tracepipe_events_in[5m])", "unknown metric tracepipe_events_in"),
        ('sum by (reason) (rate(tracepipe_events_in_total{processor=~"$processor"}[5m]))', "grouping label"),
        ('sum(tracepipe_stage_lag_messages{processor="intake"})', "no label 'processor'"),
        ('sum(tracepipe_time_to_crime_seconds_bucket{le="94608000"})', "no bucket"),
        ("label_values(tracepipe_events_in_total, stage)", "label_values"),
    ],
)
def test_the_check_rejects_what_the_code_does_not_expose(expr, complaint):
    problems = problems_in_expr(expr)
    assert any(complaint in p for p in problems), problems


def test_the_check_rejects_a_legend_label_the_metric_lacks():
    assert problems_in_expr("sum by (processor) (rate(tracepipe_events_in_total[5m]))", "{{topic}}")
    assert not problems_in_expr("sum by (topic) (rate(tracepipe_events_out_total[5m]))", "{{topic}}")


def test_processor_variable_lists_the_processors(dashboard):
    (var,) = [v for v in dashboard["templating"]["list"] if v["name"] == "processor"]
    query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
    assert re.fullmatch(r"label_values\(tracepipe_events_in_total,\s*processor\)", query)
    assert var.get("includeAll") and var.get("multi")


# --------------------------------------------------------------------------------------------------
# Data source and compose provisioning
# --------------------------------------------------------------------------------------------------


def _datasource_refs(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        ds = node.get("datasource")
        if isinstance(ds, dict) and ds.get("type") == "prometheus":
            yield ds
        for value in node.values():
            yield from _datasource_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _datasource_refs(value)


def test_panels_use_the_datasource_variable(dashboard):
    (var,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    assert var["query"] == "prometheus"
    refs = list(_datasource_refs(dashboard["panels"]))
    assert refs
    assert {r["uid"] for r in refs} == {f"${{{var['name']}}}"}


def test_compose_provisions_the_dashboard_and_its_datasource(dashboard):
    with COMPOSE_FILE.open(encoding="utf-8") as fh:
        compose = yaml.safe_load(fh)
    (grafana,) = [s for s in compose["services"].values() if str(s.get("image", "")).startswith("grafana/")]
    configs = compose["configs"]
    mounted = {c["source"]: c["target"] for c in grafana["configs"]}

    dashboard_files = {name: target for name, target in mounted.items() if "file" in configs[name]}
    (json_config,) = [n for n in dashboard_files
                      if (COMPOSE_FILE.parent / configs[n]["file"]).resolve() == DASHBOARD_FILE.resolve()]
    json_target = dashboard_files[json_config]

    datasources, providers = [], []
    for name, target in mounted.items():
        if "content" not in configs[name]:
            continue
        doc = yaml.safe_load(configs[name]["content"])
        if target.startswith("/etc/grafana/provisioning/datasources/"):
            datasources += doc["datasources"]
        elif target.startswith("/etc/grafana/provisioning/dashboards/"):
            providers += doc["providers"]
    assert any(json_target.startswith(p["options"]["path"].rstrip("/") + "/") for p in providers), (
        f"no dashboard provider reads {json_target}"
    )
    (var,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    default_uid = var["current"]["value"]
    assert any(d.get("uid") == default_uid and d["type"] == "prometheus" for d in datasources), (
        f"no provisioned Prometheus data source with uid {default_uid!r}"
    )
