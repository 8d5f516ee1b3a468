"""Firearms-commerce records the tracing stages consult: their types (`model`), batched reads (`lookup`), seeding.

Schema: migration 0002. `seeding` plans and loads the synthetic records of the demo and the tests.
"""
