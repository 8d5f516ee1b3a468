"""Publish an agency file: validate every line, send the valid ones, report the rejected ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.producers.agency_file import LineError, ParsedLine, read_agency_file
from pipeline.producers.publisher import SeizurePublisher


@dataclass
class FileReport:
    """Outcome of publishing one file."""

    lines: int = 0
    published: int = 0
    rejected: list[LineError] = field(default_factory=list)
    warnings: list[LineError] = field(default_factory=list)
    send_failures: list[str] = field(default_factory=list)

    @property
    def rejected_lines(self) -> int:
        """How many distinct lines were rejected."""
        return len({error.line for error in self.rejected})


def publish_file(path: Path, publisher: SeizurePublisher | None,
                 on_progress: Callable[[int], None] | None = None) -> FileReport:
    """Validate every line of `path`; with a publisher, send the valid ones (`None` = dry run)."""
    report = FileReport()

    def valid_data(lines: Iterator[ParsedLine]):
        for parsed in lines:
            report.lines += 1
            if parsed.datum is None:
                report.rejected.extend(parsed.errors)
                if on_progress:
                    on_progress(1)
                continue
            report.warnings.extend(parsed.errors)
            if publisher is None and on_progress:
                on_progress(1)
            yield parsed.datum

    data = valid_data(read_agency_file(path))
    if publisher is None:
        for _ in data:
            pass
        return report
    sent = publisher.publish_many(data, on_confirmed=on_progress)
    report.published = sent.confirmed
    report.send_failures = [reason for _index, reason in sent.failed]
    return report


def count_lines(path: Path) -> int:
    """Number of data lines (for the progress bar's total)."""
    with path.open("rb") as handle:
        total = sum(1 for line in handle if line.strip())
    return total - 1 if path.suffix.lower() == ".csv" else total
