"""Typed, immutable vocabulary entries, built once from the JSON data files of this package."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.vocab.codes import FirearmType, Platform, SerialScope


@dataclass(frozen=True, slots=True)
class Spelled:
    """A canonical value with the spellings that name it: aliases are indexed, typos only emitted."""

    code: str
    aliases: tuple[str, ...]
    typos: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Model:
    """A model line of one maker, with what the generator needs to build a plausible gun of it."""

    name: str
    family: str
    firearm_type: FirearmType
    calibers: tuple[tuple[str, float], ...]
    years: tuple[int, int | None]
    weight: float
    aliases: tuple[str, ...]
    platform: Platform | None = None
    serial_formats: tuple[str, ...] = ()
    us_market: bool = True

    def made_in(self, year: int) -> bool:
        """Whether this model was in production in `year`."""
        first, last = self.years
        return first <= year and (last is None or year <= last)


@dataclass(frozen=True, slots=True)
class Maker:
    """A firearm manufacturer: country, US importer if foreign, serial habits and models."""

    code: str
    name: str
    country: str
    importer: str | None
    direct_export: bool
    serial_scope: SerialScope
    serial_formats: tuple[str, ...]
    aliases: tuple[str, ...]
    typos: tuple[str, ...]
    models: tuple[Model, ...]

    @property
    def us_made(self) -> bool:
        """Made in the US, so traceable through US commerce without an importer."""
        return self.country == "USA"

    def model(self, name: str) -> Model:
        """The model called `name` (KeyError if this maker has none)."""
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(f"{self.code} has no model {name!r}")


@dataclass(frozen=True, slots=True)
class Municipality:
    """A municipality with an approximate centroid, for synthetic recovery coordinates."""

    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class State:
    """A Mexican state: INEGI code, ISO 3166-2 suffix, eTrace accreditation and spellings."""

    code: str
    iso: str
    name: str
    accredited: bool
    aliases: tuple[str, ...]
    typos: tuple[str, ...]
    municipalities: tuple[Municipality, ...]


@dataclass(frozen=True, slots=True)
class TypeSpelling:
    """One way of typing a firearm type; `platform` limits it to AK- or AR-type rifles."""

    spelling: str
    firearm_type: FirearmType
    platform: Platform | None = None


@dataclass(frozen=True)
class Vocabulary:
    """Every vocabulary, loaded once; lookups by code are dicts built at construction."""

    makers: tuple[Maker, ...]
    importers: tuple[Spelled, ...]
    calibers: tuple[Spelled, ...]
    firearm_types: tuple[TypeSpelling, ...]
    states: tuple[State, ...]
    crimes: tuple[Spelled, ...]
    countries: tuple[Spelled, ...]
    sexes: tuple[Spelled, ...]
    _makers_by_code: dict[str, Maker] = field(init=False, repr=False, compare=False)
    _states_by_code: dict[str, State] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_makers_by_code", {m.code: m for m in self.makers})
        object.__setattr__(self, "_states_by_code", {s.code: s for s in self.states})

    def maker(self, code: str) -> Maker:
        """The maker with canonical id `code`."""
        return self._makers_by_code[code]

    def state(self, code: str) -> State:
        """The state with INEGI code `code`."""
        return self._states_by_code[code]
