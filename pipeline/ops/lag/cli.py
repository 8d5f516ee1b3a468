"""`tracepipe lag`: consumer lag as rich tables (optionally refreshed live) or as JSON, in English or Spanish."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pipeline.errors import ConfigError
from pipeline.i18n import t
from pipeline.ops.lag.model import LagReport, format_age
from pipeline.ops.lag.report import read_lag_report
from pipeline.settings import Settings


def _lag_cell(lag: int) -> Text:
    return Text(str(lag), style="green" if lag == 0 else "yellow")


def partitions_table(report: LagReport, lang: str) -> Table:
    """One row per group and partition, and a total row closing each group."""
    table = Table(t("lag_group", lang), t("topic", lang), t("lag_partition", lang), t("lag_committed", lang),
                  t("lag_end", lang), t("lag_lag", lang), t("lag_seconds_behind", lang),
                  title=t("lag_title", lang), caption=t("lag_never_committed", lang))
    for column in table.columns[2:]:
        column.justify = "right"
    for total in report.groups:
        rows = [row for row in report.partitions if row.group == total.group]
        for row in rows:
            topic = f"{row.topic} {t('lag_changelog', lang)}" if row.changelog else row.topic
            table.add_row(row.group, topic, str(row.partition), "-" if row.committed is None else str(row.committed),
                          str(row.log_end), _lag_cell(row.lag), format_age(row.seconds_behind))
        table.add_row(Text(total.group, style="bold"), Text(f"{t('lag_group_total', lang)} ({total.state})"),
                      str(total.partitions), "", "", _lag_cell(total.lag), format_age(total.seconds_behind),
                      end_section=True)
    return table


def stages_table(report: LagReport, lang: str) -> Table:
    """One row per processor: its input topic's lag, the stage where traces pile up stands out."""
    table = Table(t("lag_stage", lang), t("lag_group", lang), t("topic", lang), t("partitions", lang),
                  t("lag_lag", lang), t("lag_seconds_behind", lang), t("lag_state", lang),
                  title=t("lag_stages_title", lang))
    for column in table.columns[3:6]:
        column.justify = "right"
    states = {total.group: total.state for total in report.groups}
    for stage in report.stages:
        table.add_row(stage.stage, stage.group, stage.topic, str(stage.partitions), _lag_cell(stage.lag),
                      format_age(stage.seconds_behind), states.get(stage.group, ""))
    return table


def render(report: LagReport, lang: str) -> Group | Text:
    """Both tables and the time the figures were read."""
    if not report.groups:
        return Text(t("lag_no_groups", lang))
    when = report.as_json()["taken_at"]
    parts: list[Table | Text] = [partitions_table(report, lang)]
    if report.stages:
        parts.append(stages_table(report, lang))
    parts.append(Text(t("lag_taken_at", lang, when=when), style="dim"))
    return Group(*parts)


def _json_line(report: LagReport, indent: int | None) -> str:
    return json.dumps(report.as_json(), indent=indent, ensure_ascii=False)


def _refresh_until_interrupted(
    report: LagReport, watch: float | None, fetch: Callable[[], LagReport], show: Callable[[LagReport], None]
) -> LagReport:
    """Every `watch` seconds fetch and show a new report, until Ctrl-C; returns the last one shown."""
    try:
        while watch:
            time.sleep(watch)
            report = fetch()
            show(report)
    except KeyboardInterrupt:
        pass
    return report


def lag_command(
    settings: Settings, groups: list[str] | None, as_json: bool, watch: float | None, console: Console,
    read: Callable[[Settings, Sequence[str] | None], LagReport] = read_lag_report,
) -> LagReport:
    """Show lag once, or every `watch` seconds until Ctrl-C; JSON mode prints one document (one line per refresh
    when watching). Returns the last report shown. `groups`: names or "PREFIX*"; None or empty means all."""
    if watch is not None and watch <= 0:
        raise ConfigError(t("lag_watch_positive", settings.lang, value=watch))
    lang = settings.lang

    def fetch() -> LagReport:
        return read(settings, groups or None)

    report = fetch()
    if as_json:
        console.out(_json_line(report, None if watch else 2), highlight=False)
        return _refresh_until_interrupted(
            report, watch, fetch, lambda new: console.out(_json_line(new, None), highlight=False))
    if not watch:
        console.print(render(report, lang))
        return report
    with Live(render(report, lang), console=console, auto_refresh=False) as live:
        return _refresh_until_interrupted(
            report, watch, fetch, lambda new: live.update(render(new, lang), refresh=True))
