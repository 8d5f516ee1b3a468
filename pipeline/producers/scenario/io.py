"""Scenario files: events as JSON Lines (GARBAGE lines written raw), truth and firearms as CSV."""

from __future__ import annotations

import csv
import json
import types
import typing
from dataclasses import asdict, fields
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from pipeline.producers.scenario.truth import FirearmTruth, ImperfectionRates, InvalidReason, Scenario, TruthRow

EVENTS_FILE = "events.jsonl"
TRUTH_FILE = "truth.csv"
FIREARMS_FILE = "firearms.csv"
MANIFEST_FILE = "scenario.json"
_DATE_FIELDS = ("recovery_date",)
_POSSESSOR_DATE_FIELDS = ("birth_date",)

Row = TypeVar("Row", TruthRow, FirearmTruth)


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def event_line(event: dict[str, Any] | bytes) -> bytes:
    """One JSON Lines line (no newline): the event as JSON with ISO dates, or GARBAGE bytes as they are."""
    if isinstance(event, bytes):
        return event
    return json.dumps(event, ensure_ascii=False, default=_json_default).encode("utf-8")


def write_jsonl(events: list[dict[str, Any] | bytes], path: Path) -> Path:
    """Write events one per line; GARBAGE events become lines that are not JSON objects."""
    path = Path(path)
    path.write_bytes(b"".join(event_line(event) + b"\n" for event in events))
    return path


def _revive(event: dict[str, Any]) -> dict[str, Any]:
    """ISO strings back to date/datetime, where the SeizureEvent shape has them."""
    event["reported_at"] = datetime.fromisoformat(event["reported_at"])
    for name in _DATE_FIELDS:
        event[name] = date.fromisoformat(event[name])
    possessor = event.get("possessor")
    for name in _POSSESSOR_DATE_FIELDS:
        if possessor and possessor.get(name):
            possessor[name] = date.fromisoformat(possessor[name])
    return event


def parse_event_line(line: bytes) -> dict[str, Any] | bytes:
    """The event on one line, or the line's bytes when it is not a JSON object (GARBAGE)."""
    try:
        parsed = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return line
    return _revive(parsed) if isinstance(parsed, dict) else line


def read_jsonl(path: Path) -> list[dict[str, Any] | bytes]:
    """Events written by `write_jsonl`, dates and timestamps revived."""
    return [parse_event_line(line) for line in Path(path).read_bytes().split(b"\n")[:-1]]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _write_rows(rows: list[Row], cls: type[Row], path: Path) -> Path:
    path = Path(path)
    names = [f.name for f in fields(cls)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows([_cell(getattr(row, name)) for name in names] for row in rows)
    return path


def _parser(hint: Any) -> Any:
    """A str -> value converter for a field type hint such as `int | None` or `TraceFate`."""
    options = [h for h in typing.get_args(hint) if h is not type(None)] if isinstance(hint, types.UnionType) else [hint]
    base = options[0]
    if base is date:
        return date.fromisoformat
    return base


def _read_rows(cls: type[Row], path: Path) -> list[Row]:
    hints = typing.get_type_hints(cls)
    parsers = {name: _parser(hint) for name, hint in hints.items()}
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows: list[Row] = []
        for record in csv.DictReader(handle):
            values: dict[str, Any] = {
                name: parsers[name](text) if text != "" else None for name, text in record.items()
            }
            rows.append(cls(**values))
        return rows


def write_truth_csv(truth: list[TruthRow], path: Path) -> Path:
    """Write the truth rows as CSV (blank cells for None)."""
    return _write_rows(truth, TruthRow, path)


def read_truth_csv(path: Path) -> list[TruthRow]:
    """Truth rows written by `write_truth_csv`."""
    return _read_rows(TruthRow, path)


def write_firearms_csv(firearms: list[FirearmTruth], path: Path) -> Path:
    """Write the firearm catalogue as CSV, for the records seeder."""
    return _write_rows(firearms, FirearmTruth, path)


def read_firearms_csv(path: Path) -> list[FirearmTruth]:
    """The firearm catalogue written by `write_firearms_csv`."""
    return _read_rows(FirearmTruth, path)


def write_scenario(scenario: Scenario, directory: Path) -> dict[str, Path]:
    """Write events.jsonl, truth.csv, firearms.csv and scenario.json (the parameters) into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {
        "seed": scenario.seed,
        "start": scenario.start.isoformat(),
        "days": scenario.days,
        "events_per_day": scenario.events_per_day,
        "rates": asdict(scenario.rates),
        "events": len(scenario.events),
        "firearms": len(scenario.firearms),
    }
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return {
        "events": write_jsonl(scenario.events, directory / EVENTS_FILE),
        "truth": write_truth_csv(scenario.truth, directory / TRUTH_FILE),
        "firearms": write_firearms_csv(scenario.firearms, directory / FIREARMS_FILE),
        "manifest": directory / MANIFEST_FILE,
    }


def read_scenario(directory: Path) -> Scenario:
    """A scenario written by `write_scenario`."""
    directory = Path(directory)
    manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    rates = dict(manifest["rates"])
    rates["invalid_reasons"] = tuple(InvalidReason(r) for r in rates["invalid_reasons"])
    return Scenario(
        events=read_jsonl(directory / EVENTS_FILE),
        truth=read_truth_csv(directory / TRUTH_FILE),
        firearms=read_firearms_csv(directory / FIREARMS_FILE),
        seed=manifest["seed"],
        start=date.fromisoformat(manifest["start"]),
        days=manifest["days"],
        events_per_day=manifest["events_per_day"],
        rates=ImperfectionRates(**rates),
    )
