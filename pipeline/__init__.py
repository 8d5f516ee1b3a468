"""tracepipe: an event-driven firearm-trace pipeline (seizure events in, completed traces out)."""

__version__ = "0.1.0"
