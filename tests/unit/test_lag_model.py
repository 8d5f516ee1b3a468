"""Consumer lag arithmetic: per partition, per group, per stage; caught up, never committed, unknown age."""

from __future__ import annotations

import io
import json

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from rich.console import Console

from pipeline.errors import ConfigError, StackError
from pipeline.i18n import MESSAGES
from pipeline.ops.lag.cli import lag_command
from pipeline.ops.lag.model import (
    PartitionOffsets,
    Stage,
    build_report,
    format_age,
    is_changelog,
    pipeline_stages,
    select_groups,
    worst_seconds,
)
from pipeline.ops.lag.report import LagCollector, lag_metric_families
from pipeline.settings import Settings
from pipeline.topology import PROCESSORS

NOW = 1_700_000_000_000
STAGE = Stage("dedupe", "ns.tracepipe-dedupe", "ns.seizures.enriched")
GROUP, TOPIC = STAGE.group, STAGE.topic
CHANGELOG = f"{GROUP}-firearms-changelog"


def offsets(partition, committed, log_end, log_start=0, topic=TOPIC, group=GROUP):
    return PartitionOffsets(group, topic, partition, committed, log_start, log_end)


def test_lag_is_end_minus_committed():
    assert offsets(0, 3, 10).lag == 7
    assert offsets(0, 0, 20).lag == 20  # committing 0 is a commit: counted from 0


def test_never_committed_counts_from_the_log_start_not_from_zero():
    row = offsets(0, None, 50, log_start=30)
    assert row.lag == 20
    assert row.oldest_unconsumed == 30


def test_caught_up_has_no_oldest_record_and_never_negative_lag():
    assert offsets(0, 10, 10).lag == 0
    assert offsets(0, 10, 10).oldest_unconsumed is None
    assert offsets(0, 12, 10).lag == 0  # committed past the end (log truncated): not negative


def test_oldest_unconsumed_skips_records_deleted_by_retention():
    row = offsets(0, 5, 40, log_start=25)
    assert row.lag == 35  # as Kafka's tool counts it: end − committed
    assert row.oldest_unconsumed == 25


def test_report_seconds_behind_per_partition_and_worst_per_group_and_stage():
    rows = [offsets(0, 3, 10), offsets(1, 0, 20), offsets(2, 30, 30)]
    timestamps = {(TOPIC, 0, 3): NOW - 120_000, (TOPIC, 1, 0): NOW - 300_500}
    report = build_report(rows, timestamps, [GROUP], {GROUP: "Empty"}, [STAGE], NOW)
    assert [(row.partition, row.lag, row.seconds_behind) for row in report.partitions] == [
        (0, 7, 120.0), (1, 20, 300.5), (2, 0, 0.0)]
    (group,) = report.groups
    assert (group.group, group.state, group.partitions, group.lag, group.seconds_behind) == (
        GROUP, "Empty", 3, 27, 300.5)
    (stage,) = report.stages
    assert (stage.stage, stage.lag, stage.seconds_behind, stage.partitions, stage.never_committed) == (
        "dedupe", 27, 300.5, 3, 0)


def test_stage_total_counts_the_input_topic_only_not_changelogs_or_other_topics():
    rows = [offsets(0, 5, 10), offsets(0, None, 100, topic=CHANGELOG), offsets(0, 0, 8, topic="elsewhere")]
    report = build_report(rows, {}, [GROUP], {}, [STAGE], NOW)
    assert report.stages[0].lag == 5
    assert report.groups[0].lag == 5 + 100 + 8
    assert [row.changelog for row in report.partitions] == [False, False, True]  # changelogs listed last


def test_stage_that_never_ran_lags_by_everything_in_its_input_topic():
    rows = [offsets(0, None, 4), offsets(1, None, 6, log_start=2)]
    report = build_report(rows, {(TOPIC, 0, 0): NOW - 1000, (TOPIC, 1, 2): NOW - 5000}, [GROUP], {GROUP: "Dead"},
                          [STAGE], NOW)
    assert (report.stages[0].lag, report.stages[0].never_committed, report.stages[0].seconds_behind) == (8, 2, 5.0)


def test_unknown_age_is_none_but_a_known_age_still_wins_the_maximum():
    rows = [offsets(0, 0, 5), offsets(1, 0, 5)]
    only_one = build_report(rows, {(TOPIC, 0, 0): NOW - 2000}, [GROUP], {}, [STAGE], NOW)
    assert [row.seconds_behind for row in only_one.partitions] == [2.0, None]
    assert only_one.stages[0].seconds_behind == 2.0
    assert build_report(rows, {}, [GROUP], {}, [STAGE], NOW).stages[0].seconds_behind is None
    assert worst_seconds([]) == 0.0
    assert worst_seconds([0.0, None]) == 0.0


def test_future_timestamps_clock_skew_do_not_make_negative_ages():
    report = build_report([offsets(0, 0, 1)], {(TOPIC, 0, 0): NOW + 60_000}, [GROUP], {}, [STAGE], NOW)
    assert report.partitions[0].seconds_behind == 0.0


def test_stages_only_for_chosen_groups_and_empty_group_totals_zero():
    report = build_report([], {}, ["other"], {}, [STAGE], NOW)
    assert report.stages == ()
    assert (report.groups[0].lag, report.groups[0].partitions, report.groups[0].seconds_behind) == (0, 0, 0.0)


def test_select_groups_all_names_and_prefixes():
    stage_groups = ["tracepipe-intake", "tracepipe-dedupe"]
    known = ["zeta", "tracepipe-dedupe", "alpha", "tracepipe-x"]
    assert select_groups(None, known, stage_groups) == [
        "tracepipe-intake", "tracepipe-dedupe", "alpha", "tracepipe-x", "zeta"]
    assert select_groups(["tracepipe-*"], known, stage_groups) == [
        "tracepipe-intake", "tracepipe-dedupe", "tracepipe-x"]
    assert select_groups(["unknown", "alpha", "alpha"], known, stage_groups) == ["unknown", "alpha"]


def test_pipeline_stages_follow_the_topology_and_the_namespace():
    settings = Settings.from_env({"TRACEPIPE_NAMESPACE": "ns."})
    stages = pipeline_stages(settings)
    assert [stage.name for stage in stages] == [spec.name for spec in PROCESSORS]
    assert stages[0] == Stage("intake", "ns.tracepipe-intake", "ns.seizures.raw")


def test_is_changelog_matches_faust_naming():
    assert is_changelog(GROUP, CHANGELOG)
    assert not is_changelog(GROUP, TOPIC)
    assert not is_changelog("other", CHANGELOG)


def test_json_has_stable_keys():
    report = build_report([offsets(0, None, 1)], {}, [GROUP], {GROUP: "Dead"}, [STAGE], NOW)
    document = json.loads(json.dumps(report.as_json()))
    assert list(document) == ["taken_at", "partitions", "groups", "stages"]
    assert document["taken_at"] == "2023-11-14T22:13:20.000+00:00"
    assert list(document["partitions"][0]) == [
        "group", "topic", "partition", "committed", "log_start", "log_end", "lag", "seconds_behind", "changelog"]
    assert list(document["groups"][0]) == ["group", "state", "partitions", "lag", "seconds_behind"]
    assert list(document["stages"][0]) == [
        "stage", "group", "topic", "partitions", "never_committed", "lag", "seconds_behind"]


@pytest.mark.parametrize(("seconds", "text"), [(None, "?"), (0, "0"), (0.4, "0s"), (42.9, "42s"), (185, "3m05s"),
                                               (7620, "2h07m")])
def test_format_age(seconds, text):
    assert format_age(seconds) == text


def test_metric_families_carry_only_group_topic_partition_and_stage_labels():
    rows = [offsets(0, 3, 10), offsets(1, 0, 20), offsets(0, None, 9, topic=CHANGELOG)]
    report = build_report(rows, {(TOPIC, 0, 3): NOW - 120_000}, [GROUP], {}, [STAGE], NOW)
    samples = {family.name: [(s.labels, s.value) for s in family.samples] for family in lag_metric_families(report)}
    assert samples["tracepipe_consumer_lag_messages"] == [
        ({"group": GROUP, "topic": TOPIC, "partition": "0"}, 7),
        ({"group": GROUP, "topic": TOPIC, "partition": "1"}, 20),
        ({"group": GROUP, "topic": CHANGELOG, "partition": "0"}, 9),
    ]
    assert samples["tracepipe_consumer_lag_seconds"] == [({"group": GROUP, "topic": TOPIC}, 120.0)]
    assert samples["tracepipe_stage_lag_messages"] == [({"stage": "dedupe"}, 27)]
    assert samples["tracepipe_lag_up"] == [({}, 1)]


def test_collector_reads_at_most_once_per_interval_and_survives_a_broker_outage():
    calls, clock = [], [0.0]
    report = build_report([offsets(0, 1, 4)], {}, [GROUP], {}, [STAGE], NOW)

    def read():
        calls.append(clock[0])
        if len(calls) == 2:
            raise StackError("broker down")
        return report

    registry = CollectorRegistry()
    registry.register(LagCollector(read, min_interval_s=10, clock=lambda: clock[0]))
    assert calls == []  # registering does not read Kafka
    assert b'tracepipe_stage_lag_messages{stage="dedupe"} 3.0' in generate_latest(registry)
    clock[0] = 5
    generate_latest(registry)
    assert calls == [0.0]
    clock[0] = 11
    text = generate_latest(registry)
    assert b"tracepipe_lag_up 0.0" in text and b"tracepipe_stage_lag_messages{" not in text


def fake_reads(*reports):
    """A `read` for lag_command that returns `reports` in turn, then stops the loop as Ctrl-C would."""
    pending = list(reports)

    def read(settings, groups):
        if not pending:
            raise KeyboardInterrupt
        return pending.pop(0)

    return read


def test_watch_json_prints_one_line_per_refresh_until_ctrl_c():
    first = build_report([offsets(0, 1, 4)], {}, [GROUP], {}, [STAGE], NOW)
    second = build_report([offsets(0, 4, 4)], {}, [GROUP], {}, [STAGE], NOW + 1000)
    output = io.StringIO()
    last = lag_command(Settings.from_env({}), None, True, 0.01, Console(file=output),
                       read=fake_reads(first, second))
    assert last is second
    lines = output.getvalue().splitlines()
    assert [json.loads(line)["stages"][0]["lag"] for line in lines] == [3, 0]


def test_watch_table_refreshes_until_ctrl_c_and_rejects_non_positive_intervals():
    report = build_report([offsets(0, 1, 4)], {}, [GROUP], {}, [STAGE], NOW)
    output = io.StringIO()
    settings = Settings.from_env({"TRACEPIPE_LANG": "es"})
    assert lag_command(settings, [GROUP], False, 0.01, Console(file=output, width=160),
                       read=fake_reads(report, report)) is report
    assert "Retraso por etapa" in output.getvalue()
    with pytest.raises(ConfigError, match="--watch"):
        lag_command(settings, None, False, 0, Console(file=io.StringIO()), read=fake_reads(report))


def test_catalogue_is_complete_in_both_languages():
    assert all(set(entry) == {"en", "es"} for entry in MESSAGES.values())
