"""Casualty figures: who was killed, injured or taken, and how many, from the sentences of one incident.

The rules, in the words an analyst would use:

* A **mention** is a number followed by a person noun ("five soldiers", "13 civilians", "a policeman",
  "one of the attackers", "two others"), or a bare number next to a casualty word ("12 killed",
  "injuring two"). The noun says the **role**: security personnel, civilians, people in general, "others",
  militants (attackers, terrorists, suicide bombers, khawarij...).
* Its **outcome** (killed, injured, abducted) is the casualty verb it governs: a passive or intransitive verb
  after it ("were martyred", "sustained injuries", "died", "dead"), or an active verb right before it
  ("killing three", "injured two"). Numbers joined by "and"/"," share the verb ("five soldiers and 13
  civilians were killed" is 18).
* A breakdown ("including four policemen", "among the injured") is not added to the total it breaks down.
* ``victims_killed`` = civilians + security personnel (+ "others"), or the general count ("12 people")
  when that is larger; ``militants_killed`` counts militants; ``injured`` never counts injured militants.
  Across the sentences of an incident each role keeps its largest figure (a figure repeated in the lead and
  the body is one figure); an updated toll ("the toll rose to 23") is a general count and so wins when larger.
* A figure the text does not give stays None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise

from nigran.extract.engine.numbers import NUMBER, find_numbers, value

SECURITY = frozenset(
    [
        "soldier",
        "soldiers",
        "policeman",
        "policemen",
        "cop",
        "cops",
        "constable",
        "constables",
        "personnel",
        "troops",
        "trooper",
        "troopers",
        "jawan",
        "jawans",
        "sepoy",
        "sepoys",
        "guard",
        "guards",
        "officer",
        "officers",
        "official",
        "officials",
        "commando",
        "commandos",
        "levies",
        "levy",
        "levies-man",
        "levies-men",
        "fc",
        "rangers",
        "ranger",
        "naik",
        "sepoy",
        "havildar",
        "subedar",
        "major",
        "captain",
        "lieutenant",
        "colonel",
        "brigadier",
        "sub-inspector",
        "asi",
        "si",
        "inspector",
        "sentry",
        "sentries",
        "policewoman",
        "policewomen",
        "cadets",
        "cadet",
    ]
)
CIVILIAN = frozenset(
    [
        "civilian",
        "civilians",
        "passenger",
        "passengers",
        "child",
        "children",
        "woman",
        "women",
        "man",
        "men",
        "worker",
        "workers",
        "labourer",
        "labourers",
        "laborer",
        "laborers",
        "student",
        "students",
        "worshipper",
        "worshippers",
        "worshiper",
        "worshipers",
        "pilgrim",
        "pilgrims",
        "bystander",
        "bystanders",
        "pedestrian",
        "pedestrians",
        "villager",
        "villagers",
        "resident",
        "residents",
        "tribesman",
        "tribesmen",
        "member",
        "members",
        "relative",
        "relatives",
        "teacher",
        "teachers",
        "doctor",
        "doctors",
        "journalist",
        "journalists",
        "shopkeeper",
        "shopkeepers",
        "driver",
        "drivers",
        "boy",
        "boys",
        "girl",
        "girls",
        "employee",
        "employees",
        "engineer",
        "engineers",
        "nationals",
        "national",
        "citizen",
        "citizens",
        "customer",
        "customers",
        "devotee",
        "devotees",
        "leader",
        "leaders",
        "son",
        "sons",
        "brother",
        "brothers",
        "minor",
        "minors",
        "miners",
        "miner",
        "farmer",
        "farmers",
        "vaccinator",
        "vaccinators",
        "polio-worker",
        "lawyer",
        "lawyers",
        "nurse",
        "nurses",
        "staffers",
        "mourners",
        "mourner",
        "trader",
        "traders",
        "contractor",
        "contractors",
    ]
)
GENERIC = frozenset(["people", "persons", "person", "individuals", "individual", "casualties", "lives"])
OTHERS = frozenset(["others", "other", "more"])
MILITANT = frozenset(
    [
        "militant",
        "militants",
        "terrorist",
        "terrorists",
        "attacker",
        "attackers",
        "insurgent",
        "insurgents",
        "assailant",
        "assailants",
        "gunman",
        "gunmen",
        "khawarij",
        "khwarij",
        "kharji",
        "kharjis",
        "khariji",
        "kharijis",
        "khawarji",
        "bomber",
        "bombers",
        "miscreant",
        "miscreants",
        "extremist",
        "extremists",
        "rebel",
        "rebels",
        "fighters",
        "fighter",
        "dacoit",
        "dacoits",
        "outlaws",
        "outlaw",
    ]
)
HOSTAGE_NOUNS = frozenset(["hostage", "hostages", "captives"])
# Words allowed between the number and its noun ("five FC soldiers", "two innocent civilians").
MODIFIERS = frozenset(
    [
        "security",
        "police",
        "army",
        "fc",
        "frontier",
        "corps",
        "levies",
        "paramilitary",
        "innocent",
        "other",
        "more",
        "of",
        "the",
        "them",
        "foot",
        "civilian",
        "local",
        "suspected",
        "heavily",
        "armed",
        "unidentified",
        "unknown",
        "pakistani",
        "chinese",
        "foreign",
        "afghan",
        "ctd",
        "traffic",
        "elite",
        "bomb",
        "disposal",
        "squad",
        "team",
        "bds",
        "counter-terrorism",
        "anti-terrorism",
        "suicide",
        "would-be",
        "young",
        "female",
        "male",
        "private",
        "senior",
        "junior",
        "naval",
        "navy",
        "air",
        "force",
        "fellow",
        "tribal",
        "polio",
        "mine",
        "coal",
        "hindu",
        "christian",
        "sikh",
        "shia",
        "sunni",
        "hazara",
        "punjabi",
        "baloch",
        "sindhi",
        "pashtun",
        "non-local",
        "non-locals",
        "armed",
        "more",
        "brave",
        "valiant",
        "gallant",
        "on-duty",
        "duty",
        "personnel",
    ]
)
# Added while reading the development set's reports (kept apart so the lists above stay alphabetical-free).
SECURITY = SECURITY | {
    "forces",
    "enforcer",
    "enforcers",
    "law-enforcer",
    "law-enforcers",
    "troop",
    "policewoman",
    "cadet",
}
MODIFIERS = MODIFIERS | {
    "pakistan",
    "federal",
    "law",
    "injured",
    "wounded",
    "critically",
    "seriously",
    "badly",
    "rescue",
    "frontier",
}
FORCE_NAMES = frozenset({"rangers", "levies", "fc", "police", "army", "ctd", "frontier"})
SECURITY_MODIFIERS = frozenset(
    [
        "security",
        "police",
        "army",
        "fc",
        "frontier",
        "corps",
        "levies",
        "paramilitary",
        "ctd",
        "traffic",
        "elite",
    ]
)
KILL = (
    r"(?:found\s+dead|bodies\s+(?:were\s+)?(?:found|recovered))|"
    r"(?:killed|martyred|dead|died|perished|slain|shot\s+dead|gunned\s+down|lost\s+(?:their|his|"
    r"her)\s+lives?|embraced\s+(?:shahadat|martyrdom)|succumbed(?:\s+to\s+(?:their|his|"
    r"her)\s+injuries)?|neutrali[sz]ed|eliminated|sent\s+to\s+hell|laid\s+down\s+(?:their|"
    r"his)\s+lives?)"
)
INJURE = (
    r"(?:sustained\s+(?:\w+\s+)?wounds|received\s+(?:\w+\s+)?wounds|suffered\s+(?:\w+\s+)?wounds)|"
    r"(?:injured|wounded|hurt|sustained\s+(?:\w+\s+)?injuries|received\s+(?:\w+\s+)?injuries|"
    r"suffered\s+(?:\w+\s+)?injuries)"
)
ABDUCT = r"(?:kidnapped|abducted|taken\s+hostage|held\s+hostage|taken\s+captive|whisked\s+away|taken\s+away)"
ACTIVE_KILL = (
    r"(?:(?:dead\s+)?bodies\s+of)|"
    r"(?:killing|killed|kill|martyring|martyred|(?:the\s+)?loss\s+of|(?:claimed|claiming|took|"
    r"taking)\s+the\s+lives?\s+of|shot\s+dead|gunned\s+down|shooting\s+dead|neutrali[sz]ing|"
    r"neutrali[sz]ed|eliminating|eliminated|slaughtered|beheaded)"
)
ACTIVE_INJURE = r"(?:injuring|injured|wounding|wounded|hurting|hurt)"
ACTIVE_ABDUCT = r"(?:kidnapping|kidnapped|abducting|abducted|took|taking|seized|seizing)"
AUX = (
    r"(?:[“\"‘']\s*)?(?:(?:were|was|are|is|have|has|had|been|being|got|reportedly|also|all|later|allegedly|"
    r"critically|seriously|severely|badly|grievously|mortally|fatally|slightly|each|both|reported|"
    r"said\s+to\s+be)\s+(?:[“\"‘']\s*)?)*"
)
HEDGE = (
    r"(?:(?:at\s+least|atleast|as\s+many\s+as|more\s+than|over|nearly|almost|around|about|some|"
    r"up\s+to|another|all|only|least|approximately)\s+)?"
)

_POST_KILL = re.compile(rf"^\s*(?:,\s*)?{AUX}(?:{KILL})\b", re.I)
_POST_INJURE = re.compile(rf"^\s*(?:,\s*)?{AUX}(?:{INJURE})\b", re.I)
# An active verb with an object right after it: the mention before it is the subject, not the victim.
_ACTIVE_AFTER = re.compile(
    r"^\s*(?:also\s+|reportedly\s+)?(?:killed|injured|wounded|martyred|abducted|kidnapped|shot)\s+"
    r"(?:at\s+least\s+|as\s+many\s+as\s+)?(?:\d|a\b|an\b|one\b|two\b|three\b|four\b|five\b|six\b|seven\b|"
    r"eight\b|nine\b|ten\b|several\b|many\b|dozens\b|scores\b|the\b|his\b|their\b|[A-Z])",
)
_POST_ABDUCT = re.compile(rf"^\s*(?:,\s*)?{AUX}(?:{ABDUCT})\b", re.I)
_PRE_KILL = re.compile(rf"\b{ACTIVE_KILL}\s+{HEDGE}$", re.I)
_PRE_INJURE = re.compile(rf"\b{ACTIVE_INJURE}\s+{HEDGE}$", re.I)
_PRE_ABDUCT = re.compile(rf"\b{ACTIVE_ABDUCT}\s+{HEDGE}$", re.I)
_BREAKDOWN = re.compile(
    r"\b(?:including|included|among\s+them|among\s+whom|of\s+whom|comprising|among\s+the\s+(?:dead|deceased|"
    r"injured|wounded|victims|martyrs|martyred))\s+(?:were\s+|are\s+)?(?:the\s+)?(?:at\s+least\s+)?$",
    re.I,
)
_LATE_VERB = re.compile(
    rf"^(?:[^.;:]{{0,80}}?\b(?:were|was|have\s+been|had\s+been)\s+(?:also\s+)?|\s*,[^,.;]{{1,60}},\s*{AUX}|\s*,?\s*(?:including|among\s+them)\b"
    rf"[^.;:]{{0,240}}?\s{AUX})(?P<verb>{KILL}|{INJURE})\b",
    re.I,
)
_AMONG_AFTER = re.compile(r"^\s*(?:were|was|are|is)\s+(?:also\s+)?among\b", re.I)
_BARE_AFTER = re.compile(rf"\s*(?:,|\.|;|\band\b|\bwhile\b|$|{AUX}(?:{KILL}|{INJURE})\b)", re.I)
_MONTH_BEFORE = re.compile(
    r"\b(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\.?\s+$",
    re.I,
)
_DATE_BEFORE = re.compile(
    r"\b(?:in|of|on|since|by|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|"
    r"june|july|august|september|october|november|december)\.?\s+$",
    re.I,
)
_TOLL = re.compile(
    rf"\b(?:death\s+toll|toll|number\s+of\s+(?:the\s+)?(?:dead|deaths|martyrs|fatalities|those\s+killed))\s+"
    rf"(?:[\w’'()-]+,?\s+){{0,25}}?(?:rose|risen|climbed|jumped|reached|mounted|increased|gone\s+up|went\s+up|rises|climbs|"
    rf"reaches|stood|stands|is|was|has\s+risen|had\s+risen)\s+(?:to\s+)?{HEDGE}(?P<num>{NUMBER})",
    re.I,
)
_INJURED_TOLL = re.compile(
    rf"\b(?:toll\s+of\s+(?:the\s+)?(?:injured|wounded)\s+(?:\w+\s+){{0,3}}?(?=to\b|at\b)|(?:number\s+of\s+(?:the\s+)?(?:injured|wounded)|toll\s+of\s+(?:the\s+)?(?:injured|wounded))\s+(?:\w+\s+){{0,3}}?(?:rose|risen|climbed|reached|"
    rf"stood|is|was))\s*(?:to\s+|at\s+)?{HEDGE}(?P<num>{NUMBER})",
    re.I,
)
_NOT_PEOPLE_AFTER = re.compile(
    r"^[\s-]*(?:years?|year-old|km|kilomet|hours?|days?|am|pm|per|%|rupees|rs)\b", re.I
)
_CONJ = re.compile(r"^\s*(?:\([^)]{0,40}\)\s*)?(?:,|and|as\s+well\s+as|,\s*and|plus)\s*", re.I)
SUICIDE_BOMBER_DIED = re.compile(
    r"\b(?:suicide\s+(?:bomber|attacker)s?\b[^.]{0,80}?\b(?:blew\s+(?:himself|themselves)\s+up|detonated|"
    r"exploded|was\s+killed|were\s+killed|died|rammed)|blew\s+(?:himself|themselves)\s+up|blowing\s+himself\s+up|"
    r"detonated\s+his\s+(?:vest|explosive|suicide))",
    re.I,
)


@dataclass
class Mention:
    start: int
    end: int
    count: int
    role: str  # security | civilian | generic | others | militant | hostage
    outcome: str | None = None  # killed | injured | abducted
    breakdown: bool = False
    via: str = ""  # how the outcome was found: post | pre | chain


@dataclass
class Figures:
    """Per-role maxima over the sentences of one incident, with the span of the mention behind each."""

    killed: dict[str, tuple[int, tuple[int, int]]] = field(default_factory=dict)
    injured: dict[str, tuple[int, tuple[int, int]]] = field(default_factory=dict)
    abducted: dict[str, tuple[int, tuple[int, int]]] = field(default_factory=dict)
    bomber_died: tuple[int, int] | None = None


def _role(noun: str, mods: str) -> str | None:
    n = noun.casefold()
    words = set(mods.casefold().replace("-", " ").split())
    if words & {"afghan", "indian", "iranian"} and n in SECURITY:
        return "foreign"  # the other side's soldiers in a border clash are no victims of this incident
    if n in MILITANT or (n in ("bomber", "bombers")):
        return "militant"
    if n in HOSTAGE_NOUNS:
        return "hostage"
    if n in SECURITY:
        return "security"
    if n in ("men", "man", "persons", "people", "individuals") and words & {
        "armed",
        "unidentified",
        "unknown",
        "masked",
    }:
        return "militant"  # "unidentified armed men" are the attackers
    if n in CIVILIAN:
        return (
            "security"
            if words & SECURITY_MODIFIERS and n in ("men", "man", "members", "member")
            else "civilian"
        )
    if n in GENERIC:
        return "security" if words & SECURITY_MODIFIERS else "generic"
    if n in OTHERS:
        return "militant" if words & {"militants", "terrorists"} else "others"
    if n in ("police", "fc", "levies", "rangers", "army") and not mods.strip():
        return None
    return None


# "SHO Karampur, Ali Hassan, was killed", "The constable was martyred": one person of that rank or trade.
_SINGLE = re.compile(
    rf"(?P<head>\b(?:the\s+)?(?P<noun>SHO|DSP|ASP|ASI|sub-inspector|inspector|constable|policeman|soldier|sepoy|"
    rf"havaldar|naik|cop|guard|driver|shopkeeper|teacher|journalist|lawyer|trader|attacker|assailant|bomber|"
    rf"gunman|militant|terrorist))\b(?:\s+[A-Z][\w.’'-]*){{0,4}}"
    rf"(?:\s*,\s*[^,.;]{{1,40}},|\s+(?!was\b|were\b)[a-z][\w’'-]*(?:\s+(?!was\b)[a-z][\w’'-]*){{0,5}})?\s+(?:was|has\s+been|had\s+been)\s+(?:also\s+)?(?P<verb>{KILL}|{INJURE})\b"
)
# "shot dead Abdul Salam, a police constable": one person, whose trade or rank says the role (never the name)
_NAMED_VICTIM = re.compile(
    r"\b(?P<verb>shot\s+and\s+killed|shot\s+dead|gunned\s+down|killed|murdered|martyred|injured|wounded)\s+"
    r"(?P<name>(?:[A-Z][\w.’'-]*\s+){0,3}[A-Z][\w.’'-]*)\s*,\s*(?:a|an|the)\s+(?P<what>(?:[\w-]+\s+){0,4}?)"
    r"(?P<noun>[a-z][\w-]*)\b"
)
_AS_MANY = re.compile(
    rf"\bas\s+many\s+(?:others?|more)\s+(?:were\s+|have\s+been\s+)?(?P<verb>{KILL}|{INJURE})\b", re.I
)
_WORD_AFTER = re.compile(r"[\s-]*([A-Za-z][\w’']*(?:-[A-Za-z]+)*)")


def sentence_mentions(sentence: str, offset: int = 0) -> list[Mention]:
    """The casualty mentions of one sentence, each with its role and outcome (or None when it has none)."""
    if not CASUALTY_WORDS.search(sentence):
        return []
    return [replace(m, start=m.start + offset, end=m.end + offset) for m in _sentence_mentions(sentence)]


@lru_cache(maxsize=4096)
def _sentence_mentions(sentence: str) -> tuple[Mention, ...]:
    offset = 0
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    bare: list[tuple[int, int, int]] = []
    numbers = find_numbers(sentence)
    lower: dict[int, tuple[int, int]] = {}
    for (s1, e1, v1, a1), (s2, _, v2, _) in pairwise(numbers):
        if not a1 and re.fullmatch(r"\s+(?:or|to)\s+|\s*-\s*", sentence[e1:s2]):
            lower[s2] = (min(v1, v2), s1)  # "nine or 10 people", "8-10 assailants": the lower figure
            lower[s1] = (-1, s1)
    for start, stop, count, article in numbers:
        if lower.get(start, (0, 0))[0] == -1 or _MONTH_BEFORE.search(sentence, max(0, start - 12), start):
            continue
        if start in lower:
            count, start = lower[start]
        if any(s <= start < e for s, e in taken) or count > 5000:
            continue
        if _NOT_PEOPLE_AFTER.match(sentence[stop:]):
            continue
        if 1900 <= count <= 2100 and "," not in sentence[start:stop]:
            continue  # a year ("in 2019 militants…"), not a count
        pos, mods, role, end = stop, [], None, None
        for _ in range(8):
            w = _WORD_AFTER.match(sentence, pos)
            if not w:
                break
            word = w.group(1)
            role = _role(word, " ".join(mods))
            if role is not None:
                end = w.end()
                follow = _WORD_AFTER.match(sentence, end)
                if (
                    follow
                    and word.casefold() in FORCE_NAMES
                    and _role(follow.group(1), "") not in (None, "others", "hostage")
                ):
                    role, end = _role(follow.group(1), word) or role, follow.end()  # "a Rangers troop"
                break
            if word.casefold() not in MODIFIERS and not (
                mods[-2:] in (["of", "the"], ["of", "them"]) and (word.isdigit() or value(word) is not None)
            ):
                if word[0].isupper() and len(mods) < 6 and word.casefold() not in MILITANT:
                    mods.append(word)  # "a Frontier Reserve Police constable": a unit's name before the noun
                    pos = w.end()
                    continue
                if word[0].islower() and (
                    _POST_KILL.match(sentence[w.end() :]) or _POST_INJURE.match(sentence[w.end() :])
                ):
                    role, end = (
                        "civilian",
                        w.end(),
                    )  # "four tribal elders were killed", "one shepherd was killed"
                break  # "one of the two children": the count is one
            mods.append(word)
            pos = w.end()
        if role is None and mods and mods[-1].casefold() in ("more", "other"):
            role, end = "others", pos
        if role is None or end is None:
            if not article:
                bare.append((start, stop, count))
            continue
        mention = Mention(offset + start, offset + end, count, role)
        lowered = {m.casefold() for m in mods}
        if lowered & {"injured", "wounded"}:
            mention.outcome, mention.via = (
                "injured",
                "adjective",
            )  # "an injured person", "two wounded soldiers"
        found.append(mention)
        taken.append((start, end))
    for m in _SINGLE.finditer(sentence):
        if any(s <= m.start() < e or m.start() <= s < m.end() for s, e in taken):
            continue
        role = _role(m.group("noun"), "") or "security"
        outcome = "killed" if re.fullmatch(KILL, m.group("verb"), re.I) else "injured"
        found.append(
            Mention(
                offset + m.start(), offset + m.start() + len(m.group("head")), 1, role, outcome, via="post"
            )
        )
        taken.append((m.start(), m.end()))
    for start, stop, count in bare:
        if any(s <= start < e for s, e in taken):
            continue
        if not _BARE_AFTER.match(sentence, stop):
            continue
        before = sentence[max(0, start - 40) : start]
        after = sentence[stop:]
        # a bare number is a casualty figure only next to a casualty word
        if not (
            _PRE_KILL.search(before) or _PRE_INJURE.search(before) or _PRE_ABDUCT.search(before)
        ) and not (_POST_KILL.match(after) or _POST_INJURE.match(after)):
            continue
        if _DATE_BEFORE.search(before) or re.match(r"^\s*(?:per|%)", after):
            continue
        if re.search(r"[A-Z][\w’'-]*,\s*$", before) and re.match(r"^\s*,", after):
            continue  # "Khalid Shaikh, 30, was shot dead": an age
        found.append(Mention(offset + start, offset + stop, count, "generic"))
    for m in _NAMED_VICTIM.finditer(sentence):
        if any(s <= m.start("name") < e for s, e in taken):
            continue
        kind = _role(m.group("noun"), m.group("what")) or "civilian"
        if kind in ("militant", "hostage", "foreign"):
            continue
        verb = "injured" if re.match(INJURE, m.group("verb"), re.I) else "killed"
        found.append(
            Mention(m.start("name"), m.end(), 1, kind if kind != "generic" else "civilian", verb, via="pre")
        )
        taken.append((m.start("name"), m.end()))
    for m in _AS_MANY.finditer(sentence):
        earlier = [x for x in found if x.end <= m.start()]
        if earlier:
            verb = "injured" if re.search(INJURE, m.group("verb"), re.I) else "killed"
            found.append(Mention(m.start(), m.end(), earlier[-1].count, "others", verb, via="post"))
    found.sort(key=lambda x: x.start)
    for prev, cur in pairwise(found):
        if cur.role == "others" and prev.role == "militant":
            cur.role = "militant"  # "six attackers killed and ten others injured": the others are attackers
    _outcomes(sentence, offset, found)
    return tuple(found)


def _outcomes(sentence: str, offset: int, found: list[Mention]) -> None:
    for mention in found:
        s, e = mention.start - offset, mention.end - offset
        if _BREAKDOWN.search(sentence[max(0, s - 60) : s]) or _AMONG_AFTER.match(sentence[e:]):
            mention.breakdown = True
    for prev, cur in pairwise(found):
        if prev.breakdown and _CONJ.fullmatch(sentence[prev.end - offset : cur.start - offset]):
            cur.breakdown = True  # "including a woman and a minor girl": the whole list is the breakdown
    for i, mention in enumerate(found):
        if mention.outcome is not None:
            continue
        s, e = mention.start - offset, mention.end - offset
        before = sentence[max(0, s - 60) : s]
        after = sentence[e:]
        if _ACTIVE_AFTER.match(after):
            pass  # "militants killed four soldiers": the verb is theirs, its object is counted instead
        elif _POST_KILL.match(after):
            mention.outcome, mention.via = "killed", "post"
        elif _POST_INJURE.match(after):
            mention.outcome, mention.via = "injured", "post"
        elif _POST_ABDUCT.match(after):
            mention.outcome, mention.via = "abducted", "post"
        elif _PRE_KILL.search(before):
            mention.outcome, mention.via = "killed", "pre"
        elif _PRE_INJURE.search(before):
            mention.outcome, mention.via = "injured", "pre"
        elif _PRE_ABDUCT.search(before) and mention.role in ("civilian", "security", "generic", "hostage"):
            mention.outcome, mention.via = "abducted", "pre"
        elif mention.role == "hostage":
            mention.outcome, mention.via = "abducted", "noun"
        else:
            late = _LATE_VERB.match(after)
            later = [x for x in found[i + 1 :] if not x.breakdown or mention.breakdown]
            nxt = later[0].start - offset if later else len(sentence)
            if late and e + late.end() <= nxt:
                mention.outcome = "killed" if re.fullmatch(KILL, late.group("verb"), re.I) else "injured"
                mention.via = "post"
    # Chains: "five soldiers and 13 civilians were killed", "killed two soldiers and three civilians".
    for i in range(len(found) - 2, -1, -1):
        a, b = found[i], found[i + 1]
        joined = _CONJ.fullmatch(sentence[a.end - offset : b.start - offset])
        if a.outcome is None and b.outcome is not None and b.via == "post" and joined:
            a.outcome, a.via = b.outcome, "chain"
            a.breakdown = a.breakdown or b.breakdown
    for i in range(1, len(found)):
        a, b = found[i - 1], found[i]
        joined = _CONJ.fullmatch(sentence[a.end - offset : b.start - offset])
        if b.outcome is None and a.outcome is not None and a.via in ("pre", "chain") and joined:
            b.outcome, b.via = a.outcome, "chain"


def tolls(sentence: str, offset: int = 0) -> list[Mention]:
    out: list[Mention] = []
    if "toll" not in sentence and "number" not in sentence:
        return out
    for m in _TOLL.finditer(sentence):
        count = value(m.group("num"))
        if count is not None:
            out.append(Mention(offset + m.start(), offset + m.end(), count, "generic", "killed", via="toll"))
    for m in _INJURED_TOLL.finditer(sentence):
        count = value(m.group("num"))
        if count is not None:
            out.append(Mention(offset + m.start(), offset + m.end(), count, "generic", "injured", via="toll"))
    return out


# A sentence without any of these word stems has no casualty figure: skipped before the costlier rules.
CASUALTY_WORDS = re.compile(
    r"kill|martyr|dead|died|death|injur|wound|hurt|kidnap|abduct|hostage|captive|toll|lives|life|perish|slain|"
    r"neutrali|eliminat|succumb|hell|gunned|shot|taken\s+away|blew|detonat|rammed|shahadat|embraced|casualt|hurt",
    re.I,
)


#: Across sentences, a role keeps its largest death figure (tolls rise as the wounded die and bodies are
#: found; a later, larger figure is the more complete one) but its first injured figure (the report's own
#: count; a hospital's or a minister's later figure counts other people, e.g. everyone brought in). An
#: updated toll ("the number of injured rose to 40") always wins when larger.
FIRST_FIGURE_WINS = frozenset({"injured"})


def collect(text: str, spans: list[tuple[int, int]]) -> Figures:
    """Figures over the sentences ``spans`` of one incident (see the module's rules)."""
    figures = Figures()
    for start, end in spans:
        sentence = text[start:end]
        if not CASUALTY_WORDS.search(sentence):
            continue
        mentions = sentence_mentions(sentence, start) + tolls(sentence, start)
        per: dict[tuple[str, str], list[Mention]] = {}
        for mention in mentions:
            if mention.outcome is None:
                continue
            role = mention.role if not mention.breakdown else "breakdown:" + mention.role
            per.setdefault((mention.outcome, role), []).append(mention)
        for (outcome, role), items in per.items():
            # distinct groups add up ("five soldiers and 13 civilians"); general counts in one sentence are
            # the same people said twice ("the toll that earlier killed 44 people has climbed to 54")
            total = max(x.count for x in items) if role == "generic" else sum(x.count for x in items)
            span = (min(x.start for x in items), max(x.end for x in items))
            target = {"killed": figures.killed, "injured": figures.injured, "abducted": figures.abducted}[
                outcome
            ]
            is_toll = any(x.via == "toll" for x in items)
            keep_first = outcome in FIRST_FIGURE_WINS and not is_toll
            if keep_first and target and role not in target:
                continue  # the first sentence with an injured figure gave the count; later ones break it down
            if role not in target or (target[role][0] < total and not keep_first):
                target[role] = (total, span)
        if figures.bomber_died is None:
            m = SUICIDE_BOMBER_DIED.search(sentence)
            if m:
                figures.bomber_died = (start + m.start(), start + m.end())
    return figures


NO_CASUALTIES = re.compile(
    r"\ball\b[^.]{0,50}\bremained\s+(?:unharmed|safe|unhurt)|\bremained\s+unhurt|"
    r"\bno\s+(?:casualties|casualty|loss\s+of\s+(?:life|lives))\b|\b(?:no\s+one|nobody|no-one|none)\s+(?:was|were)\s+"
    r"(?:hurt|injured|harmed|killed|wounded)\b|\bescaped\s+unhurt\b",
    re.I,
)


def _victims(table: dict[str, tuple[int, tuple[int, int]]]) -> tuple[int | None, tuple[int, int] | None]:
    parts = [table[r] for r in ("security", "civilian", "others") if r in table]
    summed = sum(p[0] for p in parts) if parts else None
    generic = table.get("generic")
    breakdown = [table[r] for r in table if r.startswith("breakdown:") and r != "breakdown:militant"]
    best: tuple[int, tuple[int, int]] | None = None
    if parts:
        best = (summed, (min(p[1][0] for p in parts), max(p[1][1] for p in parts)))  # type: ignore[assignment]
    if generic and (best is None or generic[0] > best[0]):
        best = generic
    if best is None and breakdown:
        total = sum(b[0] for b in breakdown)
        best = (total, (min(b[1][0] for b in breakdown), max(b[1][1] for b in breakdown)))
    return (best[0], best[1]) if best else (None, None)


def figures_of(
    text: str, spans: list[tuple[int, int]]
) -> dict[str, tuple[int | None, tuple[int, int] | None]]:
    """``victims_killed``, ``militants_killed``, ``injured``, ``hostages``: (value, evidence span)."""
    f = collect(text, spans)
    victims = _victims(f.killed)
    militants = f.killed.get("militant")
    if militants is None and f.killed.get("breakdown:militant"):
        militants = f.killed["breakdown:militant"]
    militants_out: tuple[int | None, tuple[int, int] | None] = militants if militants else (None, None)
    if f.bomber_died is not None and militants_out[0] is None:
        militants_out = (1, f.bomber_died)
    injured_table = {k: v for k, v in f.injured.items() if "militant" not in k}
    injured = _victims(injured_table)
    hostages_table = {k: v for k, v in f.abducted.items() if "militant" not in k}
    hostage_parts = [v for k, v in hostages_table.items() if not k.startswith("breakdown")]
    if hostage_parts:
        hostages = (
            max(
                sum(v[0] for k, v in hostages_table.items() if k in ("security", "civilian", "others")) or 0,
                max(v[0] for v in hostage_parts),
            ),
            hostage_parts[0][1],
        )
    else:
        hostages = (None, None)
    if victims[0] is None and injured[0] is None:
        for start, end in spans:
            m = NO_CASUALTIES.search(text, start, end)
            if m:  # "No casualties were reported": a figure, zero, not an unknown
                victims = injured = (0, (m.start(), m.end()))
                break
    return {
        "victims_killed": victims,
        "militants_killed": militants_out,
        "injured": injured,
        "hostages": hostages,
    }
