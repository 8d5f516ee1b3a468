"""Choropleth maps of a search: recoveries by Mexican state and first retail sales by US state (npm map data).

The shapes come from @svg-maps/mexico and @svg-maps/usa (CC BY 4.0, notices in static/maps/), converted by
web/build_maps.mjs. A state's colour is its quintile of the largest count; each state links to the search
narrowed to it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from pipeline.vocab import load_vocabulary

BUCKETS = 5


@cache
def shapes(name: str) -> dict[str, Any]:
    """The map `mexico` or `usa` as shipped."""
    shipped: dict[str, Any] = json.loads(files("pipeline.web").joinpath(f"static/maps/{name}.json").read_text())
    return shipped


def bucket(count: int, largest: int) -> int:
    """0 for none, else 1..BUCKETS by share of the largest count."""
    if count <= 0 or largest <= 0:
        return 0
    return min(BUCKETS, 1 + (count * BUCKETS - 1) // largest)


def mexico_map(by_state_code: dict[str, int]) -> dict[str, Any]:
    """The Mexican map's states with their count, bucket and the INEGI code a click filters on."""
    code_of = {state.iso.lower(): state.code for state in load_vocabulary().states}
    largest = max(by_state_code.values(), default=0)
    states = []
    for location in shapes("mexico")["locations"]:
        code = code_of[location["id"]]
        count = by_state_code.get(code, 0)
        states.append({"name": location["name"], "path": location["path"], "filter": code, "count": count,
                       "bucket": bucket(count, largest)})
    return {"viewBox": shapes("mexico")["viewBox"], "states": states, "param": "state"}


def usa_map(by_source_state: dict[str, int]) -> dict[str, Any]:
    """The US map's states with their count of first retail sales in the search."""
    largest = max(by_source_state.values(), default=0)
    states = []
    for location in shapes("usa")["locations"]:
        code = location["id"].upper()
        count = by_source_state.get(code, 0)
        states.append({"name": location["name"], "path": location["path"], "filter": code, "count": count,
                       "bucket": bucket(count, largest)})
    return {"viewBox": shapes("usa")["viewBox"], "states": states, "param": "source_state"}
