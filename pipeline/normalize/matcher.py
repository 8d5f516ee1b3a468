"""Resolve free text to a canonical code through an alias table: exact, reduced, contained, then fuzzy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pipeline.normalize.text import compact, drop_words, edit_distance, fold

Containment = Literal["earliest", "unique"] | None

_AMBIGUOUS = ""  # marks a reduced key shared by two codes: it resolves to nothing
MEMO_SIZE = 20_000  # texts remembered per matcher; agencies repeat the same spellings, a fuzzy miss costs ~100 µs


def fuzzy_limit(length: int) -> int:
    """Edit distance tolerated for a key of `length` characters: none for 3 or fewer, 1 up to 6, else 2.

    Short keys ('CAI', 'SIN', 'NL') are too close to each other for any slack.
    """
    if length <= 3:
        return 0
    return 1 if length <= 6 else 2


@dataclass(frozen=True)
class AliasMatcher:
    """An immutable alias index for one vocabulary (makers, states, crimes, ...).

    Lookup order, first hit wins: the folded text as an alias; the text without noise words
    ('Inc', 'GmbH', 'Estado de') or without spaces; an alias phrase contained in the text, if built
    with `contains` ("earliest": the phrase starting first wins, for free text like crime types;
    "unique": only if every contained phrase names the same code, for 'Remington 870' in a maker
    field); the single closest alias within `fuzzy_limit` edits, only if no other code is as close.
    """

    exact: dict[str, str]
    reduced: dict[str, str]
    fuzzy_keys: tuple[tuple[str, str], ...]
    phrases: tuple[tuple[tuple[str, ...], str], ...]
    noise: frozenset[str]
    contains: Containment = None
    # text -> code already resolved: `match` is a pure function of the text, and the fuzzy step is its cost.
    _memo: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        entries: Iterable[tuple[str, Iterable[str]]],
        noise: Iterable[str] = (),
        contains: Containment = None,
    ) -> AliasMatcher:
        """Index `(code, aliases)` pairs; two codes claiming the same folded alias is a vocabulary bug."""
        noise_set = frozenset(noise)
        exact: dict[str, str] = {}
        reduced: dict[str, str] = {}
        phrases: list[tuple[tuple[str, ...], str]] = []
        for code, aliases in entries:
            for alias in (code, *aliases):
                folded = fold(alias)
                if not folded:
                    continue
                if exact.setdefault(folded, code) != code:
                    raise ValueError(f"alias {alias!r} names both {exact[folded]} and {code}")
                core = drop_words(folded, noise_set)
                for key in {core, compact(folded), compact(core)} - {folded}:
                    reduced[key] = code if reduced.get(key, code) == code else _AMBIGUOUS
                if contains and len(compact(folded)) >= 3:
                    phrases.append((tuple(folded.split()), code))
        fuzzy_keys = {(compact(k), c) for k, c in (*exact.items(), *reduced.items()) if c != _AMBIGUOUS}
        return cls(
            exact=exact,
            reduced=reduced,
            fuzzy_keys=tuple(sorted(fuzzy_keys)),
            phrases=tuple(sorted(phrases, key=lambda p: -len(p[0]))),
            noise=noise_set,
            contains=contains,
        )

    def match(self, text: str | None) -> str | None:
        """The canonical code `text` names, or None when it is empty, unknown or ambiguous."""
        if not text:
            return None
        try:
            return self._memo[text]
        except KeyError:
            pass
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        code = self._memo[text] = self._resolve(text)
        return code

    def _resolve(self, text: str) -> str | None:
        """`match` without the memo."""
        folded = fold(text)
        if not folded:
            return None
        core = drop_words(folded, self.noise)
        for form in (folded, core):
            if form in self.exact:
                return self.exact[form]
        for form in (core, compact(folded), compact(core)):
            if self.reduced.get(form):
                return self.reduced[form]
        return self._contained(folded.split()) or self._closest({compact(folded), compact(core)})

    def _contained(self, tokens: list[str]) -> str | None:
        """The code of the alias phrases found in `tokens`, by the `contains` policy."""
        found = [
            code
            for start in range(len(tokens))
            for phrase, code in self.phrases
            if tuple(tokens[start : start + len(phrase)]) == phrase
        ]
        if not found or (self.contains == "unique" and len(set(found)) > 1):
            return None
        return found[0]

    def _closest(self, forms: set[str]) -> str | None:
        """The one code whose alias is strictly closest to any of `forms`, within the fuzzy limit."""
        best: dict[str, int] = {}
        for form in forms:
            limit = fuzzy_limit(len(form))
            if limit == 0:
                continue
            for key, code in self.fuzzy_keys:
                distance = edit_distance(form, key, limit)
                if distance <= limit and distance < best.get(code, limit + 1):
                    best[code] = distance
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda item: item[1])
        if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
            return None
        return ranked[0][0]
