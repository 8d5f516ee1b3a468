"""Synthetic firearms-commerce records for the demo and tests: planned purely from scenario truth, then COPY-loaded."""
