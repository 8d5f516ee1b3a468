"""What a run produced, read from PostgreSQL (traces, recoveries) and Kafka (dead letters, duplicates)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import psycopg2


@dataclass
class RunSummary:
    """The figures the demo prints and charts."""

    events: int = 0
    traces: int = 0
    completed: int = 0
    recoveries_added: int = 0
    possible_duplicates: int = 0
    exact_duplicates: int = 0
    dead_letters: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    time_to_crime_days: list[int] = field(default_factory=list)
    source_states: Counter = field(default_factory=Counter)
    dealers: Counter = field(default_factory=Counter)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def completion_rate(self) -> float:
        """Share of traces that reached the first retail purchaser."""
        return self.completed / self.traces if self.traces else 0.0

    @property
    def median_time_to_crime_years(self) -> float | None:
        """Median time-to-crime of completed traces, in years."""
        return median(self.time_to_crime_days) / 365.25 if self.time_to_crime_days else None

    @property
    def short_time_to_crime(self) -> int:
        """Completed traces under 3 years from sale to recovery: a classic trafficking indicator."""
        return sum(1 for days in self.time_to_crime_days if days < 3 * 365)

    @property
    def accounted(self) -> int:
        """Events that ended as a trace, an extra recovery, an exact duplicate or a dead letter."""
        return self.traces + self.recoveries_added + self.exact_duplicates + sum(self.dead_letters.values())


def read_database_figures(dsn: str, summary: RunSummary) -> RunSummary:
    """Fill the trace figures from PostgreSQL."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT reason, count(*) FROM traces GROUP BY reason")
        summary.reasons = Counter(dict(cur.fetchall()))
        summary.traces = sum(summary.reasons.values())
        summary.completed = summary.reasons.get("NONE", 0)
        cur.execute("SELECT time_to_crime_days FROM traces WHERE time_to_crime_days IS NOT NULL")
        summary.time_to_crime_days = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT source_state, count(*) FROM traces WHERE source_state IS NOT NULL GROUP BY 1")
        summary.source_states = Counter(dict(cur.fetchall()))
        cur.execute("SELECT t.dealer_license || ' ' || coalesce(l.name, ''), count(*) FROM traces t"
                    " LEFT JOIN licensees l ON l.license = t.dealer_license"
                    " WHERE t.dealer_license IS NOT NULL GROUP BY 1")
        summary.dealers = Counter(dict(cur.fetchall()))
        cur.execute("SELECT (SELECT count(*) FROM recoveries) - (SELECT count(*) FROM traces),"
                    " (SELECT count(*) FROM possible_duplicates)")
        summary.recoveries_added, summary.possible_duplicates = cur.fetchone()
        cur.execute("SELECT s->>'stage', avg(extract(epoch FROM (s->>'left_at')::timestamptz"
                    " - (s->>'entered_at')::timestamptz)) FROM traces, jsonb_array_elements(stage_timings) s"
                    " GROUP BY 1")
        summary.stage_seconds = {stage: float(seconds) for stage, seconds in cur.fetchall()}
    return summary


def reason_counts(records: list[tuple[bytes | None, Any]]) -> Counter[str]:
    """Dead letters by reason code, counted once per source record."""
    return Counter(letter["reason_code"] for letter in dict(records).values())
