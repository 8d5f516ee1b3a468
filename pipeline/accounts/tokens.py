"""Account tokens: random, shown once, stored only as a SHA-256 hash.

A token carries 256 random bits, so a fast hash is enough (no password-style stretching is needed to
stop guessing); the hash lets a leaked database not leak usable tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "tpk_"
HINT_LENGTH = 10  # "tpk_" and 6 characters: enough to tell tokens apart in a list, useless to an attacker


def new_token() -> str:
    """A fresh token: the prefix (so scanners recognise a leaked one) and 43 URL-safe characters."""
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """What the database stores and looks tokens up by."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def token_hint(token: str) -> str:
    """The visible start of a token."""
    return token[:HINT_LENGTH]


def looks_like_token(value: str) -> bool:
    """Cheap shape check before any database lookup (bad headers never reach PostgreSQL)."""
    return value.startswith(PREFIX) and 40 <= len(value) <= 80 and value.isascii() and value.isprintable()


def same_hash(a: bytes, b: bytes) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a, b)
