"""What text an agency's record may hold: bounded lengths, no control characters, serials in Latin script.

Shared by the pipeline's validation (`validate.py`) and the agency-file reader at the edge
(`pipeline/producers/agency_file.py`), so a line the CLI or the API would refuse is refused the same way when
it arrives on the raw topic by another road.
"""

from __future__ import annotations

import re
import unicodedata

ID_LIMIT = 200  # characters of an agency or event id (the status endpoint takes event ids up to this length)
TEXT_LIMIT = 4_000  # characters of any other text field: keeps a record far below the raw topic's size limit
# Control characters (tab and line breaks kept in free text: CSV notes hold them) and lone surrogates: never
# text an agency meant, and PostgreSQL cannot store NUL at all.
FREE_TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Identifiers are compared byte for byte: no control character at all, and no invisible format character
# (zero-width space, bidi override) that would make two ids look the same and differ.
_ID_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# Punctuation and spaces of any script may separate a serial's characters ('123–456', 'N° 12'); letters and
# digits must be Latin once accents are dropped, or the clean serial silently loses them.
_SERIAL_SEPARATOR_CATEGORIES = frozenset({"Zs", "Pd", "Po", "Ps", "Pe", "Pi", "Pf", "Pc"})
_SERIAL_SYMBOLS = frozenset("°")


def bad_identifier(text: str) -> bool:
    """Whether an id holds a character no agency system writes in an id (control, invisible, unassigned)."""
    return any(unicodedata.category(c) in _ID_FORBIDDEN_CATEGORIES for c in text)


def bad_free_text(text: str) -> bool:
    """Whether free text holds control characters (other than tab and line breaks) or lone surrogates."""
    return FREE_TEXT_FORBIDDEN.search(text) is not None


def bad_serial_character(text: str) -> bool:
    """Whether a serial as typed holds a character no stamped serial has.

    Stamped serials are Latin letters and digits. The normaliser keeps only A-Z and 0-9 after dropping
    accents, so a Cyrillic or Greek look-alike ('АВС123'), a digit of another script, an emoji or an
    invisible mark would vanish from the clean serial and give the gun another gun's identity.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    for c in decomposed:
        if " " <= c <= "~" or unicodedata.combining(c) or c in _SERIAL_SYMBOLS:
            continue
        if unicodedata.category(c) not in _SERIAL_SEPARATOR_CATEGORIES:
            return True
    return False
