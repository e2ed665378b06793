"""Who did it: armed groups named in the text, normalised through the actor registry, and whether a group
claimed the attack.

The registry (``src/nigran/data/actors.yaml``) lists every name a group goes by; the output is the
registry's **name** of the actor ("Tehrik-i-Taliban Pakistan"), or ``"unknown"`` when the incident's
sentences name no group. State actors (security forces) are never the perpetrator of an attack on them;
aliases that are ordinary words or abbreviations of something else in Pakistani reporting ("IS", "SSP" —
a police rank —, "FC", "CTD", "LJ", "AQ") are not matched, and "Taliban" alone is read as the Pakistani
Taliban only in a Pakistani context word ("Pakistani Taliban", "TTP").

A group counts for an incident when it is named in one of its sentences that is not background (see
``segments``); a group named in a claim ("X claimed responsibility") wins over one named otherwise.
``claimed`` is True for a claim, False when the text says no group claimed it, None when it says nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from nigran.core.paths import data_path

SKIP_ALIASES = frozenset(
    {
        "is",
        "ssp",
        "fc",
        "ctd",
        "lj",
        "aq",
        "taliban",
        "taleban",
        "imu",
        "isil",
        "daesh",
        "mqm",
        "rangers",
        "levies",
        "security forces",
        "bra",
        "blt",
        "sra",
        "uba",
    }
)
# Extra spellings seen in reporting, mapped to registry codes (the state's names for groups included).
EXTRA = {
    "khwarij": "TTP", "khawarij": "TTP", "kharji": "TTP", "kharijis": "TTP", "khariji": "TTP",
    "fitna al khwarij": "TTP", "fitna-al-khwarij": "TTP", "fitna al-khwarij": "TTP",
    "fitnah al khawarij": "TTP",
    "pakistani taliban": "TTP", "pakistan taliban": "TTP", "tehreek-e-taliban": "TTP", "daesh": "ISKP",
    "islamic state": "ISKP", "tehreek jihad pakistan": "TTP-SPLINTER",
    "tehrik jihad pakistan": "TTP-SPLINTER",
    "fitna al hindustan": "BLA", "fitna-al-hindustan": "BLA", "baloch liberation army": "BLA",
}  # fmt: skip
STATE_KINDS = frozenset({"state", "foreign_state"})
CLAIM = re.compile(
    r"\b(?:claimed|claiming|claims|accepted|owned|took|taken|claim)\s+(?:the\s+)?(?:responsibility|"
    r"(?:the\s+)?(?:attack|bombing|blast|killing|killings|assault|abduction|kidnapping|ambush))|"
    r"\bclaimed\s+that\b|\bclaimed\s+(?:that\s+)?the\s+(?:explosion|attack|blast|bombing)\s+was|"
    r"\bclaims?\s+(?:for|of)\s+(?:the\s+)?(?:attack|blast|bombing|incident)|\bclaim(?:ed)?\s+of\s+responsibility|\bresponsibility\s+(?:for|of)\s+the\s+(?:attack|blast|bombing)\s+"
    r"(?:was|has\s+been)\s+claimed",
    re.I,
)
NEGATION = re.compile(
    r"\b(?:no|not|none|nobody|neither|yet\s+to|no\s+one|no-one|has\s+not|had\s+not|did\s+not|didn't|hasn't|"
    r"so\s+far\s+no)\b",
    re.I,
)


@dataclass(frozen=True)
class Actor:
    code: str
    name: str
    kind: str


@cache
def registry() -> tuple[dict[str, Actor], re.Pattern[str]]:
    import yaml

    rows = yaml.safe_load(data_path("actors.yaml").read_text(encoding="utf-8"))["actors"]
    actors = {r["code"]: Actor(r["code"], r["name"], r["kind"]) for r in rows}
    names: dict[str, str] = {}
    for r in rows:
        if r["kind"] in STATE_KINDS:
            continue
        for alias in [r["name"], *(r.get("aliases") or [])]:
            alias = str(alias).strip()
            if alias.casefold() in SKIP_ALIASES or len(alias) < 2:
                continue
            names.setdefault(alias.casefold(), r["code"])
    for alias, code in EXTRA.items():
        names.setdefault(alias.casefold(), code)
    parts = []
    for alias in sorted(names, key=len, reverse=True):
        pattern = re.escape(alias).replace(r"\-", "[-\\s]?").replace(r"\ ", r"[-\s]+")
        parts.append(pattern)
    regex = re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.I)
    lookup = {_key(a): c for a, c in names.items()}
    return actors, re.compile(regex.pattern, re.I), lookup  # type: ignore[return-value]


def _key(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


@dataclass(frozen=True)
class ActorMention:
    start: int
    end: int
    name: str  # the registry name
    in_claim: bool


@lru_cache(maxsize=256)
def _all_matches(text: str) -> tuple[tuple[int, int, str], ...]:
    _, regex, _ = registry()  # type: ignore[misc]
    return tuple((m.start(), m.end(), m.group()) for m in regex.finditer(text))


def find_actors(text: str, spans: list[tuple[int, int]]) -> list[ActorMention]:
    actors, _, lookup = registry()  # type: ignore[misc]
    out = []
    everywhere = _all_matches(text)
    for start, end in spans:
        sentence = text[start:end]
        inside = [(s, e, w) for s, e, w in everywhere if start <= s and e <= end]
        if not inside:
            continue
        claim = CLAIM.search(sentence)
        for s, e, word in inside:
            if word.isupper() is False and len(word) <= 4 and not word[0].isupper():
                continue  # "bla" in running lower-case text is not the BLA
            code = lookup.get(_key(word))
            if code is None or code not in actors:
                continue
            out.append(ActorMention(s, e, actors[code].name, claim is not None))
    return out


def claim_status(text: str, spans: list[tuple[int, int]]) -> tuple[bool | None, tuple[int, int] | None]:
    """True with the claim's span, False with the denial's span, or (None, None) when nothing is said."""
    for start, end in spans:
        sentence = text[start:end]
        m = CLAIM.search(sentence)
        if not m:
            continue
        before = sentence[max(0, m.start() - 80) : m.start()]
        clause = re.split(r"[,;:]|\bbut\b|\bwhile\b", before)[-1]
        if NEGATION.search(clause) or (
            re.search(r"\byet\b", sentence[m.end() : m.end() + 30], re.I) and NEGATION.search(clause)
        ):
            return False, (start + m.start(), start + m.end())
        return True, (start + m.start(), start + m.end())
    return None, None
