"""Random tokens and the one-way form in which they are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SESSION_COOKIE = "nigran_session"
PRE_SESSION_COOKIE = "nigran_pre"  # anonymous visitors: the basis of the sign-in form's CSRF token
TOKEN_PREFIX = "ngr_"


def new_token() -> str:
    """256 bits from the operating system's CSPRNG (ASVS 3.2.2)."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What the database keeps: SHA-256 of a 256-bit random token (no salt or stretching needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_for(basis: str) -> str:
    """The synchroniser token of a session: derived from the session's secret, so it is tied to that session,
    changes with it (sign-in rotates it), and needs no storage. It reveals nothing of the cookie."""
    return hmac.new(basis.encode(), b"nigran-csrf-v1", hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))
