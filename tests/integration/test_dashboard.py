"""The ops dashboard in a real headless Chromium, against the whole pipeline on the real broker and database.

The page must load, refresh itself, and show (in English and Spanish) figures equal to what the workers' own
/metrics say after a known scenario. Screenshots are kept in reports/test-artefacts/ for a human to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections import defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.ops.dashboard.feed import DashboardFeed
from pipeline.ops.dashboard.web import DashboardThread
from pipeline.ops.metrics.instruments import parse_sample_key
from pipeline.producers.scenario import generate_scenario
from pipeline.rules.validate import RejectReason
from pipeline.topology import PROCESSORS
from pipeline.worker.supervisor import parse_processors
from tests.integration.harness import PipelineHarness, seeded_records_database
from tests.integration.scraping import fetch, free_base_port, promtool_problems, samples, scrape

SEED = 9090
ARTEFACTS = Path(__file__).resolve().parents[2] / "reports" / "test-artefacts"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-quic", "--hide-scrollbars")


def chromium(url: str, *args: str, timeout: float = 90.0) -> str:
    """Run Debian's chromium headless on `url` with a fresh profile; its stdout."""
    executable = shutil.which("chromium")
    assert executable, "chromium is missing: scripts/bootstrap.sh installs it (apt-get install chromium)"
    with tempfile.TemporaryDirectory(prefix="tracepipe-chromium-") as profile:
        result = subprocess.run([executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                                capture_output=True, text=True, timeout=timeout, cwd=profile)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class MetricCells(HTMLParser):
    """Text of every element carrying data-metric="...", and the body's data-refreshes counter."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, str] = {}
        self.refreshes = 0
        self.title = ""
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "body":
            self.refreshes = int(found.get("data-refreshes") or 0)
        self._open.append((tag, found.get("data-metric") or ("title" if found.get("id") == "title" else None)))
        if found.get("data-metric"):
            self.cells[found["data-metric"]] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, _name = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _tag, name in reversed(self._open):
            if name == "title":
                self.title += data
                return
            if name:
                self.cells[name] += data
                return


def rendered(port: int, lang: str) -> MetricCells:
    """The page as Chromium has it after its scripts ran (several refreshes' worth of virtual time)."""
    dom = chromium(f"http://127.0.0.1:{port}/?lang={lang}", "--virtual-time-budget=6000", "--dump-dom")
    cells = MetricCells()
    cells.feed(dom)
    return cells


def number(text: str) -> int:
    """A figure as the page prints it (en-US and es-MX both group thousands with commas)."""
    return int(text.replace(",", "").strip())


@dataclass
class Served:
    """A pipeline that ran a scenario, its workers still up, and the dashboard in front of it."""

    scraped: dict[str, dict[str, float]]  # processor -> its /metrics samples by key
    port: int
    overview: dict


def sum_samples(scraped: dict[str, dict[str, float]], name: str, label: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for texts in scraped.values():
        for key, value in texts.items():
            sample, labels = parse_sample_key(key)
            if sample == name:
                totals[labels[label]] += int(value)
    return {k: v for k, v in totals.items() if v}


def wait_for_feed(feed: DashboardFeed, scraped: dict[str, dict[str, float]], timeout: float = 60.0) -> dict:
    """The feed's overview once it has caught up with every worker's latest snapshot."""
    want = {name: int(texts[f'tracepipe_events_in_total{{processor="{name}"}}']) for name, texts in scraped.items()}
    deadline = time.monotonic() + timeout
    while True:
        overview = feed.overview("en")
        got = {row["stage"]: row["events_in"] for row in overview["stages"]}
        if (got == want and overview["totals"]["lag"] == 0) or time.monotonic() > deadline:
            return overview
        time.sleep(1.0)


@pytest.fixture(scope="module")
def served(stack, settings):
    """Run the whole pipeline over a scenario, then serve the dashboard and yield while the workers still run.

    A worker restarted by the stall watchdog counts from zero again while its earlier snapshots still add up on
    the dashboard; such a run cannot be compared figure for figure with a scrape, so it is run once more.
    """
    scenario = generate_scenario(days=2, seed=SEED)
    private = seeded_records_database(settings, scenario.firearms, SEED, extra_firearms=500)
    for attempt in (1, 2):
        base = free_base_port(len(PROCESSORS) + 1)
        harness = PipelineHarness(private, parse_processors("all"), extra_env={
            "TRACEPIPE_PG_DB": private.pg_db, "TRACEPIPE_METRICS_PORT": str(base), "TRACEPIPE_SNAPSHOT_SECONDS": "1"})
        harness.start()
        feed = DashboardFeed(harness.settings, lag_every_s=1.0)
        try:
            harness.publish(scenario.events)
            harness.wait_drained(timeout=300)
            scraped = {spec.name: samples(scrape(base + index)) for index, spec in enumerate(PROCESSORS)}
            with DashboardThread(feed, "127.0.0.1", base + len(PROCESSORS), refresh_s=1.0):
                overview = wait_for_feed(feed, scraped)
                if overview["workers_seen"] == len(PROCESSORS) or attempt == 2:
                    yield Served(scraped, base + len(PROCESSORS), overview)
                    return
            warnings.warn(f"a worker was restarted ({overview['workers_seen']} workers seen); running again",
                          stacklevel=1)
        finally:
            harness.stop()


def test_page_shows_the_workers_figures(served):
    page = rendered(served.port, "en")
    cells, scraped = page.cells, served.scraped
    assert page.title == "tracepipe — pipeline operations"
    for spec in PROCESSORS:
        expected = int(scraped[spec.name][f'tracepipe_events_in_total{{processor="{spec.name}"}}'])
        assert number(cells[f"stage:{spec.name}:events_in"]) == expected, spec.name
        assert number(cells[f"stage:{spec.name}:lag"]) == 0, spec.name  # drained
    events = number(cells["total:events"])
    assert events == int(scraped["intake"]['tracepipe_events_in_total{processor="intake"}']) > 0
    assert number(cells["total:traces_opened"]) == \
        int(scraped["dedupe"]['tracepipe_traces_opened_total{processor="dedupe"}']) > 0
    outcomes = sum_samples(scraped, "tracepipe_trace_outcomes_total", "outcome")
    assert {name.split(":", 1)[1]: number(text) for name, text in cells.items() if name.startswith("outcome:")} \
        == outcomes
    assert number(cells["total:traces_finished"]) == sum(outcomes.values()) > 0
    dead = sum_samples(scraped, "tracepipe_dead_letters_total", "reason")
    assert {name.split(":", 1)[1]: number(text) for name, text in cells.items() if name.startswith("dead:")} == dead
    assert dead and set(dead) <= {str(reason) for reason in RejectReason}
    assert number(cells["total:dead_letters"]) == sum(dead.values())
    # Recent errors are the dead letters themselves, by reason code.
    assert {text for name, text in cells.items() if name == "recent:reason"} <= set(dead)


def test_page_refreshes_itself(served):
    page = rendered(served.port, "en")
    assert page.refreshes >= 3  # one load + a refresh a second over the virtual-time budget


def test_page_in_spanish(served):
    page = rendered(served.port, "es")
    assert page.title == "tracepipe — operación del pipeline"
    english = rendered(served.port, "en")
    assert page.cells["total:events"] == english.cells["total:events"]
    dom = chromium(f"http://127.0.0.1:{served.port}/?lang=es", "--virtual-time-budget=3000", "--dump-dom")
    assert "Etapas: rendimiento y retraso" in dom and "Mensajes rechazados por motivo" in dom


def test_screenshots_are_kept(served):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "es"):
        path = ARTEFACTS / f"dashboard-{lang}.png"
        path.unlink(missing_ok=True)
        chromium(f"http://127.0.0.1:{served.port}/?lang={lang}", "--virtual-time-budget=3000",
                 f"--screenshot={path}", "--window-size=1400,1900")
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, path


def test_dashboard_exports_lag_gauges(served):
    text = scrape(served.port)
    assert promtool_problems(text) == ""
    got = samples(text)
    assert got["tracepipe_lag_up"] == 1
    for spec in PROCESSORS:
        assert got[f'tracepipe_stage_lag_messages{{stage="{spec.name}"}}'] == 0


def test_overview_api_never_carries_record_bytes(served):
    with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/api/overview?lang=es", timeout=10) as response:
        body = json.loads(response.read())
    assert body["lang"] == "es" and body["recent_errors"]
    for row in body["recent_errors"]:
        assert set(row) == {"at", "processor", "reason", "message", "source"}


@pytest.mark.parametrize("broker", ["real", "unreachable"])
def test_tracepipe_dashboard_command_serves_the_page(stack, settings, broker):
    """`tracepipe dashboard` as an operator starts it; with no broker it still serves and says why figures lack."""
    port = free_base_port(1)
    env = {**os.environ, "TRACEPIPE_LANG": "es", "TRACEPIPE_NAMESPACE": f"cli{port}."}
    if broker == "unreachable":
        env["TRACEPIPE_KAFKA_BOOTSTRAP"] = f"127.0.0.1:{free_base_port(1)}"
    process = subprocess.Popen([str(Path(sys.executable).parent / "tracepipe"), "dashboard", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        page = fetch(f"http://127.0.0.1:{port}/").decode()
        assert '<html lang="es">' in page and "tracepipe — operación del pipeline" in page
        deadline = time.monotonic() + 60
        while True:
            overview = json.loads(fetch(f"http://127.0.0.1:{port}/api/overview"))
            lag_read = overview["lag_error"] is not None or overview["totals"]["lag"] is not None
            if lag_read or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        health = json.loads(fetch(f"http://127.0.0.1:{port}/healthz"))
        lag_up = samples(scrape(port))["tracepipe_lag_up"]
        if broker == "real":
            assert overview["lag_error"] is None and overview["totals"]["lag"] == 0
            assert health == {"ok": True, "lag_up": True} and lag_up == 1
        else:
            assert "could not read consumer lag" in overview["lag_error"]
            assert health == {"ok": True, "lag_up": False} and lag_up == 0
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output
    assert "Traceback" not in output
