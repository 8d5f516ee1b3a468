"""The generated manifests' YAML writer: whatever it writes, a YAML reader reads back as the same data."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.stack.yaml_text import block, documents, scalar

scalars = st.one_of(st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=30))
keys = st.text(min_size=1, max_size=20)
nodes = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(keys, inner, max_size=4)), max_leaves=20)


# Nested data is slow to generate on a busy machine: no deadline, no too-slow check
# (50 cases: each writes and parses several documents).
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(keys, nodes, min_size=1, max_size=5), min_size=1, max_size=3))
def test_documents_read_back_as_written(docs):
    assert list(yaml.safe_load_all(documents(docs, header="a comment\nof two lines"))) == docs


@settings(deadline=None)
@given(scalars)
def test_a_scalar_keeps_its_value_and_type(value):
    assert yaml.safe_load(f"k: {scalar(value)}") == {"k": value}


def test_unicode_line_separators_and_a_byte_order_mark_are_escaped():
    for text in ("a\u2028b", "a\u2029b", "\ufeffa", "x\x85y"):
        assert yaml.safe_load(f"k: {scalar(text)}") == {"k": text}
        assert yaml.safe_load(documents([{text: [text]}])) == {text: [text]}


def test_words_yaml_would_take_for_something_else_are_quoted():
    for word in ("yes", "No", "on", "null", "true", "60000", "1e3", "User:admin", "a b", "", "-x", "0440"):
        assert scalar(word).startswith('"'), word
    assert scalar("seizures.raw") == "seizures.raw" and scalar("tracepipe-intake-") == "tracepipe-intake-"


def test_a_block_sits_at_its_indent_inside_a_larger_file():
    text = "spec:\n  sources:\n" + block([{"secret": {"name": "kafka-ops", "items": [{"key": "password"}]}}], 4)
    assert yaml.safe_load(text) == {"spec": {"sources": [{"secret": {"name": "kafka-ops",
                                                                     "items": [{"key": "password"}]}}]}}
