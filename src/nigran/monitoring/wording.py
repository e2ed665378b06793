"""Words shared by monitoring's messages and tables, so that "1 day" and "2 days" are spelled one way."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    """``plural(1, "day")`` → ``'1 day'``; ``plural(3, "day")`` → ``'3 days'``.

    >>> plural(1, "obligation"), plural(0, "obligation"), plural(2, "entity", "entities")
    ('1 obligation', '0 obligations', '2 entities')
    """
    return f"{n} {one if n == 1 else (many or one + 's')}"
