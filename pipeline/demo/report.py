"""The demo's report file: one HTML page with charts (outcomes, time-to-crime, source states), es/en."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: render to PNG in memory
import matplotlib.pyplot as plt  # noqa: E402

from pipeline.demo.summary import RunSummary  # noqa: E402
from pipeline.i18n import t  # noqa: E402


def _png(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def outcome_chart(summary: RunSummary, lang: str) -> str:
    """Horizontal bars: traces by outcome reason (completed first)."""
    items = sorted(summary.reasons.items(), key=lambda kv: (kv[0] != "NONE", -kv[1]))
    labels = [t("reason_" + reason.lower(), lang) for reason, _ in items]
    figure, axis = plt.subplots(figsize=(8, 0.45 * len(items) + 1.2))
    colors = ["#2e7d32" if reason == "NONE" else "#b0bec5" for reason, _ in items]
    axis.barh(labels[::-1], [n for _, n in items][::-1], color=colors[::-1])
    axis.set_xlabel(t("traces_word", lang))
    axis.set_title(t("chart_outcomes", lang))
    return _png(figure)


def time_to_crime_chart(summary: RunSummary, lang: str) -> str:
    """Histogram of time-to-crime in years, with the 3-year trafficking indicator marked."""
    figure, axis = plt.subplots(figsize=(8, 3.2))
    axis.hist([d / 365.25 for d in summary.time_to_crime_days], bins=30, color="#1565c0")
    axis.axvline(3, color="#c62828", linestyle="--", label=t("short_ttc_line", lang))
    axis.set_xlabel(t("years_word", lang))
    axis.set_title(t("chart_ttc", lang))
    axis.legend()
    return _png(figure)


def write_report(summary: RunSummary, lang: str, path: Path) -> Path:
    """Write the HTML report (charts embedded, so the file stands alone)."""
    top_states = "".join(f"<li>{html.escape(s)}: {n}</li>" for s, n in summary.source_states.most_common(5))
    top_dealers = "".join(f"<li>{html.escape(d)}: {n}</li>" for d, n in summary.dealers.most_common(5))
    ttc = summary.median_time_to_crime_years
    page = f"""<!doctype html><html lang="{lang}"><meta charset="utf-8">
<title>tracepipe — {t('report_title', lang)}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#263238}}
.kpi{{display:inline-block;margin:0 1.5em 1em 0}}.kpi b{{display:block;font-size:1.8em}}</style>
<h1>{t('report_title', lang)}</h1>
<div class="kpi"><b>{summary.events}</b>{t('events_word', lang)}</div>
<div class="kpi"><b>{summary.traces}</b>{t('traces_word', lang)}</div>
<div class="kpi"><b>{summary.completion_rate:.0%}</b>{t('completion_word', lang)}</div>
<div class="kpi"><b>{'-' if ttc is None else f'{ttc:.1f}'}</b>{t('median_ttc_word', lang)}</div>
<div class="kpi"><b>{summary.short_time_to_crime}</b>{t('short_ttc_word', lang)}</div>
<img alt="{t('chart_outcomes', lang)}" src="data:image/png;base64,{outcome_chart(summary, lang)}">
<img alt="{t('chart_ttc', lang)}" src="data:image/png;base64,{time_to_crime_chart(summary, lang)}">
<h2>{t('top_states', lang)}</h2><ol>{top_states}</ol>
<h2>{t('top_dealers', lang)}</h2><ol>{top_dealers}</ol>
</html>"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
