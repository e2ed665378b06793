"""One report in, its incidents out (the top-level rules; each field's own rules live in its module)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from nigran.extract.engine import actors, casualties, dates, events, places, segments, targets
from nigran.extract.fields import FIELDS

EXTRACTOR = "rules-1"
SECURITY_FORCES = "Pakistani security forces"
STRONG = re.compile(
    r"\b(?:attacked|stormed|opened\s+fire|ambushed|exploded|went\s+off|ripped\s+through|killed|martyred|injured|"
    r"killing|injuring|wounding|blew\s+(?:\w+\s+)?up|detonated|"
    r"wounded|abducted|kidnapped|hijacked|shot\s+dead|gunned\s+down|set\s+(?:on\s+)?fire|torched|blew\s+up|"
    r"embraced\s+(?:martyrdom|shahadat)|came\s+under\s+(?:attack|fire)|exchange\s+of\s+fire|fire\s+exchange|"
    r"death\s+toll|hit|targeted|rocked|struck|lost\s+(?:their|his)\s+lives?)\b",
    re.I,
)
DAY_WORDS = re.compile(r"day\b|yesterday|night|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.I)
ATTACK_WORDS = re.compile(
    r"\b(?:attacked|stormed|opened\s+fire|exploded|went\s+off|abducted|kidnapped|set\s+(?:on\s+)?fire|torched|"
    r"blew\s+up|came\s+under|ambushed|shot\s+dead|gunned\s+down|shot\s+and\s+killed|hurled|detonated|"
    r"(?:bomb|blast|explosion|ied|grenade)\s+(?:\w+\s+){0,3}?(?:killed|injured|wounded|hit|ripped|exploded))\b",
    re.I,
)
STATEMENT_DAY = re.compile(
    r"\b(?:said|told|reported|announced|stated|added|confirmed|statement|release|briefing)\b[^.]{0,20}$", re.I
)


def extract_document(text: str, published: date | None, *, doc_id: str | None = None) -> list[dict[str, Any]]:
    """The new incidents a report describes (``[]`` for anything else); see ``docs/extraction.md``."""
    if not text or not text.strip():
        return []
    # caches that live for one document only (a sentence is read by several rules), so that throughput is
    # measured honestly on repeated texts and memory stays flat on a long run
    casualties._sentence_mentions.cache_clear()
    actors._all_matches.cache_clear()
    spans = segments.sentences(text)
    if not spans:
        return []
    # Lines before the first sentence that reports violence are a byline, a dateline or a date stamp; a deck
    # of summary lines ("• 28 others hurt as convoy ambushed") before the dateline is skipped too
    dateline = next(
        (
            m
            for m in places.DATELINE.finditer(text, 0, 1500)
            if m.group(1).isupper() and any(map(places.lookup_name, re.split(r"\s*/\s*", m.group(1).strip())))
        ),
        None,
    )
    if (
        dateline
        and dateline.start() > 0
        and ("•" in text[: dateline.start()] or "\n" in text[: dateline.start()])
    ):
        spans = [sp for sp in spans if sp[0] >= dateline.start()] or spans
    first = next((i for i, (s, e) in enumerate(spans) if segments.VIOLENCE.search(text[s:e])), None)
    if first is None:
        return []
    lead_start = spans[first][0]
    if segments.lead_kind(text, spans) or segments.lead_kind(text, spans[first:]):
        return []
    spans = spans[first:]
    background = [segments.is_background(text[s:e], published) for s, e in spans]
    groups = segments.segment(text, spans)
    mentions = places.mentions(text)
    mentions = [m for m in mentions if m.start >= lead_start or m.score <= 0.3]
    groups = _split_by_place(text, spans, groups, mentions, background)
    incidents: list[dict[str, Any]] = []
    for n, group in enumerate(groups):
        own = [
            i
            for i in group
            if not background[i] and not segments.EARLIER.search(text[spans[i][0] : spans[i][1]])
        ]
        if n == 0:
            own = [i for i in own]
        own_spans = [spans[i] for i in own]
        if not own_spans:
            continue
        when = _date_of(text, own_spans, published)
        if when.value is not None and when.span is not None:
            own_spans = [
                own_spans[0],
                *(sp for sp in own_spans[1:] if not _other_day(text, sp, published, when.value)),
            ]
        sentences = [text[s:e] for s, e in own_spans]
        figures = casualties.figures_of(text, own_spans)
        has_figures = any(v[0] is not None for v in figures.values())
        strong = [i for i, s in enumerate(sentences) if STRONG.search(s)]
        if not strong and not has_figures:
            continue
        # A part that only a heading, "Meanwhile" or another district set apart must tell an attack of its own
        # ("two dead bodies were brought to the hospital" continues the account); "In a separate incident"
        # and a later part with figures of its own and an attack word are new incidents.
        explicit = n > 0 and segments.EXPLICIT_NEW.search(sentences[0])
        attack_words = ATTACK_WORDS.search(" ".join(sentences))
        if n > 0 and not attack_words and not (explicit and has_figures):
            continue
        incident = _incident(text, published, own_spans, sentences, figures, mentions, first=(n == 0))
        if incident["evidence"]["date"] is None and incidents and incidents[-1]["date"] is not None:
            # "in a separate incident on the same day": the date of the incident before it
            incident["date"] = incidents[-1]["date"]
            incident["evidence"]["date"] = incidents[-1]["evidence"]["date"]
            incident["confidence"]["date"] = round(incidents[-1]["confidence"]["date"] * 0.7, 3)
        incidents.append(incident)
    # one report, one incident per place and type: merge same-district same-type duplicates kept apart above
    incidents = _dedupe(incidents)
    if len(incidents) == 1:
        _claim_anywhere(text, spans, incidents[0])
    return incidents


def _claim_anywhere(text: str, spans: list[tuple[int, int]], incident: dict[str, Any]) -> None:
    """A report of one incident often gives the claim apart from the account (after a heading, in a closing
    paragraph that also recalls older events): any sentence of the report that claims, or denies a claim of,
    "the attack" counts when the incident's own sentences said nothing of a claim."""
    if incident["claimed"] is not None or incident["event_type"] in (
        "security_operation",
        "cross_border_attack",
    ):
        return
    for span in spans:
        claimed, claim_span = actors.claim_status(text, [span])
        if claimed is None or claim_span is None:
            continue
        if claimed:
            named = [a for a in actors.find_actors(text, [span]) if a.in_claim]
            if not named:
                continue
            if incident["perpetrator"] not in ("unknown", named[0].name):
                continue
            incident["perpetrator"] = named[0].name
            incident["evidence"]["perpetrator"] = [named[0].start, named[0].end]
            incident["confidence"]["perpetrator"] = 0.7
        incident["claimed"] = claimed
        incident["evidence"]["claimed"] = list(claim_span)
        incident["confidence"]["claimed"] = 0.7
        return


def _incident(
    text: str,
    published: date | None,
    own_spans: list[tuple[int, int]],
    sentences: list[str],
    figures: dict[str, tuple[int | None, tuple[int, int] | None]],
    mentions: list[places.PlaceMention],
    *,
    first: bool,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    evidence: dict[str, list[int] | None] = {}
    confidence: dict[str, float] = {}

    found = _date_of(text, own_spans, published)
    values["date"] = found.value.isoformat() if found.value else None
    evidence["date"] = list(found.span) if found.span else None
    confidence["date"] = found.confidence

    # place: the best mention inside the incident's sentences, else (first incident) the whole lead
    inside = [m for m in mentions if any(s <= m.start < e for s, e in own_spans)]
    if not inside and first:
        inside = [m for m in mentions if m.start < (own_spans[0][1] if own_spans else 0) + 400]
    district = _best_district(inside)
    province_m = None
    if district is None:
        province_m = max(
            (m for m in inside if m.province is not None), key=lambda m: (m.score, -m.start), default=None
        )
    values["district"] = district.district if district else None
    values["province"] = district.province if district else (province_m.province if province_m else None)
    evidence["district"] = [district.start, district.end] if district else None
    evidence["province"] = (
        evidence["district"] if district else ([province_m.start, province_m.end] if province_m else None)
    )
    confidence["district"] = (
        round(min(1.0, 0.5 + 0.1 * district.score) * district.confidence, 3) if district else 0.0
    )
    confidence["province"] = confidence["district"] if district else (0.6 if province_m else 0.0)
    locality = max(
        (
            m
            for m in inside
            if m.level == "locality" and (district is None or m.district == district.district)
        ),
        key=lambda m: (m.score, -m.start),
        default=None,
    )
    values["place"] = locality.name if locality else None
    evidence["place"] = [locality.start, locality.end] if locality else None
    confidence["place"] = 0.6 if locality else 0.0

    victims = figures["victims_killed"][0]
    militants = figures["militants_killed"][0]
    event_type, _, event_conf = events.classify(sentences, victims, militants)
    values["event_type"] = event_type
    trigger = _first(sentences, own_spans, events.ASSAULT) if event_type != "other" else None
    evidence["event_type"] = list(trigger) if trigger else None
    confidence["event_type"] = event_conf

    claimed, claim_span = actors.claim_status(text, own_spans)
    named = actors.find_actors(text, own_spans)
    if event_type == "cross_border_attack":
        joined = " ".join(sentences)
        who = next((name for pattern, name in events.FOREIGN_FORCES if pattern.search(joined)), None)
        values["perpetrator"], evidence["perpetrator"], confidence["perpetrator"] = (
            who or "unknown",
            None,
            0.6,
        )
        claimed, claim_span = None, None
    elif event_type == "security_operation":
        values["perpetrator"], evidence["perpetrator"], confidence["perpetrator"] = SECURITY_FORCES, None, 0.7
        claimed, claim_span = None, None
    else:
        chosen = next((a for a in named if a.in_claim), None) if claimed else None
        chosen = chosen or (named[0] if named and claimed is not False else None)
        if chosen is None and claimed:
            claimed = None  # a claim by nobody we know: say nothing rather than "claimed by unknown"
        values["perpetrator"] = chosen.name if chosen else "unknown"
        evidence["perpetrator"] = [chosen.start, chosen.end] if chosen else None
        confidence["perpetrator"] = 0.8 if chosen and chosen.in_claim else (0.6 if chosen else 0.5)
    values["claimed"] = claimed
    evidence["claimed"] = list(claim_span) if claim_span else None
    confidence["claimed"] = 0.8 if claim_span else 0.5

    for key in ("victims_killed", "militants_killed", "injured", "hostages"):
        count, span = figures[key]
        values[key] = count
        evidence[key] = list(span) if span else None
        confidence[key] = 0.8 if count is not None else 0.6

    target, target_span = targets.find_target(text, own_spans, event_type)
    values["target"] = target
    evidence["target"] = list(target_span) if target_span else None
    confidence["target"] = 0.5 if target else 0.0

    incident = {key: values[key] for key in FIELDS}
    incident["evidence"] = {key: evidence.get(key) for key in FIELDS}
    incident["confidence"] = {key: round(float(confidence.get(key, 0.0)), 3) for key in FIELDS}
    return incident


def _split_by_place(
    text: str,
    spans: list[tuple[int, int]],
    groups: list[list[int]],
    mentions: list[places.PlaceMention],
    background: list[bool],
) -> list[list[int]]:
    """A sentence that reports its own casualties, with an attack verb, in another district named with "in",
    "near" or "district" starts a new incident even without "in a separate incident"."""

    def district_of(i: int, strong_only: bool) -> set[str]:
        s, e = spans[i]
        return {
            m.district for m in mentions
            if s <= m.start < e and m.district and (m.score >= 3.0 or not strong_only)
        }  # fmt: skip

    def has_figures(i: int) -> bool:
        s, e = spans[i]
        return any(m.outcome for m in casualties.sentence_mentions(text[s:e], s))

    if len(groups) == 1 and len(groups[0]) == 1:
        return groups

    out: list[list[int]] = []
    for group in groups:
        current: list[int] = []
        current_places: set[str] = set()
        for i in group:
            if current and not background[i] and current_places and has_figures(i):
                here = district_of(i, True)
                elsewhere = here and not here & current_places
                if (
                    elsewhere
                    and STRONG.search(text[spans[i][0] : spans[i][1]])
                    and any(map(has_figures, current))
                ):
                    out.append(current)
                    current, current_places = [], set()
            current.append(i)
            if len(current) <= 2:
                current_places |= {
                    m.district for m in mentions
                    if spans[i][0] <= m.start < spans[i][1] and m.district and m.score > 1.0
                } or district_of(i, False)  # fmt: skip
        out.append(current)
    return out


def _date_of(text: str, own_spans: list[tuple[int, int]], published: date | None) -> dates.DateFind:
    """The incident date; a weekday that only says when a statement was made ("the ISPR said on
    Thursday") is not the incident's."""
    date_spans = []
    for s, e in own_spans:
        sentence = text[s:e]
        cut = None
        for m in dates.WEEKDAY.finditer(sentence):
            if STATEMENT_DAY.search(sentence[: m.start()][-40:]):
                cut = m.start()
                break
        date_spans.append((s, s + cut) if cut is not None else (s, e))
    return dates.find_date(text, date_spans, published)


def _other_day(text: str, span: tuple[int, int], published: date | None, day: date) -> bool:
    """A later sentence dated to an earlier day than the incident tells of another event ("On Wednesday,
    four soldiers were martyred in Chitral" in a report of Saturday's clash)."""
    if not DAY_WORDS.search(text[span[0] : span[1]]):
        return False
    own = _date_of(text, [span], published)
    return own.span is not None and own.value is not None and own.value < day - timedelta(days=1)


def _best_district(inside: list[places.PlaceMention]) -> places.PlaceMention | None:
    """The district with the highest summed score of its mentions (a province named in the same sentences
    adds to its districts); its best mention is returned."""
    totals: dict[str, float] = {}
    lead_end = min((m.start for m in inside), default=0) + 300
    for m in inside:
        if m.district is not None:
            totals[m.district] = totals.get(m.district, 0.0) + m.score * (2.0 if m.start < lead_end else 1.0)
    if not totals:
        return None
    for m in inside:
        if m.level == "province":
            for m2 in inside:
                if m2.district is not None and m2.province == m.province:
                    totals[m2.district] += 0.5
    best = max(totals, key=lambda d: (totals[d], -min(m.start for m in inside if m.district == d)))
    return max((m for m in inside if m.district == best), key=lambda m: (m.score, -m.start))


def _first(
    sentences: list[str], spans: list[tuple[int, int]], pattern: re.Pattern[str]
) -> tuple[int, int] | None:
    for sentence, (s, _) in zip(sentences, spans, strict=True):
        m = pattern.search(sentence)
        if m:
            return s + m.start(), s + m.end()
    return None


def _dedupe(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for inc in incidents:
        twin = next(
            (
                o
                for o in out
                if o["event_type"] == inc["event_type"]
                and (o["district"] == inc["district"] or inc["district"] is None)
                and (o["date"] == inc["date"] or inc["date"] is None)
                and not any(
                    inc[k] is not None and o[k] is not None and inc[k] != o[k] for k in casualties_keys()
                )
            ),
            None,
        )
        if twin is None:
            out.append(inc)
            continue
        for key in casualties_keys():
            if twin[key] is None and inc[key] is not None:
                twin[key] = inc[key]
                twin["evidence"][key] = inc["evidence"][key]
                twin["confidence"][key] = inc["confidence"][key]
    return out


def casualties_keys() -> tuple[str, ...]:
    return ("victims_killed", "militants_killed", "injured", "hostages")
