"""Normalisers for the firearm description: maker, importer, model, caliber, type, country, identity key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.normalize.matcher import AliasMatcher
from pipeline.normalize.serial import normalize_serial
from pipeline.normalize.text import compact, edit_distance, fold, strip_accents
from pipeline.vocab import FirearmType, Maker, SerialScope, load_vocabulary

# Words that say what kind of company it is, not which one ('Glock GmbH', 'Sturm, Ruger & Co., Inc.').
COMPANY_NOISE = frozenset(
    "INC INCORPORATED CO CORP CORPORATION COMPANY CIA LLC LTD LIMITED GMBH GES MBH GESMBH SPA SA SRL DE CV "
    "MFG MANUFACTURING MANUFACTURE INDUSTRIES IND ARMS FIREARMS ARMORY ARMAS INTERNATIONAL INTERNACIONAL "
    "INTL AND Y THE FABRICA FAB MARCA".split()
)
_MODEL_WORDS = frozenset({"MODELO", "MODEL", "MOD", "MODELE", "MDL"})
_GENERATION = re.compile(r"GEN\d*")


@lru_cache(maxsize=1)
def _maker_matcher() -> AliasMatcher:
    makers = load_vocabulary().makers
    return AliasMatcher.build(((m.code, (m.name, *m.aliases)) for m in makers), COMPANY_NOISE, "unique")


@lru_cache(maxsize=1)
def _importer_matcher() -> AliasMatcher:
    importers = load_vocabulary().importers
    return AliasMatcher.build(((i.code, i.aliases) for i in importers), COMPANY_NOISE)


@lru_cache(maxsize=1)
def _country_matcher() -> AliasMatcher:
    return AliasMatcher.build((c.code, c.aliases) for c in load_vocabulary().countries)


@lru_cache(maxsize=1)
def _type_matcher() -> AliasMatcher:
    spellings = load_vocabulary().firearm_types
    return AliasMatcher.build(((t.firearm_type.value, (t.spelling,)) for t in spellings), contains="earliest")


def normalize_maker(text: str | None) -> str | None:
    """Canonical maker id ('GLOCK', 'SMITH_WESSON') for a maker as typed, or None if unknown or ambiguous.

    Handles case, accents, punctuation, company words ('Inc', 'GmbH', 'Arms') and small typos
    ('glok', 'SMITH WESON') when exactly one maker is that close. Canonical ids map to themselves.
    """
    return _maker_matcher().match(text)


def normalize_importer(text: str | None) -> str | None:
    """Canonical US importer id ('CENTURY_ARMS', 'TAURUS_USA') for an importer as typed, or None."""
    return _importer_matcher().match(text)


def normalize_country(text: str | None) -> str | None:
    """ISO 3166-1 alpha-3 code of a country of manufacture as typed ('EE.UU.' -> 'USA'), or None."""
    return _country_matcher().match(text)


def normalize_firearm_type(text: str | None) -> str:
    """Firearm type code: PISTOL, REVOLVER, RIFLE, SHOTGUN, MACHINE_GUN, SUBMACHINE_GUN, OTHER or UNKNOWN.

    Slang maps to what it names ('cuerno de chivo' and 'R-15' are rifles, 'escuadra' a pistol);
    a known type inside longer text counts ('PISTOLA ESCUADRA 9MM'); blank or unrecognised text
    is UNKNOWN rather than a guess.
    """
    return _type_matcher().match(text) or FirearmType.UNKNOWN.value


def fold_caliber(text: str) -> str:
    """Caliber lookup key: '5,56 mm' -> '5.56', '7.62 x 39mm' -> '7.62X39', 'cal. .38 Súper' -> '38SUPER'.

    Keeps the dots between digits that distinguish calibers, drops the 'calibre' word, millimetre
    units and every other separator.
    """
    key = strip_accents(text).upper()
    key = re.sub(r"(?<=\d),(?=\d)", ".", key)
    key = re.sub(r"\b(?:CALIBRE|CALIBER|CALIB|CAL)\b", " ", key)
    key = re.sub(r"[^A-Z0-9.]", "", key)
    key = re.sub(r"(?<=\d)MM", "", key)
    return re.sub(r"(?<!\d)\.|\.(?!\d)", "", key)


@lru_cache(maxsize=1)
def _caliber_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for caliber in load_vocabulary().calibers:
        for spelling in (caliber.code, *caliber.aliases):
            key = fold_caliber(spelling)
            if index.setdefault(key, caliber.code) != caliber.code:
                raise ValueError(f"caliber spelling {spelling!r} names both {index[key]} and {caliber.code}")
    return index


def normalize_caliber(text: str | None) -> str | None:
    """Canonical caliber id ('9MM', '.38 SUPER', '5.56/.223', '12 GA') for a caliber as typed, or None.

    Bare numbers shared by several cartridges ('38', '7.62') stay None rather than being guessed.
    """
    return _caliber_index().get(fold_caliber(text)) if text else None


def _model_tokens(text: str) -> list[str]:
    """Folded model tokens without 'Modelo'/'Model' and generation marks ('Gen 4', 'GEN5')."""
    tokens = [t for t in fold(text).split() if t not in _MODEL_WORDS]
    kept: list[str] = []
    for i, token in enumerate(tokens):
        if _GENERATION.fullmatch(token) or (i > 0 and tokens[i - 1] == "GEN" and token.isdigit()):
            continue
        kept.append(token)
    return kept


@dataclass(frozen=True)
class _ModelIndex:
    """One maker's model keys, and the tokens of its name a model may be prefixed with ('Glock 17')."""

    keys: dict[str, str]
    maker_tokens: frozenset[str]

    def candidates(self, text: str) -> list[str]:
        """Lookup keys for `text`: with 0..n leading maker tokens removed, most stripped first."""
        tokens = _model_tokens(text)
        lead = 0
        while lead < len(tokens) - 1 and tokens[lead] in self.maker_tokens:
            lead += 1
        return [compact(" ".join(tokens[k:])) for k in range(lead, -1, -1)]

    def resolve(self, text: str) -> str | None:
        candidates = self.candidates(text)
        for key in candidates:
            if self.keys.get(key):
                return self.keys[key]
        # Short model names ('G19', '92') are one keystroke from each other: only long ones get slack.
        key = candidates[0]
        if len(key) < 5:
            return None
        near = {m for k, m in self.keys.items() if m and edit_distance(key, k, 1) <= 1}
        return near.pop() if len(near) == 1 else None


def _model_index(maker: Maker) -> _ModelIndex:
    keys: dict[str, str] = {}
    for model in maker.models:
        for alias in (model.name, *model.aliases):
            key = compact(" ".join(_model_tokens(alias)))
            keys[key] = model.name if keys.get(key, model.name) == model.name else ""
    maker_tokens = {t for alias in (maker.name, *maker.aliases) for t in fold(alias).split()}
    return _ModelIndex(keys=keys, maker_tokens=frozenset(maker_tokens))


@lru_cache(maxsize=1)
def _model_indexes() -> dict[str, _ModelIndex]:
    return {maker.code: _model_index(maker) for maker in load_vocabulary().makers}


def normalize_model(text: str | None, maker: str | None) -> str | None:
    """Canonical model name within `maker` (raw or canonical) for a model as typed, or None.

    'Glock 17 Gen 4', 'G-17' and '17' all give 'G17' for Glock. Without a recognised maker the model
    is resolved only if exactly one maker has a model by that name ('PT92' -> Taurus; 'AR-15' is
    claimed by several makers, so None).
    """
    if not text:
        return None
    indexes = _model_indexes()
    maker_code = normalize_maker(maker)
    if maker_code is not None:
        return indexes[maker_code].resolve(text)
    found = {name for index in indexes.values() if (name := index.resolve(text))}
    return found.pop() if len(found) == 1 else None


def model_family(maker: str, model: str | None) -> str | None:
    """Serial-number family of a canonical `model` of canonical `maker` (e.g. Remington '870')."""
    if model is None:
        return None
    return load_vocabulary().maker(maker).model(model).family


def firearm_key(maker: str | None, serial: str | None, model: str | None) -> str | None:
    """Identity of a physical gun for deduplication, from the raw (or canonical) description.

    Maker + clean serial: serials are unique per maker in practice, and agencies mistype models far
    more than makers, so putting the model in the key would split one gun into several. Makers known
    to reuse serials across model lines (serial_scope MODEL_FAMILY, e.g. Remington, Winchester) add
    the model *family* ('870', not '870 Express'); an unresolved family becomes '?' so those events
    fall to the possible-duplicate rule. An unrecognised maker keys as 'UNKNOWN'. No usable serial
    (obliterated or missing) means no identity: None, never a shared placeholder key.
    """
    clean, _ = normalize_serial(serial)
    if clean is None:
        return None
    maker_code = normalize_maker(maker)
    if maker_code is None:
        return f"UNKNOWN|{clean}"
    if load_vocabulary().maker(maker_code).serial_scope is SerialScope.MODEL_FAMILY:
        family = model_family(maker_code, normalize_model(model, maker_code)) or "?"
        return f"{maker_code}|{family}|{clean}"
    return f"{maker_code}|{clean}"
