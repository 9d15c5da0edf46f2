"""gw API key secrets: how they are made, hashed and shown to humans.

A secret is `gw-` followed by 43 url-safe base64 characters (256 random bits). Only its SHA-256 is
stored; a plain hash suffices because the secret has full entropy (no dictionary to attack), and it
keeps lookups a single indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["KEY_PREFIX", "display_prefix", "hash_token", "looks_like_token", "new_key_id", "new_token"]

KEY_PREFIX = "gw-"
_SECRET_BYTES = 32
_SHOWN_CHARS = 8


def new_token() -> str:
    """A fresh secret (`gw-…`), to be shown once and never stored."""
    return KEY_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def new_key_id() -> str:
    """A key id: public, stable across rotations, used in logs, the ledger and the admin API."""
    return "key_" + secrets.token_hex(8)


def hash_token(token: str) -> str:
    """Hex SHA-256 of a secret."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of a secret, enough for a human to tell keys apart (not to guess them)."""
    return token[: len(KEY_PREFIX) + _SHOWN_CHARS]


def looks_like_token(token: str) -> bool:
    """Whether a bearer value has the shape of a gw secret (cheap check before any lookup)."""
    return token.startswith(KEY_PREFIX) and 20 <= len(token) <= 200
