"""What the ops dashboard shows, computed from metrics snapshots, a lag report and recent dead letters: pure.

The dashboard learns the workers' counters from `metrics.snapshots` (every worker publishes one per
TRACEPIPE_SNAPSHOT_SECONDS), so it needs only Kafka, never a list of hosts to scrape. Counters live in a worker
process, so figures are "since the worker started": the dashboard sums the latest snapshot of every worker seen
in its window, and a throughput is the growth of those counters over the last minute. Long-term totals are
Prometheus' job (deploy/grafana).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.i18n import MESSAGES, t
from pipeline.ops.lag.model import LagReport, format_age
from pipeline.ops.metrics.instruments import parse_sample_key
from pipeline.topology import PROCESSORS

RATE_WINDOW_S = 60.0
KEEP_S = 15 * 60.0
ACTIVE_AFTER_S = 60.0  # a worker with no snapshot for this long is shown as gone (its counts still add up)
RECENT_ERRORS = 20


@dataclass(frozen=True)
class Snapshot:
    """One worker's counters at one moment (a decoded MetricsSnapshot, gauges left out)."""

    processor: str
    worker: str
    taken_at_s: float
    counters: Mapping[str, int]

    @classmethod
    def from_datum(cls, datum: Mapping[str, Any]) -> Snapshot:
        """From a decoded MetricsSnapshot record."""
        return cls(datum["processor"], datum["worker"], datum["taken_at"].timestamp(), dict(datum["counters"]))


class SnapshotHistory:
    """The last `keep_s` seconds of snapshots, per worker: the latest give totals, the older ones rates."""

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self._by_worker: dict[tuple[str, str], deque[Snapshot]] = defaultdict(deque)

    def add(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` (they arrive in time order per worker; an out-of-order one is ignored)."""
        history = self._by_worker[(snapshot.processor, snapshot.worker)]
        if history and snapshot.taken_at_s < history[-1].taken_at_s:
            return
        history.append(snapshot)

    def prune(self, now_s: float) -> None:
        """Forget snapshots older than the window, but always keep each worker's latest."""
        for key, history in list(self._by_worker.items()):
            while len(history) > 1 and history[0].taken_at_s < now_s - self.keep_s:
                history.popleft()
            if history[-1].taken_at_s < now_s - self.keep_s:
                del self._by_worker[key]

    def latest(self) -> list[Snapshot]:
        """The newest snapshot of every worker."""
        return [history[-1] for history in self._by_worker.values()]

    def rate_bases(self, now_s: float, window_s: float = RATE_WINDOW_S) -> list[tuple[Snapshot, Snapshot]]:
        """(oldest snapshot inside the window, latest) per worker with at least two snapshots."""
        pairs = []
        for history in self._by_worker.values():
            inside = [s for s in history if s.taken_at_s >= now_s - window_s]
            if len(inside) >= 2:
                pairs.append((inside[0], inside[-1]))
        return pairs


def sum_by(snapshots: Iterable[Snapshot], sample: str, label: str, **match: str) -> dict[str, int]:
    """Sum of counter `sample` over workers, grouped by `label`, keeping samples whose labels equal `match`."""
    totals: dict[str, int] = defaultdict(int)
    for snapshot in snapshots:
        for key, value in snapshot.counters.items():
            name, labels = parse_sample_key(key)
            if name == sample and all(labels.get(k) == v for k, v in match.items()):
                totals[labels.get(label, "")] += value
    return dict(totals)


def _events_in(snapshot: Snapshot) -> int:
    return sum(sum_by([snapshot], "tracepipe_events_in_total", "processor").values())


def _rates(history: SnapshotHistory, now_s: float) -> dict[str, float]:
    """Records in per second per processor over the last minute."""
    rates: dict[str, float] = defaultdict(float)
    for first, last in history.rate_bases(now_s):
        seconds = last.taken_at_s - first.taken_at_s
        grown = _events_in(last) - _events_in(first)
        rates[last.processor] += max(0, grown) / seconds if seconds > 0 else 0.0
    return dict(rates)


def _stage_rows(history: SnapshotHistory, lag: LagReport | None, now_s: float) -> list[dict[str, Any]]:
    latest = history.latest()
    events_in = sum_by(latest, "tracepipe_events_in_total", "processor")
    events_out = sum_by(latest, "tracepipe_events_out_total", "processor")
    dead = sum_by(latest, "tracepipe_dead_letters_total", "processor")
    rates = _rates(history, now_s)
    active: dict[str, int] = defaultdict(int)
    for snapshot in latest:
        active[snapshot.processor] += now_s - snapshot.taken_at_s <= ACTIVE_AFTER_S
    lag_by_stage = {stage.stage: stage for stage in lag.stages} if lag else {}
    rows = []
    for spec in PROCESSORS:
        stage_lag = lag_by_stage.get(spec.name)
        rows.append({
            "stage": spec.name, "topic": spec.reads.name,
            "events_in": events_in.get(spec.name, 0), "events_out": events_out.get(spec.name, 0),
            "dead_letters": dead.get(spec.name, 0), "rate_in": round(rates.get(spec.name, 0.0), 2),
            "workers": active.get(spec.name, 0),
            "lag": stage_lag.lag if stage_lag else None,
            "lag_seconds": stage_lag.seconds_behind if stage_lag else None,
            "lag_age": format_age(stage_lag.seconds_behind) if stage_lag else None,
        })
    return rows


def _counts(totals: Mapping[str, int], lang: str = "en", labels: str | None = None) -> list[dict[str, Any]]:
    """Non-zero counts, largest first, as [{"name": code, "label": words in `lang`, "count"}]; the words are the
    catalogue's `<labels>_<code>` message where there is one, else the code."""
    def label(name: str) -> str:
        key = f"{labels}_{name.lower()}"
        return t(key, lang) if labels and key in MESSAGES else name

    return [{"name": name, "label": label(name), "count": count}
            for name, count in sorted(totals.items(), key=lambda item: (-item[1], item[0])) if count]


def recent_errors(letters: Sequence[Mapping[str, Any]], lang: str, limit: int = RECENT_ERRORS) -> list[dict[str, Any]]:
    """The newest dead letters first, as rows: when, processor, reason, message (in `lang`), where it came from.
    Never the original bytes: a seizure's contents stay on the dead-letter topic."""
    newest = sorted(letters, key=lambda letter: letter["failed_at"], reverse=True)[:limit]
    return [{"at": letter["failed_at"].isoformat(timespec="seconds"), "processor": letter["processor"],
             "reason": letter["reason_code"],
             "message": letter["message_es"] if lang == "es" else letter["message_en"],
             "source": f"{letter['source_topic']}/{letter['source_partition']}@{letter['source_offset']}"}
            for letter in newest]


def build_overview(history: SnapshotHistory, lag: LagReport | None, letters: Sequence[Mapping[str, Any]],
                   now_s: float, lang: str = "en", lag_error: str | None = None) -> dict[str, Any]:
    """Everything the dashboard page shows, JSON-ready."""
    latest = history.latest()
    outcomes = sum_by(latest, "tracepipe_trace_outcomes_total", "outcome")
    stages = _stage_rows(history, lag, now_s)
    intake_in = next(row["events_in"] for row in stages if row["stage"] == PROCESSORS[0].name)
    return {
        "taken_at": datetime.fromtimestamp(now_s, UTC).isoformat(timespec="seconds"),
        "lang": lang,
        "workers_seen": len(latest),
        "totals": {
            "events": intake_in,
            "traces_opened": sum(sum_by(latest, "tracepipe_traces_opened_total", "processor").values()),
            "traces_finished": sum(outcomes.values()),
            "dead_letters": sum(row["dead_letters"] for row in stages),
            "lag": sum(row["lag"] or 0 for row in stages) if lag else None,
        },
        "stages": stages,
        "dead_letters": _counts(sum_by(latest, "tracepipe_dead_letters_total", "reason")),
        "outcomes": _counts(outcomes, lang, "outcome"),
        "close_reasons": _counts(sum_by(latest, "tracepipe_trace_outcomes_total", "reason"), lang, "reason"),
        "dedupe": _counts(sum_by(latest, "tracepipe_dedupe_decisions_total", "decision"), lang, "decision"),
        "errors": {
            "observer": sum(sum_by(latest, "tracepipe_observer_errors_total", "processor").values()),
            "database": sum(sum_by(latest, "tracepipe_database_errors_total", "stage").values()),
        },
        "recent_errors": recent_errors(letters, lang),
        "lag_error": lag_error,
    }
