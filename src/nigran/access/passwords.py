"""Password hashing (Argon2id, argon2-cffi's RFC 9106 defaults) and the password rules, in one place.

Rules follow OWASP ASVS 2.1: at least 12 characters, at most 128, any characters (spaces and Unicode
included), not the user name, not one of a short list of the most common choices. No composition rules.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH, MAX_LENGTH = 12, 128
_HASHER = PasswordHasher()
#: A hash of a random password, verified against when the user does not exist, so that both answers take
#: the same time and a timing attacker cannot tell whether a user name exists.
_DUMMY = _HASHER.hash("nigran-dummy-password-for-equal-timing")
COMMON = frozenset(
    {
        "password1234",
        "123456789012",
        "qwertyuiop12",
        "passwordpassword",
        "administrator",
        "letmeinletmein",
        "iloveyou1234",
        "pakistan1947",
        "pakistan12345",
        "nigran123456",
    }
)


def problems(password: str, username: str = "") -> list[str]:
    """Why ``password`` is refused (empty when it is acceptable)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        found.append(f"a password has at most {MAX_LENGTH} characters")
    if username and password.strip().lower() == username.strip().lower():
        found.append("a password is not the user name")
    if password.strip().lower() in COMMON:
        found.append("this password is among the most common ones")
    return found


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; a missing or unreadable hash never matches (after the same
    work as a real check)."""
    if len(password) > MAX_LENGTH * 4:
        return False
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
