"""Messy typing: turn canonical values into the strings agencies really type, from the vocab spellings.

Every string emitted here is built from a vocabulary alias (or a listed typo) plus changes the
normalisers ignore (case, accents, spacing); model and serial typos are the deliberate exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from random import Random

from pipeline.normalize.text import strip_accents
from pipeline.producers.scenario.firearms import serial_key
from pipeline.producers.scenario.shares import ScenarioShares
from pipeline.producers.scenario.truth import FirearmTruth, ImperfectionRates, TraceFate
from pipeline.vocab import Platform, State, load_data, load_vocabulary

# Characters typists confuse when copying a stamped serial.
CONFUSABLE = {
    "0": "O",
    "O": "0",
    "1": "I",
    "I": "1",
    "5": "S",
    "S": "5",
    "8": "B",
    "B": "8",
    "2": "Z",
    "Z": "2",
    "6": "G",
    "G": "6",
}


@dataclass(frozen=True)
class AgencyStyle:
    """How one agency's clerks type: letter case, whether accents survive, how sex is written."""

    case: str
    strip_accents: bool
    sex_codes: tuple[str, str]

    def apply(self, text: str) -> str:
        """`text` in this agency's case and accent habits."""
        if self.strip_accents:
            text = strip_accents(text)
        match self.case:
            case "UPPER":
                return text.upper()
            case "LOWER":
                return text.lower()
            case "TITLE":
                return text.title()
        return text


@dataclass(frozen=True)
class _SerialExamples:
    obliterated: tuple[str, ...]
    missing: tuple[str | None, ...]
    labels: tuple[str, ...]


@lru_cache(maxsize=1)
def _serial_examples() -> _SerialExamples:
    raw = load_data("serial_markers.json")
    return _SerialExamples(
        tuple(raw["obliterated_examples"]), tuple(raw["missing_examples"]), tuple(raw["label_examples"])
    )


class Speller:
    """Draws raw spellings for one scenario from its Random; the vocabulary decides what is allowed."""

    def __init__(self, rng: Random, rates: ImperfectionRates, shares: ScenarioShares) -> None:
        self._rng = rng
        self._rates = rates
        self._shares = shares
        vocab = load_vocabulary()
        self._importers = {i.code: i for i in vocab.importers}
        self._calibers = {c.code: c.aliases for c in vocab.calibers}
        self._countries = {c.code: c.aliases for c in vocab.countries}
        self._crimes = {c.code: c.aliases for c in vocab.crimes}

    def style(self) -> AgencyStyle:
        """A new agency's typing habits."""
        shares, rng = self._shares, self._rng
        return AgencyStyle(
            case=shares.case_styles.pick(rng),
            strip_accents=rng.random() < shares.strip_accents_share,
            sex_codes=rng.choice(shares.sex_conventions),
        )

    def _choose(self, options: Sequence[str]) -> str:
        """The first (canonical) spelling a third of the time, otherwise any."""
        return options[0] if self._rng.random() < 0.35 else self._rng.choice(options)

    def _typed(self, style: AgencyStyle, text: str) -> str:
        """`text` as this agency types it, now and then with stray spaces."""
        text = style.apply(text)
        roll = self._rng.random()
        if roll < 0.03:
            return f" {text}"
        if roll < 0.06:
            return f"{text}  "
        return text

    def _blank(self, name: str) -> bool:
        return self._rng.random() < self._shares.blank[name]

    def maker(self, style: AgencyStyle, code: str) -> str:
        """The maker as typed: an alias, or a listed typo at the maker-typo rate."""
        maker = load_vocabulary().maker(code)
        if maker.typos and self._rng.random() < self._rates.maker_typo:
            return self._typed(style, self._rng.choice(maker.typos))
        return self._typed(style, self._choose((maker.name, *maker.aliases)))

    def importer(self, style: AgencyStyle, code: str | None) -> str | None:
        """The importer as typed, often left blank even when ATF wants it."""
        if code is None or self._blank("importer"):
            return None
        importer = self._importers[code]
        if importer.typos and self._rng.random() < self._rates.maker_typo:
            return self._typed(style, self._rng.choice(importer.typos))
        return self._typed(style, self._choose(importer.aliases))

    def model(self, style: AgencyStyle, gun: FirearmTruth, clean: bool = False) -> str | None:
        """The model as typed: an alias, sometimes prefixed with 'Mod.' or the maker, sometimes mistyped.

        `clean` forbids blanks and typos (a serial-typo sighting keeps maker, model and caliber).
        """
        maker = load_vocabulary().maker(gun.maker)
        model = maker.model(gun.model)
        if not clean and self._blank("model"):
            return None
        text = self._choose((model.name, *model.aliases))
        roll = self._rng.random()
        if roll < 0.1:
            text = f"Mod. {text}"
        elif roll < 0.25:
            text = f"{maker.name} {text}"
        if not clean and self._rng.random() < self._rates.model_typo:
            text = self._double_a_character(text)
        return self._typed(style, text)

    def _double_a_character(self, text: str) -> str:
        """A stuck key: one letter or digit typed twice ('G17' -> 'G177')."""
        positions = [i for i, c in enumerate(text) if c.isalnum()]
        i = self._rng.choice(positions)
        return text[: i + 1] + text[i] + text[i + 1 :]

    def caliber(self, style: AgencyStyle, code: str, clean: bool = False) -> str | None:
        """The caliber as typed, in any of its metric or imperial spellings."""
        if not clean and self._blank("caliber"):
            return None
        return self._typed(style, self._choose(self._calibers[code]))

    def firearm_type(self, style: AgencyStyle, gun: FirearmTruth) -> str | None:
        """The type as typed; AK and AR slang ('cuerno de chivo', 'R-15') only for those rifles."""
        if self._blank("firearm_type"):
            return None
        platform = load_vocabulary().maker(gun.maker).model(gun.model).platform
        options = _type_spellings(gun.firearm_type, platform)
        return self._typed(style, self._choose(options))

    def country(self, style: AgencyStyle, code: str) -> str | None:
        """The country of manufacture as typed, or blank."""
        return None if self._blank("country") else self._typed(style, self._choose(self._countries[code]))

    def state(self, style: AgencyStyle, state: State) -> str:
        """The state as typed: name, abbreviation or code, now and then a listed typo."""
        if state.typos and self._rng.random() < self._rates.state_typo:
            return self._typed(style, self._rng.choice(state.typos))
        return self._typed(style, self._choose((state.name, *state.aliases)))

    def crime(self, style: AgencyStyle, code: str) -> str:
        """The crime type as typed, Spanish legal phrasing or English."""
        return self._typed(style, self._choose(self._crimes[code]))

    def text(self, style: AgencyStyle, text: str) -> str:
        """Free text (names, municipalities, notes) in the agency's habits."""
        return style.apply(text)

    def serial(self, gun: FirearmTruth) -> str | None:
        """The serial field as typed for this gun: the serial in some format, or what stands in for it."""
        examples, rng = _serial_examples(), self._rng
        if gun.fate is TraceFate.SERIAL_OBLITERATED:
            return rng.choice(examples.obliterated)
        if gun.fate is TraceFate.INSUFFICIENT_DATA:
            return rng.choice(examples.missing)
        return self.present_serial(gun.serial)

    def present_serial(self, stamped: str) -> str:
        """A readable serial as typed: as stamped, squeezed, spaced, labelled or lower-case."""
        rng, key = self._rng, serial_key(stamped)
        roll = rng.random()
        if roll < 0.5:
            return stamped
        if roll < 0.7:
            return key
        if roll < 0.8:
            cut = rng.randint(1, len(key) - 1)
            return f"{key[:cut]} {key[cut:]}"
        if roll < 0.9:
            return rng.choice(_serial_examples().labels) + stamped
        return stamped.lower()

    def mistyped_serial(self, key: str) -> str:
        """`key` with one substitution, insertion, deletion or adjacent swap (never unchanged)."""
        rng = self._rng
        while True:
            i = rng.randrange(len(key))
            op = rng.choice(("substitute", "swap", "delete", "insert"))
            if op == "substitute":
                pool = "0123456789" if key[i].isdigit() else "ABCDEFGHJKLMNPRSTUVWXYZ"
                new = CONFUSABLE.get(key[i]) if rng.random() < 0.5 else rng.choice(pool)
                mutated = key[:i] + (new or rng.choice(pool)) + key[i + 1 :]
            elif op == "swap" and i + 1 < len(key):
                mutated = key[:i] + key[i + 1] + key[i] + key[i + 2 :]
            elif op == "delete" and len(key) > 4:
                mutated = key[:i] + key[i + 1 :]
            elif op == "insert":
                mutated = key[: i + 1] + key[i] + key[i + 1 :]
            else:
                continue
            if mutated != key:
                return mutated


@lru_cache(maxsize=32)
def _type_spellings(firearm_type: str, platform: Platform | None) -> tuple[str, ...]:
    """Spellings of `firearm_type` fitting `platform`, generic ones first."""
    spellings = load_vocabulary().firearm_types
    generic = tuple(s.spelling for s in spellings if s.firearm_type == firearm_type and s.platform is None)
    specific = tuple(
        s.spelling
        for s in spellings
        if s.firearm_type == firearm_type and s.platform is platform and platform is not None
    )
    return generic + specific
