"""Which language an article is in, by its letters: the rule the extractor's "English only" rests on.

The rule (documented in ``docs/news.md``), on the letters of the text (``str.isalpha``):

- at least 30 % of the letters in Arabic script: Urdu (``ur``), unless letters only Pashto (``ps``) or
  Sindhi (``sd``) use make up at least 1 % of the Arabic-script letters, or none of the letters Urdu uses
  beyond Arabic's (ٹ ڈ ڑ ں ے ھ ۓ ی گ چ پ ژ ک) appears at all (``ar``);
- otherwise, with at least 50 % Latin letters and at least 12 % of the words English function words (the,
  of, and, in, was, …; English news runs at 30–45 %): English (``en``);
- anything else, and a text with fewer than 12 letters: undetermined (``und``).

Only ``en`` goes to the extractor; every other article is set aside for a person to read. Nothing guesses.
"""

from __future__ import annotations

import re

ARABIC_SHARE = 0.30
LATIN_SHARE = 0.50
ENGLISH_WORD_SHARE = 0.12
MIN_LETTERS = 12

_ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
_URDU_LETTERS = set("ٹڈڑںےھۓیگچپژک")
_PASHTO_LETTERS = set("ټډړښږځڅګڼېۍ")
_SINDHI_LETTERS = set("ڪڏٻڄڃڦڻڱڳڌڍٽٿ")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ENGLISH = (
    "the of and to in is was were that for on with as by at from he it his her they their said has have "
    "had been are be this an which who or not but after when no near into while during its also over other "
    "some there would could should"
)
ENGLISH_WORDS = frozenset(_ENGLISH.split())

NAMES = {"en": "English", "ur": "Urdu", "ps": "Pashto", "sd": "Sindhi", "ar": "Arabic", "und": "undetermined"}


_ARABIC = re.compile("[" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in _ARABIC_RANGES) + "]")
_LETTER = re.compile(r"[^\W\d_]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """``en``, ``ur``, ``ps``, ``sd``, ``ar`` or ``und`` by the rule in the module's docstring."""
    n_letters = len(_LETTER.findall(text))
    if n_letters < MIN_LETTERS:
        return "und"
    arabic = [c for c in _ARABIC.findall(text) if c.isalpha()]
    if len(arabic) >= ARABIC_SHARE * n_letters:
        pashto = sum(c in _PASHTO_LETTERS for c in arabic)
        sindhi = sum(c in _SINDHI_LETTERS for c in arabic)
        if pashto >= 0.01 * len(arabic) and pashto >= sindhi:
            return "ps"
        if sindhi >= 0.01 * len(arabic):
            return "sd"
        if not any(c in _URDU_LETTERS for c in arabic):
            return "ar"
        return "ur"
    if len(_ASCII_LETTER.findall(text)) < LATIN_SHARE * n_letters:
        return "und"
    words = _WORD.findall(text.casefold())
    if words and sum(w in ENGLISH_WORDS for w in words) >= ENGLISH_WORD_SHARE * len(words):
        return "en"
    return "und"


def set_aside_reason(language: str) -> str | None:
    """Why an article in ``language`` is set aside for a person, or ``None`` for English."""
    if language == "en":
        return None
    if language == "und":
        return (
            "not recognised as English (too short, or another language): the extractor reads English only; "
            "a person must read it"
        )
    return f"{NAMES.get(language, language)} text: the extractor reads English only; a person must read it"
