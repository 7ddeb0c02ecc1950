"""Random secret tokens that are stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """A URL-safe random token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 is enough here: the tokens are long and random, so there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()
