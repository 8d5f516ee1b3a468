"""Run one processor's faust worker in this process: `python -m pipeline.worker.run NAME`."""

from __future__ import annotations

import os
import sys

import faust

from pipeline.settings import Settings
from pipeline.worker.app import build_app
from pipeline.worker.lifeline import die_with_supervisor


def run_processor(name: str, settings: Settings) -> None:
    """Start the worker and block until it is stopped (SIGTERM/SIGINT)."""
    app = build_app(settings, name)
    worker = faust.Worker(app, loglevel=settings.worker_log_level, quiet=True)
    # faust's terminal spinner sets the root logger to DEBUG so that every log record turns it: every send then
    # built a debug LogRecord (about a tenth of a busy worker's CPU) for handlers to drop. No spinner, no records.
    worker.spinner = None
    worker.execute_from_commandline()


if __name__ == "__main__":
    die_with_supervisor(os.environ)
    run_processor(sys.argv[1], Settings.from_env())
