"""Normalisers for the recovery context: Mexican state, crime type and possessor sex."""

from __future__ import annotations

from functools import lru_cache

from pipeline.normalize.matcher import AliasMatcher
from pipeline.vocab import CrimeCode, load_vocabulary

# 'Estado Libre y Soberano de Chihuahua', 'Edo. de México': words around the name, not the name.
STATE_NOISE = frozenset("ESTADO EDO DE DEL LIBRE Y SOBERANO STATE OF".split())


@lru_cache(maxsize=1)
def _state_matcher() -> AliasMatcher:
    states = load_vocabulary().states
    return AliasMatcher.build(((s.code, (s.name, s.iso, *s.aliases)) for s in states), STATE_NOISE)


@lru_cache(maxsize=1)
def _crime_matcher() -> AliasMatcher:
    return AliasMatcher.build(((c.code, c.aliases) for c in load_vocabulary().crimes), contains="earliest")


@lru_cache(maxsize=1)
def _sex_matcher() -> AliasMatcher:
    return AliasMatcher.build((s.code, s.aliases) for s in load_vocabulary().sexes)


def normalize_state(text: str | None) -> str | None:
    """INEGI two-digit code of a Mexican state as typed ('N.L.' -> '19', 'Edo. de México' -> '15').

    Names with or without accents, official long names, common abbreviations, ISO 3166-2 suffixes and
    the INEGI code itself are understood; small typos too when only one state is that close. No
    substring search: 'Nuevo México' or 'California' must not become México or Baja California.
    """
    return _state_matcher().match(text)


def normalize_crime(text: str | None) -> str:
    """Crime code (HOMICIDE, DRUG_TRAFFICKING, ...) for a crime as typed in Spanish or English.

    Legal phrasings are long ('contra la salud en su modalidad de narcomenudeo'), so a known phrase
    inside the text is enough; the earliest one wins. Blank or unrecognised text is OTHER.
    """
    return _crime_matcher().match(text) or CrimeCode.OTHER.value


def normalize_sex(text: str | None) -> str | None:
    """MALE or FEMALE for a possessor's sex as typed, or None.

    A bare 'M' stays None: Mexican records write H/M (hombre/mujer) and US forms M/F.
    """
    return _sex_matcher().match(text)
