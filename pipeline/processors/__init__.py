"""The stream processors of `pipeline/topology.py`, one module each; agents only move records, rules decide.

intake, dedupe, serial_linker, manufacturer, wholesaler, dealer, dealer_oob, purchaser, express, sink.
Shared by them: `stage_runner` (a tracing stage's batch step) and `dead_letters` (errors as records).
"""
