"""Splitting a report into sentences, and sentences into incidents; telling reports of new incidents from
everything else.

* **Sentences** end at ". ! ?" followed by a capital, a quote or a digit, and at line breaks; the usual
  abbreviations ("Mr.", "No.", "D.I. Khan", "Jan.") do not end one.
* **Background** sentences speak of another, earlier event: "days/weeks after", "last month", "earlier this
  year", "in 2023", "since 2022", "previously", an explicit date more than a week before publication. They
  never make or feed an incident.
* **A new incident** starts at a sentence that opens with "In a separate incident", "In another
  attack", "Separately", "Elsewhere", "Meanwhile", "In a similar incident", "Later in the day", "The attack
  came hours after", at a short heading line, and runs to the next such start. A segment is an incident when
  one of its sentences reports violence (an attack word with a casualty figure or an attack verb).
* **Not a report of a new incident** (the document gives ``[]``): its lead (first two sentences) is about a
  court case, a statistical round-up ("18 attacks in August", "monthly report"), a condemnation, a policy,
  committee or parliament matter, an inquiry, arrests, a funeral or compensation, or an opinion; or no
  sentence of it reports violence at all.
"""

from __future__ import annotations

import re
from datetime import date

from nigran.extract.engine.dates import EXPLICIT, MONTHS

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’']?\s+(?=[\"“‘'A-Z0-9(])|\n\s*\n|\n(?=[A-Z\"“])|(?<=■)\s*")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|No|Nos|St|Gen|Lt|Col|Maj|Capt|Brig|Sgt|Insp|Supt|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|"
    r"Oct|Nov|Dec|vs|etc|Govt|Dept|approx|i\.e|e\.g|Pvt|Ltd|Co|Hon|Rs|U\.S|U\.K)\.|\b[A-Z]\.)$"
)
NEW_INCIDENT = re.compile(
    r"^\W*(?:in\s+(?:a|another)\s+(?:separate|similar|different|related|second|third|later|earlier)?\s*"
    r"(?:incident|attack|development|blast|operation|engagement|case|ibo)|separately|elsewhere|meanwhile|"
    r"later\s+in\s+the\s+day|later\s+on|also\s+on\s+\w+day|on\s+the\s+other\s+hand|in\s+yet\s+another|"
    r"the\s+(?:attack|incident|blast)\s+came\s+(?:just\s+)?hours\s+after|hours\s+(?:earlier|later)|"
    r"another\s+(?:\w+\s+){0,2}(?:policeman|constable|soldier|man|person|cop|official|civilian)\s+(?:was\s+)?"
    r"(?:martyred|killed|shot|injured|wounded))",
    re.I,
)
BACKGROUND = re.compile(
    r"\b(?:days|weeks|months|years|a\s+week|a\s+month|a\s+year|a\s+day)\s+(?:after|before|since|ago|earlier)\b|"
    r"\b(?:last|past|previous)\s+(?:week|month|year|few\s+(?:days|weeks|months|years))\b|"
    r"\bearlier\s+(?:this|in\s+the|last)\s+(?:week|month|year)\b|\b(?:in|since|during|of)\s+(?:19|20)\d\d\b|"
    r"\bpreviously\b|\bin\s+the\s+past\b|\bhave\s+seen\b|\bhas\s+seen\b|\bhas\s+witnessed\b|\bsurge\s+in\b|"
    r"\b\d[\d,]*\s+(?:terrorist\s+|militant\s+|terror\s+|violent\s+|such\s+)?(?:incidents|attacks)\b|"
    r"\b(?:may\s+be\s+)?recalled\b|\bit\s+may\s+be\s+(?:noted|mentioned)\b|\banniversary\b|"
    r"\b(?:series|string|spate|chain)\s+of\b|\bfollows\b|\bresurgence\b|\bspate\b|\bwave\s+of\b|\bthis\s+year\s+alone\b|\bso\s+far\s+this\s+year\b|"
    r"\b(?:was|were)\s+also\s+attacked\b|\bin\s+(?:january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\b(?!\s+\d{1,2}\b)",
    re.I,
)
_MONTHISH = re.compile(r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.I)
EXPLICIT_NEW = re.compile(
    r"^\W*(?:in\s+(?:a|another)\s+(?:separate|similar|different|second|third)?\s*(?:incident|attack|blast|"
    r"operation|engagement|ibo)|separately|elsewhere|later\s+in\s+the\s+day|also\s+on\s+\w+day|in\s+yet\s+another|"
    r"another\s+(?:\w+\s+){0,2}(?:policeman|constable|soldier|man|person|cop|official|civilian))",
    re.I,
)
EARLIER = re.compile(r"^\W*(?:earlier|previously|last\s+(?:week|month|year))\b", re.I)
VIOLENCE = re.compile(
    r"\b(?:attack\w*|storm\w*|opened\s+fire|ambush\w*|blast\w*|bomb\w*|explo\w*|ied|grenade\w*|kill\w*|"
    r"martyr\w*|dead|died|injur\w*|wound\w*|kidnap\w*|abduct\w*|hostage\w*|hijack\w*|shot|gunned|gunmen|"
    r"operation\w*|exchange\s+of\s+fire|fire\s+exchange|clash\w*|encounter\w*|set\s+(?:on\s+)?fire|torch\w*|"
    r"neutrali[sz]\w*|perish\w*|toll|casualt\w*|gunfight\w*|skirmish\w*|blew|detonat\w*|shell\w*|mortar\w*|"
    r"firing|hurt)\b",
    re.I,
)
# What a lead is about when it is not the report of an incident.
NOT_INCIDENT = [
    (
        "court",
        re.compile(
            r"\b(?:judge|bench|verdict|acquitted|convicted|sentenced|indicted|hearing|bail|petition|"
            r"trial|prosecution|hanged|death\s+(?:penalty|sentence)|court\s+(?:has\s+)?(?:ordered|"
            r"handed|sentenced|granted|dismissed|adjourned|issued|summoned|given|gave|rejected|"
            r"acquitted|convicted|awarded|reserved))\b",
            re.I,
        ),
    ),
    (
        "statistics",
        re.compile(
            r"\b(?:monthly\s+report|annual\s+report|think[\s-]+tank|report\s+(?:said|revealed|"
            r"released|issued)|statistics|data\s+(?:compiled|released|shows?)|PICSS|PIPS|CRSS|"
            r"per\s*cent|percent|\d+\s*%|deadliest\s+year|yearly|annual|\b\d[\d,]*\s+(?:\w+\s+){0,2}"
            r"(?:attacks|incidents|fatalities)\b|number\s+of\s+(?:militant\s+|terrorist\s+)?attacks|"
            r"during\s+the\s+month\s+of|(?:\d+|\w+)\s+(?:militant\s+|terrorist\s+|terror\s+)?"
            r"(?:attacks|incidents)\s+(?:were\s+)?(?:recorded|reported|in\s+(?:the\s+)?(?:month|"
            r"january|february|march|april|may|june|july|august|september|october|november|"
            r"december|\d{4})))",
            re.I,
        ),
    ),
    (
        "condemnation",
        re.compile(
            r"\b(?:condemn(?:s|ed|ing)?|denounced|strongly\s+deplored|expressed\s+(?:grief|"
            r"sorrow|condolences))\b",
            re.I,
        ),
    ),
    (
        "policy",
        re.compile(
            r"\b(?:committee|cabinet|national\s+assembly|senate|parliament|apex|policy|bill|"
            r"legislation|meeting\s+(?:chaired|held)|chaired|summit|talks|dialogue|budget|"
            r"national\s+action\s+plan|suspends?|suspended|press\s+conference|briefing)\b",
            re.I,
        ),
    ),
    (
        "commemoration",
        re.compile(
            r"\b(?:homage|anniversary|commemorat\w*|memorial|tribute|remembered|"
            r"mourn\w*|vigil|ceremony|cheques?|financial\s+assistance)\b",
            re.I,
        ),
    ),
    (
        "followup",
        re.compile(
            r"^\W*(?:following|after|in\s+the\s+wake\s+of|in\s+the\s+aftermath\s+of|"
            r"(?:a\s+)?(?:day|days|week)s?\s+after)\b[^,]{0,200},",
            re.I,
        ),
    ),
    (
        "inquiry",
        re.compile(
            r"\b(?:inquiry|probe|jit|investigators?|arrested|apprehended|apprehension|revealed|"
            r"report\s+(?:submitted|stated|said|found)|registered\s+a\s+case|case\s+(?:has\s+been|was)\s+"
            r"registered|fir\b|"
            r"funeral|laid\s+to\s+rest|compensation|visited|recovered\s+from|rounded\s+up|"
            r"handed\s+over)\b",
            re.I,
        ),
    ),
    (
        "opinion",
        re.compile(
            r"\b(?:we\s+must|we\s+need|our\s+(?:nation|country|leaders)|editorial|op-ed|"
            r"in\s+my\s+view|i\s+believe|column|over\s+the\s+(?:last|past)\s+(?:decade|years)|"
            r"for\s+a\s+while|in\s+recent\s+(?:years|months)|ha(?:ve|s)\s+been\s+(?:increasing|rising|"
            r"on\s+the\s+rise)|the\s+credit\s+goes)\b",
            re.I,
        ),
    ),
]


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of ``text``, without surrounding white space."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        abbreviation = m.start() > start and _ABBREV.search(text[max(start, m.start() - 8) : m.start()])
        if abbreviation and "\n" not in text[m.start() : m.end()]:
            continue
        _add(text, spans, start, m.start())
        start = m.end()
    _add(text, spans, start, len(text))
    return spans


def _add(text: str, spans: list[tuple[int, int]], start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        s = start + piece.index(stripped[0])
        spans.append((s, s + len(stripped)))


def is_heading(text: str, span: tuple[int, int]) -> bool:
    piece = text[span[0] : span[1]]
    return (
        len(piece) < 70
        and not piece.rstrip().endswith((".", "!", "?", "”", '"', ":"))
        and "\n" in text[span[1] : span[1] + 2]
    )


def is_background(sentence: str, published: date | None) -> bool:
    if BACKGROUND.search(sentence):
        # "on Monday ... days after" still reports the new event when it carries the casualty figures first
        return True
    if published and _MONTHISH.search(sentence):
        for m in EXPLICIT.finditer(sentence):
            month = MONTHS[(m.group("m") or m.group("m2")).casefold().rstrip(".")]
            try:
                day = int(m.group("d") or m.group("d2"))
                year = int(m.group("y") or m.group("y2") or published.year)
                when = date(year, month, day)
            except ValueError:
                continue
            if when > published:
                when = date(year - 1, month, day) if not (m.group("y") or m.group("y2")) else when
            if (published - when).days > 7:
                return True
    return False


def lead_kind(text: str, spans: list[tuple[int, int]]) -> str | None:
    """What the lead is about when it is not an incident report: court, statistics, ... (None: a report).

    Every kind is looked for in the first sentence of the lead; statistics, opinion and commemoration also in
    the second, when the first gives no casualty figure of its own (a round-up often opens with a trend)."""
    lead = [text[s:e] for s, e in spans[:4] if len(text[s:e]) > 40][:2]
    if not lead:
        return None
    first = lead[0]
    kind = _kind(first)
    if kind:
        return kind
    if len(lead) > 1 and not FIGURE.search(first):
        second = _kind(lead[1])
        if second in ("statistics", "opinion", "commemoration"):
            return second
    return None


FIGURE = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a|an)\s+(?:\w+\s+){0,2}?(?:were|was)\s+"
    r"(?:killed|martyred|injured|wounded)",
    re.I,
)


VIOLENT_NEWS = re.compile(r"\b(?:killed|martyred|injured|wounded|blast|attack(?:ed)?)\b", re.I)
FRESH_KILLING = re.compile(
    r"\b(?:killing|killed|martyring|martyred)\s+(?:\w+\s+){0,3}?(?:\d+|two|three|four|five|six|seven|eight|nine|ten|a|"
    r"an)\b[^.]{0,60}\b(?:yesterday|last\s+night|(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday))\b",
    re.I,
)
FOLLOW_UP_OF = re.compile(
    r"\b(?:arrested|apprehended|apprehension|funeral|compensation|inquiry|probe|registered|revealed|report)\b"
    r".{0,80}\b(?:killed|attack|blast)",
    re.I,
)


def _kind(sentence: str) -> str | None:
    for kind, pattern in NOT_INCIDENT:
        if not pattern.search(sentence):
            continue
        if kind == "inquiry" and VIOLENT_NEWS.search(sentence) and not FOLLOW_UP_OF.search(sentence):
            continue
        if kind == "inquiry" and FRESH_KILLING.search(sentence):
            continue  # "a case against gunmen who killed two policemen on Wednesday night": that is news
        if kind == "policy" and re.search(r"\b(?:killed|martyred|injured|wounded)\b", sentence, re.I):
            continue
        if kind == "statistics" and not re.search(
            r"\b(?:attacks|incidents|report|statistics|data|think[\s-]+tank|PICSS|PIPS|CRSS|fatalities|"
            r"deadliest\s+year)\b",
            sentence,
            re.I,
        ):
            continue
        return kind
    return None


def segment(text: str, spans: list[tuple[int, int]]) -> list[list[int]]:
    """Groups of sentence indexes, one group per candidate incident, in reading order."""
    groups: list[list[int]] = [[]]
    for i, span in enumerate(spans):
        sentence = text[span[0] : span[1]]
        started = any(VIOLENCE.search(text[spans[j][0] : spans[j][1]]) for j in groups[-1])
        heading = (
            i > 0
            and is_heading(text, spans[i - 1])
            and VIOLENCE.search(text[spans[i - 1][0] : spans[i - 1][1]])
        )
        if started and (NEW_INCIDENT.search(sentence) or heading):
            groups.append([])
        groups[-1].append(i)
    return [g for g in groups if g]
