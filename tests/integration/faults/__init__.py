"""Fault suite: the same scenario run clean and under faults (killed workers, PostgreSQL, the broker) must end
with the same outcome."""
