"""Domain vocabularies (makers, importers, calibers, types, states, crimes, countries) kept as data files.

The JSON files next to this module are the single source of truth for both the normalisers and the
synthetic scenario generator, so every spelling the generator emits is one the normaliser knows.
`load_vocabulary()` reads them once per process.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from pipeline.vocab.codes import CrimeCode, FirearmType, Platform, SerialScope, SerialStatus
from pipeline.vocab.entries import (
    Maker,
    Model,
    Municipality,
    Spelled,
    State,
    TypeSpelling,
    Vocabulary,
)

__all__ = [
    "CrimeCode",
    "FirearmType",
    "Maker",
    "Model",
    "Municipality",
    "Platform",
    "SerialScope",
    "SerialStatus",
    "Spelled",
    "State",
    "TypeSpelling",
    "Vocabulary",
    "load_data",
    "load_vocabulary",
]


def load_data(name: str, package: str = __name__) -> Any:
    """Parse the JSON data file `name` shipped inside `package`."""
    return json.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


def _model(raw: dict[str, Any], maker_formats: tuple[str, ...]) -> Model:
    first, last = raw["years"]
    return Model(
        name=raw["name"],
        family=raw.get("family", raw["name"]),
        firearm_type=FirearmType(raw["type"]),
        calibers=tuple(raw["calibers"].items()),
        years=(first, last),
        weight=float(raw["weight"]),
        aliases=tuple(raw.get("aliases", ())),
        platform=Platform(raw["platform"]) if raw.get("platform") else None,
        serial_formats=tuple(raw.get("serial_formats", maker_formats)),
        us_market=raw.get("us_market", True),
    )


def _maker(raw: dict[str, Any]) -> Maker:
    formats = tuple(raw["serial_formats"])
    return Maker(
        code=raw["id"],
        name=raw["name"],
        country=raw["country"],
        importer=raw["importer"],
        direct_export=raw["direct_export"],
        serial_scope=SerialScope(raw["serial_scope"]),
        serial_formats=formats,
        aliases=tuple(raw["aliases"]),
        typos=tuple(raw.get("typos", ())),
        models=tuple(_model(m, formats) for m in raw["models"]),
    )


def _spelled(raw: dict[str, Any], aliases_key: str = "aliases") -> Spelled:
    return Spelled(
        code=str(raw["id"] if "id" in raw else raw["code"]),
        aliases=tuple(raw[aliases_key]),
        typos=tuple(raw.get("typos", ())),
    )


def _state(raw: dict[str, Any]) -> State:
    return State(
        code=raw["code"],
        iso=raw["iso"],
        name=raw["name"],
        accredited=raw["accredited"],
        aliases=tuple(raw["aliases"]),
        typos=tuple(raw.get("typos", ())),
        municipalities=tuple(Municipality(*m) for m in raw["municipalities"]),
    )


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """All vocabularies, parsed once per process (the result is immutable, so sharing it is safe)."""
    types = tuple(
        TypeSpelling(spelling, FirearmType(group["code"]), Platform(group["platform"]) if "platform" in group else None)
        for group in load_data("firearm_types.json")["types"]
        for spelling in group["spellings"]
    )
    return Vocabulary(
        makers=tuple(_maker(m) for m in load_data("makers.json")["makers"]),
        importers=tuple(_spelled(i) for i in load_data("importers.json")["importers"]),
        calibers=tuple(_spelled(c, "spellings") for c in load_data("calibers.json")["calibers"]),
        firearm_types=types,
        states=tuple(_state(s) for s in load_data("states.json")["states"]),
        crimes=tuple(_spelled(c) for c in load_data("crimes.json")["crimes"]),
        countries=tuple(_spelled(c) for c in load_data("countries.json")["countries"]),
        sexes=tuple(_spelled(s) for s in load_data("sexes.json")["sexes"]),
    )
