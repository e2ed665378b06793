"""What was attacked: a category or a short phrase ("police check post", "passenger train"), never a name.

The phrase is the first facility or group noun of the incident's sentences (see :data:`HEADS`) with up to two
words before it that say whose or what kind ("FC convoy", "security check post"); for a security-force
operation it is "militants" (or their "hideout"); failing both, the kind of people killed or injured
("soldiers", "police", "civilians"). Capitalised words before the noun are dropped unless they are known
category words (FC, CTD, JUI-F...), so a proper name never becomes the target.
"""

from __future__ import annotations

import re

HEADS = (
    r"check[\s-]?posts?|checkposts?|checkpoints?|police\s+stations?|police\s+lines|convoys?|vehicles?|mosques?|"
    r"imambargahs?|churche?s?|temples?|shrines?|schools?|markets?|bazaars?|trains?|buses|bus|vans?|camps?|"
    r"cantonments?|bases?|offices?|rall(?:y|ies)|conventions?|gatherings?|processions?|polio\s+teams?|towers?|"
    r"pipelines?|railway\s+(?:station|track)s?|airports?|hotels?|hospitals?|residences?|houses?|homes?|"
    r"patrols?|posts?|trucks?|pickups?|jirgas?|funerals?|courts?|compounds?|hideouts?|bridges?|"
    r"power\s+pylons?|gas\s+pipelines?|passenger\s+(?:coach|bus|train)"
)
MODIFIER = r"(?:[a-z][\w'’-]*|FC|CTD|JUI-F|JUI|PPP|PTI|ANP|ISI|Levies|Frontier\s+Corps|Police|Army)"
HEAD = re.compile(rf"\b(?:{HEADS})\b", re.I)
_MODS_BEFORE = re.compile(rf"(?:^|\s)(?P<mods>(?:{MODIFIER}\s+){{0,2}})$", re.I)


class _Found:
    """A head noun with the modifier words just before it (what ``TARGET.finditer`` used to give)."""

    def __init__(self, sentence: str, head: re.Match[str]) -> None:
        before = sentence[max(0, head.start() - 60) : head.start()]
        m = _MODS_BEFORE.search(before)
        self._mods = m.group("mods") if m else ""
        self._head = head

    def group(self, name: str) -> str:
        return self._mods if name == "mods" else self._head.group()

    def start(self, name: str | None = None) -> int:
        return self._head.start() - (0 if name == "head" else len(self._mods))

    def end(self) -> int:
        return self._head.end()


class _Target:
    @staticmethod
    def finditer(sentence: str) -> list[_Found]:
        return [_Found(sentence, h) for h in HEAD.finditer(sentence)]


TARGET = _Target()
SKIP_MODS = frozenset(
    [
        "a",
        "an",
        "the",
        "his",
        "her",
        "their",
        "its",
        "on",
        "at",
        "in",
        "near",
        "of",
        "to",
        "from",
        "into",
        "with",
        "by",
        "was",
        "were",
        "is",
        "are",
        "had",
        "has",
        "been",
        "which",
        "that",
        "this",
        "these",
        "those",
        "said",
        "where",
        "when",
        "while",
        "after",
        "before",
        "and",
        "or",
        "main",
        "city's",
        "district's",
    ]
)
SKIP_MODS = SKIP_MODS | {
    "as",
    "set",
    "show",
    "hurt",
    "several",
    "many",
    "some",
    "two",
    "three",
    "four",
    "five",
}
KEEP_ED = frozenset(
    {"armoured", "armored", "crowded", "united", "religious", "training", "polling", "building"}
)
PEOPLE = (
    (
        re.compile(
            r"\b(?:policem[ae]n|police\s+(?:officials?|personnel|officers?)|constables?|cops?)\b", re.I
        ),
        "police",
    ),
    (
        re.compile(r"\b(?:soldiers?|troops|army\s+personnel|security\s+personnel|fc\s+personnel)\b", re.I),
        "soldiers",
    ),
    (re.compile(r"\b(?:worshippers|pilgrims)\b", re.I), "worshippers"),
    (re.compile(r"\b(?:passengers)\b", re.I), "passengers"),
    (re.compile(r"\b(?:labourers|workers)\b", re.I), "workers"),
    (re.compile(r"\b(?:civilians|people|persons)\b", re.I), "civilians"),
)


VICTIM = re.compile(
    r"\b(?:(?:police|traffic|ctd|fc|levies)\s+)?(?:constable|policeman|cop|inspector|sub-inspector|asi|sho|dsp|"
    r"soldier|journalist|lawyer|teacher|doctor|trader|shopkeeper|cleric|scholar|leader|worker|official)s?\b",
    re.I,
)


def find_target(
    text: str, spans: list[tuple[int, int]], event_type: str
) -> tuple[str | None, tuple[int, int] | None]:
    if event_type == "security_operation":
        for start, end in spans:
            m = re.search(r"\b(?:militant|terrorist)s?['’]?\s+hideouts?|\bhideouts?\b", text[start:end], re.I)
            if m:
                return "militant hideout", (start + m.start(), start + m.end())
        return "militants", None
    if event_type == "targeted_killing":
        # a killing aimed at a person: the target is what the victim was (a trade, a rank), never the name
        for start, end in spans:
            m = VICTIM.search(text, start, end)
            if m:
                return m.group().lower(), (m.start(), m.end())
    for start, end in spans:
        sentence = text[start:end]
        for m in TARGET.finditer(sentence):
            head = m.group("head").lower()
            if head in ("post", "posts") and not re.search(
                r"(?:police|security|check|fc|levies|army)\s+$", m.group("mods") or "", re.I
            ):
                continue
            before = sentence[max(0, m.start() - 40) : m.start()]
            if re.search(r"\b(?:to|in)\s+(?:a|the)?\s*$", before, re.I) and head.startswith(
                ("hospital", "house", "home")
            ):
                continue  # "shifted to hospital"
            mods = [w for w in (m.group("mods") or "").split() if w.lower() not in SKIP_MODS]
            while mods and re.search(r"(?:ed|ing)$", mods[0], re.I) and mods[0].lower() not in KEEP_ED:
                mods = mods[1:]  # "stormed a check post": the verb is not part of the target
            if any(re.search(r"(?:ed|ing)$", w, re.I) and w.lower() not in KEEP_ED for w in mods):
                mods = mods[[i for i, w in enumerate(mods) if re.search(r"(?:ed|ing)$", w, re.I)][-1] + 1 :]
            mods = [
                w
                for w in mods
                if not (w[0].isupper() and w not in ("FC", "CTD", "JUI-F", "JUI", "Levies", "Police", "Army"))
            ]
            phrase = " ".join([*mods[-2:], m.group("head")]).lower()
            phrase = re.sub(r"\s+", " ", phrase)
            return phrase, (
                start + m.start("head") - len(" ".join(mods[-2:])) - (1 if mods else 0),
                start + m.end(),
            )
    for start, end in spans:
        sentence = text[start:end]
        for pattern, label in PEOPLE:
            m = pattern.search(sentence)
            if m:
                return label, (start + m.start(), start + m.end())
    return None, None
