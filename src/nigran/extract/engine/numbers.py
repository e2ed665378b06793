"""Numbers as news reports write them: digits ("12", "1,200"), words ("twenty-three", "a dozen"), and the
articles "a"/"an" before a singular noun ("a policeman was martyred" is one).

``NUMBER`` is a regular expression (no groups of its own) that finds one number; :func:`value` turns the
matched text into an ``int``. Hedges such as "at least", "over", "more than" and "nearly" are read past: the
figure is the number written, which is how monitors and the dev set count ("at least 12" is 12).
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
GROUPS = {"dozen": 12, "score": 20}
SINGULAR = {"a", "an", "another", "single", "lone"}
PAIR = {"both": 2, "couple": 2, "pair": 2}

_unit = "|".join(sorted(UNITS, key=len, reverse=True))
_ten = "|".join(TENS)
_small = rf"(?:(?:{_ten})(?:[\s-]+(?:{_unit}))?|{_unit})"
# "one hundred and twenty-three", "two dozen", "a dozen", "1,200", "12"
WORDS = (
    rf"(?:(?:{_small}|a)\s+hundred(?:\s+and)?(?:\s+{_small})?|(?:{_small}|a|two|three)\s+dozens?|{_small})"
)
DIGITS = r"\d{1,3}(?:,\d{3})+|\d+"
NUMBER = rf"(?:{DIGITS}|\b(?:{WORDS})\b)"


def value(text: str) -> int | None:
    """The integer a matched number stands for, or None when it is not one."""
    t = " ".join(text.casefold().replace("-", " ").split())
    if not t:
        return None
    if t.replace(",", "").isdigit():
        return int(t.replace(",", ""))
    if t in SINGULAR:
        return 1
    if t in PAIR:
        return PAIR[t]
    total, current = 0, 0
    for word in t.split():
        if word == "and":
            continue
        if word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word == "a":
            current += 1
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word.rstrip("s") in GROUPS:
            current = max(current, 1) * GROUPS[word.rstrip("s")]
        else:
            return None
    total += current
    return total


_WORD = re.compile(r"\d{1,3}(?:,\d{3})+|\d+|[A-Za-z]+")
ARTICLES = {"a": 1, "an": 1, "one": 1, "both": 2, "another": 1}
_NUMBER_WORDS = frozenset(UNITS) | frozenset(TENS) | {"hundred", "dozen", "dozens", "and", "a"}


def find_numbers(text: str, *, articles: bool = True) -> list[tuple[int, int, int, bool]]:
    """Every number in ``text`` as (start, end, value, is_article), scanning words once (much faster than
    one large regular expression): digits, number words joined by spaces, hyphens or "and" ("one hundred
    and twenty-three", "two dozen"), and — with ``articles`` — "a", "an", "one", "both", "another" before a
    word (``is_article`` True: they count only before a person noun)."""
    words = [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(text)]
    out: list[tuple[int, int, int, bool]] = []
    i, n = 0, len(words)
    while i < n:
        s, e, w = words[i]
        if w[0].isdigit():
            if not (s > 0 and text[s - 1] in ".:/-" and s > 1 and text[s - 2].isdigit()):
                out.append((s, e, int(w.replace(",", "")), False))
            i += 1
            continue
        if w in UNITS or w in TENS or (w == "a" and i + 1 < n and words[i + 1][2] in ("dozen", "hundred")):
            j = i + 1
            while j < n and words[j][2] in _NUMBER_WORDS and _joined(text, words[j - 1][1], words[j][0]):
                if words[j][2] in ("and", "a") and not (
                    j + 1 < n and (words[j + 1][2] in UNITS or words[j + 1][2] in TENS)
                ):
                    break
                j += 1
            start, end = s, words[j - 1][1]
            v = value(text[start:end])
            if v is not None:
                out.append((start, end, v, False))
                i = j
                continue
            v = value(w)
            if v is not None:
                out.append((s, e, v, w == "one"))
            i += 1
            continue
        if articles and w in ARTICLES:
            out.append((s, e, ARTICLES[w], True))
        i += 1
    return out


def _joined(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return gap in (" ", "-", "  ") or (gap.strip() == "" and len(gap) <= 2)
