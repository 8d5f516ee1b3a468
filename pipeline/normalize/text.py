"""Text folding and edit distances shared by every normaliser (pure, no vocabulary knowledge)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_TOKEN = re.compile(r"[A-Z0-9]+")
_APOSTROPHES = str.maketrans("", "", "'’`´")


def strip_accents(text: str) -> str:
    """Drop diacritics ('León' -> 'Leon', 'Ñ' -> 'N'): agencies type them inconsistently."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Upper-case, accent-free, punctuation-free tokens joined by one space.

    Single letters joined by punctuation are glued ('S&W' -> 'SW', 'N.L.' -> 'NL', 'GES.M.B.H.' ->
    'GES MBH') so dotted and undotted abbreviations fold alike; a space keeps them apart ('S&W M&P'
    -> 'SW MP'). Apostrophes vanish ("Colt's" -> 'COLTS').
    """
    words = strip_accents(text).upper().translate(_APOSTROPHES).split()
    return " ".join(token for word in words for token in _glue_letters(_TOKEN.findall(word)))


def _glue_letters(tokens: list[str]) -> list[str]:
    """Runs of one-letter tokens merged into one token."""
    glued: list[str] = []
    letters: list[str] = []
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            letters.append(token)
            continue
        if letters:
            glued.append("".join(letters))
            letters = []
        glued.append(token)
    if letters:
        glued.append("".join(letters))
    return glued


def drop_words(folded: str, noise: Iterable[str]) -> str:
    """`folded` without the tokens in `noise` (e.g. 'INC', 'GMBH'); unchanged if nothing would remain."""
    noise_set = frozenset(noise)
    kept = [t for t in folded.split() if t not in noise_set]
    return " ".join(kept) if kept else folded


def compact(folded: str) -> str:
    """`folded` without spaces: 'SMITH WESSON' and 'SMITHWESSON' become one key."""
    return folded.replace(" ", "")


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment (Damerau) distance between `a` and `b`, or `limit + 1` if it exceeds `limit`.

    Bounded so fuzzy lookups over a few hundred aliases stay cheap: rows stop as soon as every cell
    is over the limit.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def serial_edit_distance_one(a: str, b: str) -> bool:
    """True when `a` and `b` differ by exactly one substitution, insertion, deletion or adjacent swap.

    This is the 'possible duplicate' rule: FGR and a state often enter the same gun with one digit
    mistyped. Equal serials are False (that is an exact duplicate, found by `firearm_key`). Pass
    normalised serials (see `normalize_serial`); the comparison is on the strings as given.
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        first, second = (diffs + [-1, -1])[:2]
        return len(diffs) == 2 and second == first + 1 and a[first] == b[second] and a[second] == b[first]
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(shorter) and shorter[i] == longer[i]:
        i += 1
    return shorter[i:] == longer[i + 1 :]
