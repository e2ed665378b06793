"""Counts in sentences, spelled one way everywhere: "1 incident", "2 incidents", "1,234 rows"."""

from __future__ import annotations


def noun(n: int, one: str, many: str | None = None) -> str:
    """The word alone: ``noun(1, "was", "were")`` → ``'was'``."""
    return one if n == 1 else (many or one + "s")


def plural(n: int, one: str, many: str | None = None) -> str:
    """The count and its word, thousands separated.

    >>> plural(1, "obligation"), plural(0, "obligation"), plural(1200, "entity", "entities")
    ('1 obligation', '0 obligations', '1,200 entities')
    """
    return f"{n:,} {noun(n, one, many)}"
