"""Where an incident happened: names in the text looked up in the offline gazetteer (``nigran.geo``).

Capitalised word runs ("Dera Ismail Khan", "North Waziristan", "Mir Ali") are looked up as n-grams (longest
first, up to four words) in the gazetteer's name tables: districts and their aliases and former names,
tehsils, and GeoNames places. A hit is resolved with :meth:`Gazetteer.resolve`, which gives the district and
its province, or says the name is ambiguous (Karachi's seven districts, "South Waziristan", "Khyber").

Each mention is scored by how it is written (see :data:`CUES`): "X district" and "in/near/at X" score high,
a dateline ("QUETTA:") lowest, because a dateline says where the report was filed, not where the attack was.
The incident's district is the best-scoring resolved mention in its own sentences; its province comes from
the district (never from a separate guess), or, when no district resolves, from a province named in the text.
``place`` is the locality named below district level (a town, tehsil or area), when there is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from nigran.geo.gazetteer import Gazetteer
from nigran.geo.text import normalise

#: Province names as Nigran's incident and evaluation data write them (ISO code -> name).
PROVINCE_NAMES = {
    "PK-PB": "Punjab",
    "PK-SD": "Sindh",
    "PK-KP": "Khyber Pakhtunkhwa",
    "PK-BA": "Balochistan",
    "PK-GB": "Gilgit-Baltistan",
    "PK-JK": "Azad Kashmir",
    "PK-IS": "Islamabad Capital Territory",
}
# Capitalised words that are never place names in a report even when a village somewhere bears them.
STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "he",
        "she",
        "it",
        "they",
        "we",
        "police",
        "army",
        "security",
        "station",
        "post",
        "check",
        "checkpost",
        "school",
        "hospital",
        "market",
        "bazaar",
        "road",
        "highway",
        "mosque",
        "camp",
        "lines",
        "city",
        "town",
        "village",
        "area",
        "district",
        "tehsil",
        "province",
        "government",
        "minister",
        "chief",
        "officer",
        "inspector",
        "superintendent",
        "deputy",
        "commissioner",
        "assistant",
        "sub",
        "senior",
        "spokesman",
        "spokesperson",
        "friday",
        "saturday",
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "ispr",
        "ctd",
        "fc",
        "dpo",
        "sho",
        "ssp",
        "sp",
        "dig",
        "igp",
        "rescue",
        "dawn",
        "express",
        "tribune",
        "news",
        "geo",
        "ary",
        "app",
        "pti",
        "reuters",
        "afp",
        "xinhua",
        "associated",
        "press",
        "reported",
        "said",
        "saddar",
        "cantt",
        "colony",
        "sector",
        "block",
        "phase",
        "new",
        "old",
        "upper",
        "lower",
        "north",
        "south",
        "east",
        "west",
        "central",
        "main",
        "national",
        "federal",
        "provincial",
        "pakistan",
        "pakistani",
        "islam",
        "islamic",
        "mohammad",
        "muhammad",
        "mohammed",
        "ali",
        "khan",
        "shah",
        "gul",
        "malik",
        "sardar",
        "haji",
        "mr",
        "ms",
        "dr",
        "baloch",
        "chinese",
        "airport",
        "garden",
        "ghazi",
        "jinnah",
        "quaid",
        "zuhr",
        "asr",
        "maghrib",
        "isha",
        "fajr",
        "imam",
        "imambargah",
        "lady",
        "reading",
        "civil",
        "combined",
        "military",
        "hall",
        "press",
        "club",
        "red",
        "zone",
    ]
)
FOREIGN = frozenset(normalise(n) for n in ("Afghanistan", "Iran", "India", "Kabul", "Khost", "Kandahar"))
WORD = r"[A-Z][A-Za-z’'\-]*\.?|[A-Z]\.(?:[A-Z]\.)+"
RUN = re.compile(rf"(?:{WORD})(?:\s+(?:{WORD}))*")
DATELINE = re.compile(
    r"(?m)^[ \t]*(?:[A-Z][a-z]+\s+)?([A-Z][A-Z .'’/-]{2,40}?)(?:,[^:\n]{0,40})?\s*(?::|\(|—|–|--|-|,)(?=\s)"
)
# Words around a name that show it is where someone comes from or goes to, not where the attack was.
ELSEWHERE = re.compile(
    r"\b(?:resident|residents|native|natives|hail\w*|belong\w*|son|daughter|hometown|posted|transferred|shifted|"
    r"taken|rushed|moved|brought|referred|travel\w*|en\s+route|way|headed|heading|bound|returning|flown|airlifted)"
    r"\b[^.]{0,30}\b(?:of|from|to|for)\s+(?:the\s+)?$|\b(?:speaking|talking|addressing|briefing|told|said)\b"
    r"[^.]{0,40}\bin\s+(?:the\s+)?$",
    re.I,
)
# A name followed by one of these is part of an institution's or a road's name ("Bolan Medical Complex").
INSTITUTION = re.compile(
    r"[\s-]+(?:Medical|Hospital|University|College|Complex|Mail|Express|Stadium|Press\s+Club|Cantt|Board|"
    r"Institute|Road|Highway|Motorway|Scouts|Rifles|Division|Range|Corps|Chamber|Bar|Gate|Pass\b)",
)
CUES = (
    (re.compile(r"^\s*(?:district|agency|tehsil|division)\b", re.I), 3.0),
    (re.compile(r"\b(?:in|near|at|of|outskirts of|area of|areas of|parts of)\s+(?:the\s+)?$", re.I), 2.0),
)
MAX_WORDS = 4
_POSSESSIVE = re.compile(r"(?:’|')s?$")
_AREA_AFTER = re.compile(
    r"\s+(?:area|village|town|locality|tehsil|bazaar|road|chowk|market|sub-division)\b", re.I
)


@dataclass(frozen=True)
class PlaceMention:
    start: int
    end: int
    name: str
    district: str | None
    district_code: str | None
    province: str | None
    level: str  # "district" | "locality" | "province" | "ambiguous"
    score: float
    confidence: float


@cache
def gazetteer() -> Gazetteer:
    return Gazetteer.bundled()


@cache
def _keys() -> frozenset[str]:
    gz = gazetteer()
    ix = gz.index
    return frozenset(k for table in (ix.exact, ix.tehsil, ix.place) for k in table if k not in STOP)


#: Spellings seen in reports that neither the gazetteer nor its fuzzy tier can reach from running text.
EXTRA_NAMES = {"dikhan": "Dera Ismail Khan", "di khan": "Dera Ismail Khan", "pindi": "Rawalpindi"}


def lookup_name(name: str) -> bool:
    """Whether ``name`` is a place the gazetteer knows (a district, alias, tehsil or GeoNames place)."""
    return _lookup(name) is not None


@lru_cache(maxsize=65536)
def _lookup(name: str) -> str | None:
    """ "name" for a district/alias/tehsil name, "place" for a GeoNames place only, None for neither."""
    key = normalise(name)
    if key in EXTRA_NAMES:
        return "extra"
    if not key or key in STOP or key in FOREIGN or key not in _keys():
        return None
    ix = gazetteer().index
    return "name" if key in ix.exact or key in ix.tehsil else "place"


def mentions(text: str) -> list[PlaceMention]:
    """Every gazetteer name in ``text`` with its resolution and a score for how place-like its context is."""
    gz = gazetteer()
    found: list[PlaceMention] = []
    datelines = [
        m.span(1) for m in DATELINE.finditer(text) if m.group(1).strip() == m.group(1).strip().upper()
    ]
    for run in RUN.finditer(text):
        words = list(re.finditer(r"\S+", run.group()))
        i = 0
        while i < len(words):
            hit = None
            for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                s = run.start() + words[i].start()
                e = run.start() + words[i + n - 1].end()
                name = _POSSESSIVE.sub("", text[s:e]).rstrip(".,’'")
                e = s + len(name)
                tier = _lookup(name)
                if tier:
                    hit = (s, e, name, n, tier)
                    break
            if hit is None:
                i += 1
                continue
            s, e, name, n, tier = hit
            i += n
            match = gz.resolve(EXTRA_NAMES[normalise(name)] if tier == "extra" else name)
            if match is None:
                continue
            if match.method == "ambiguous" and match.candidates:
                units = [gz.units[c] for c in match.candidates]
                districts = [u for u in units if u.level == "district"]
                others = [u for u in units if u.level != "district"]
                if len(districts) == 1 and all(o.code == districts[0].province_code for o in others):
                    d = districts[0]
                    match = type(match)(d.code, d.name, d.province_code, None, 0.6, "alias")
            province = PROVINCE_NAMES.get(match.province_code or "")
            if match.resolved:
                key = normalise(name)
                level = (
                    "district"
                    if key in {normalise(match.district or "")} or _is_district_name(key)
                    else "locality"
                )
            elif match.method == "province":
                level = "province"
            else:
                level = "ambiguous"
            score = 1.0
            before, after = text[max(0, s - 25) : s], text[e : e + 12]
            for pattern, weight in CUES:
                if pattern.search(after if weight == 3.0 else before):
                    score += weight
            if tier == "place" and score < 2.0 and not _AREA_AFTER.match(text, e):
                continue  # a village name with no "in/near/at" before it is more likely a word or a person
            if INSTITUTION.match(text, e) and not _AREA_AFTER.match(text, e):
                continue
            if ELSEWHERE.search(text[max(0, s - 60) : s]):
                score = 0.3
            if any(ds <= s < de for ds, de in datelines):
                # where the report was filed: neutral, unless the report says the attack was "here"
                score = 1.0 + (2.0 if re.search(r"\bhere\b", text[e : e + 400]) else 0.0)
            if level == "locality":
                score += 0.5  # a named locality is more specific than a district named in passing
            found.append(
                PlaceMention(
                    s, e, name, match.district, match.district_code, province, level, score, match.confidence
                )
            )
    return found


@cache
def _district_keys() -> frozenset[str]:
    gz = gazetteer()
    keys = set()
    for unit in gz.districts:
        keys.add(normalise(unit.name))
        keys.update(normalise(a) for a in unit.aliases)
    return frozenset(keys)


def _is_district_name(key: str) -> bool:
    return key in _district_keys()
