"""Normalising place names so that the spellings found in incident data meet the gazetteer's.

Two keys are derived from a name. ``normalise`` is conservative (case, accents, punctuation, administrative
suffixes such as "district" or "agency"); ``skeleton`` also folds the transliteration variants that Urdu and
Pashto names take in English (aa/a, ee/i, oo/u, w/v, q/k, doubled letters, spaces), so "Qilla Saifullah",
"Killa Saifullah" and "Qila Saifulla" meet. Urdu names get their own folding (letter variants, diacritics).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Trailing or leading words that say what kind of unit a name is, not which one. "Tehsil" and "agency" are
# kept out of the name but remembered: a name that carried them cannot be a province.
UNIT_WORDS = frozenset(
    {
        "district",
        "distt",
        "dist",
        "distrcit",
        "disrict",
        "agency",
        "tehsil",
        "tahsil",
        "taluka",
        "zila",
        "zilla",
    }
)
PROVINCE_WORDS = frozenset({"province", "provinces", "state", "region", "territory"})
NOISE_WORDS = frozenset({"the", "of", "city", "town", "village", "area", "areas", "cantt", "cantonment"})

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_ARABIC_DIACRITICS = re.compile(r"[\u064B-\u065F\u0670\u06D6-\u06ED]")
_URDU_FOLD = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh -> Farsi/Urdu yeh
        "ى": "ی",
        "ې": "ی",  # Pashto yeh
        "ك": "ک",
        "ه": "ہ",
        "ة": "ہ",
        "ۀ": "ہ",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ؤ": "و",
        "\u200c": " ",  # zero-width non-joiner
        "\u200d": "",
    }
)
_URDU_UNIT_WORDS = ("ضلع", "تحصیل", "ایجنسی", "صوبہ", "ڈویژن")

# Applied in order to a spaceless lower-case Latin key.
_SKELETON_RULES = (
    ("ph", "f"),
    ("q", "k"),
    ("w", "v"),
    ("ee", "i"),
    ("oo", "u"),
    ("ou", "u"),
    ("aa", "a"),
    ("ai", "e"),
    ("ay", "e"),
    ("y", "i"),
    ("bh", "b"),
    ("dh", "d"),
    ("th", "t"),
    ("gh", "g"),
    ("jh", "j"),
    ("ph", "p"),
    ("rh", "r"),
)
_DOUBLES = re.compile(r"(.)\1+")


def is_arabic_script(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" for ch in text)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def tokens(name: str) -> tuple[tuple[str, ...], bool, bool]:
    """Words of a Latin name, with whether a unit word ("district"…) or a province word was dropped."""
    text = _strip_accents(name).casefold().replace("&", " and ")
    words = _PUNCT.sub(" ", text).split()
    unit = any(w in UNIT_WORDS for w in words)
    province = any(w in PROVINCE_WORDS for w in words)
    kept = tuple(w for w in words if w not in UNIT_WORDS and w not in PROVINCE_WORDS and w not in NOISE_WORDS)
    return kept or tuple(words), unit, province


@lru_cache(maxsize=65536)
def normalise(name: str) -> str:
    if is_arabic_script(name):
        return normalise_urdu(name)
    return " ".join(tokens(name)[0])


@lru_cache(maxsize=65536)
def normalise_urdu(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).translate(_URDU_FOLD)
    text = _ARABIC_DIACRITICS.sub("", text)
    words = [w for w in _SPACES.split(_PUNCT.sub(" ", text)) if w and w not in _URDU_UNIT_WORDS]
    return " ".join(words)


@lru_cache(maxsize=65536)
def skeleton(name: str) -> str:
    """A lossy key that ignores spaces and the usual transliteration variants."""
    key = normalise(name)
    if is_arabic_script(key):
        return key.replace(" ", "")
    key = key.replace(" and ", "").replace(" ", "")
    for old, new in _SKELETON_RULES:
        key = key.replace(old, new)
    key = _DOUBLES.sub(r"\1", key)
    return key[:-1] if key.endswith("h") and len(key) > 4 else key


def abbreviations(name: str) -> set[str]:
    """Initialised forms: "Dera Ismail Khan" -> "D I Khan", "Toba Tek Singh" -> "T T Singh"."""
    words = normalise(name).split()
    if len(words) < 3 or is_arabic_script(name):
        return set()
    initials = " ".join(w[0] for w in words[:-1])
    return {f"{initials} {words[-1]}"}
