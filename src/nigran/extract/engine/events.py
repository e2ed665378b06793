"""The event type of an incident, from the incident taxonomy (:mod:`nigran.incidents.mappings`).

Rules, tried in this order on the incident's own sentences (its first sentence first, then the rest):

1. **hijacking** — "hijack".
2. **suicide_bombing** — "suicide" next to bomber/attack/blast/bombing/attacker, "blew himself up",
   "detonated his vest", an explosives-laden vehicle rammed into a target.
3. **kidnapping** — kidnapped/abducted/taken hostage, when nobody was killed by a bomb or gunfire first.
4. **bombing** — blast, bomb, IED, explosion, explosive device, grenade, landmine, "went off".
5. **security_operation** — an operation, IBO, raid, encounter or "exchange of fire" by the security forces
   (ISPR/CTD statements), unless militants are the ones who attacked, stormed, ambushed or opened fire.
6. **cross_border_attack** — firing or shelling from across the border / from Afghanistan.
7. **targeted_killing** — shot dead, gunned down, "target killing", at most two victims, no attack on a post.
8. **infrastructure_attack** — something set on fire, torched, or blown up (a school, tower, pipeline,
   bridge, track, pylon, machinery) with nobody killed.
9. **armed_assault** — an attack, stormed, opened fire, ambush, firing.
10. **other** — an incident none of the above fits.
"""

from __future__ import annotations

import re

RULES: list[tuple[str, re.Pattern[str]]] = [
    ("hijacking", re.compile(r"\bhijack", re.I)),
    (
        "suicide_bombing",
        re.compile(
            r"\bsuicide[\s-]+(?:bomb|attack|blast|hit|explosion|vest|jacket|squad)|\bblew\s+(?:himself|herself|"
            r"themselves)\s+up|\bblowing\s+himself\s+up|\bdetonated\s+(?:his|her)\s+(?:vest|explosive|suicide)|"
            r"\brammed\s+(?:an?\s+|his\s+)?explosives?[\s-]+(?:laden|packed|filled)|"
            r"\b(?:explosives?|explosive)[\s-]+(?:laden|packed|filled)\s+(?:vehicle|car|truck|pickup)\b[^.]{0,40}"
            r"\brammed|\bsuicide\s+bomber",
            re.I,
        ),
    ),
    (
        "kidnapping",
        re.compile(r"\b(?:kidnap|abduct|taken\s+hostage|took\s+\w+\s+hostage|held\s+hostage)", re.I),
    ),
    (
        "bombing",
        re.compile(
            r"\b(?:blast|bomb|bombing|ied|improvised\s+explosive|explosion|explosive\s+device|grenade|landmine|"
            r"land\s+mine|mine\s+blast|went\s+off|exploded|detonat)",
            re.I,
        ),
    ),
]
SECURITY_OPERATION = re.compile(
    r"\b(?:intelligence[\s-]+based\s+operations?|IBOs?|search\s+operation\s+in\s+which|(?:security|law\s+enforcement|"
    r"ctd|police)\s+(?:forces|personnel|officials|agencies)?\s*(?:conducted|carried\s+out|launched)|operation\b|"
    r"exchange\s+of\s+fire|fire\s+exchange|encounter|gunfight|shoot[\s-]?out|skirmish|hideouts?|raid(?:ed)?|"
    r"sent\s+to\s+hell|neutrali[sz]ed|own\s+troops)",
    re.I,
)
MILITANT_ATTACK = re.compile(
    r"\b(?:militants|terrorists|attackers|gunmen|assailants|insurgents|miscreants|khwarij|khawarij)\s+(?:\w+\s+){0,3}?"
    r"(?:attacked|stormed|ambushed|raided|opened\s+fire|targeted|struck|hit|carried\s+out\s+(?:an|the)\s+attack)|"
    r"\b(?:attack|assault|ambush)\s+on\s+(?:a|an|the)?\s*(?:[\w-]+\s+){0,5}?(?:check\s*-?\s*post|checkpoint|"
    r"police\s+station|convoy|post|camp|vehicle|patrol|station|base|airbase|air\s+base|office|compound|"
    r"headquarters|cantonment)|\b(?:terrorist|militant)\s+attack\s+on\b|\bcame\s+under\s+(?:attack|fire)|"
    r"\b(?:check\s*-?\s*post|checkpoint|post|station|convoy|camp)\s+(?:was\s+)?attacked",
    re.I,
)
CROSS_BORDER = re.compile(
    r"\b(?:from\s+across\s+the\s+border|cross[\s-]+border\s+(?:attacks?|firing|fire|shelling|raids?)|"
    r"from\s+(?:the\s+)?(?:afghan(?:istan)?|indian|iranian)\s+side|(?:by|from)\s+(?:the\s+)?(?:afghan|indian|"
    r"iranian)\s+(?:taliban\s+)?(?:forces|troops|border\s+forces|security\s+forces|army)|(?:afghan|indian|"
    r"iranian)\s+(?:taliban\s+)?(?:forces|troops|border\s+forces|army)\s+(?:\w+\s+)?(?:opened|fired|attacked|"
    r"shelled|targeted)|unprovoked\s+(?:firing|shelling)|ceasefire\s+violations?|along\s+the\s+(?:line\s+of\s+"
    r"control|loc)\b)",
    re.I,
)
FOREIGN_FORCES = (
    (re.compile(r"\bafghan", re.I), "Afghan state forces"),
    (re.compile(r"\bindia|\bline\s+of\s+control|\bloc\b", re.I), "Indian state forces"),
    (re.compile(r"\biran", re.I), "Iranian state forces"),
)
TARGETED = re.compile(
    r"\b(?:shot\s+dead|gunned\s+down|target(?:ed)?\s+killing|shot\s+and\s+killed|assassinat|killed\s+in\s+a\s+targeted)",
    re.I,
)
INFRASTRUCTURE = re.compile(
    r"\b(?:set\s+(?:on\s+)?fire|set\s+ablaze|torched|blew\s+up|blown\s+up|destroyed|damaged)\b[^.]{0,60}?\b"
    r"(?:school|tower|pipeline|bridge|track|pylon|machinery|bulldozer|bulldozers|equipment|vehicles?|"
    r"office|building|transmission|grid|gas|excavator|crane|bullzoder)|\b(?:school|tower|pipeline|bridge|"
    r"track|pylon|machinery|bulldozer|bullzoder)s?\b[^.]{0,40}?\b(?:set\s+(?:on\s+)?fire|torched|blown\s+up|"
    r"set\s+ablaze)",
    re.I,
)
ASSAULT = re.compile(
    r"\b(?:attack|attacked|attacks|stormed|opened\s+fire|ambush|ambushed|firing|fired|gunmen|assault|shot|"
    r"shooting|gunfire|assailants|attackers)\b",
    re.I,
)
NOT_A_BOMBING = re.compile(r"\bbomb\s+disposal|\bbds\b|\bdefused\b|\brecovered\b", re.I)
POST_ATTACK = re.compile(r"\b(?:check\s*-?\s*post|checkpoint|police\s+station|camp|convoy|base)\b", re.I)


def _sentence_type(sentence: str, victims: int | None, lead: bool) -> str | None:
    """The type one sentence shows, by the cascade of the module's rules, or None when it shows none."""
    if RULES[0][1].search(sentence):
        return "hijacking"
    if CROSS_BORDER.search(sentence):
        return "cross_border_attack"
    if RULES[1][1].search(sentence):
        return "suicide_bombing"
    if lead and RULES[2][1].search(sentence):
        return "kidnapping"
    if RULES[3][1].search(sentence) and not NOT_A_BOMBING.search(sentence):
        return "bombing"
    if MILITANT_ATTACK.search(sentence):
        if TARGETED.search(sentence) and (victims or 0) <= 3 and not POST_ATTACK.search(sentence):
            return "targeted_killing"
        return "armed_assault"
    if SECURITY_OPERATION.search(sentence):
        return "security_operation"
    if TARGETED.search(sentence) and (victims or 0) <= 3:
        return "targeted_killing"
    if INFRASTRUCTURE.search(sentence) and not victims:
        return "infrastructure_attack"
    if ASSAULT.search(sentence):
        return "attack"  # an attack of no stated kind: armed_assault unless the next sentences say more
    return None


def classify(sentences: list[str], victims: int | None, militants: int | None) -> tuple[str, int, float]:
    """(event type, index of the sentence that decided it, confidence): the first sentence of the incident
    that shows a type decides it (the lead is where reports say what happened; a bomb disposal squad or a
    kidnapping recalled further down does not change a gunfight into a bombing)."""
    for i, sentence in enumerate(sentences):
        found = _sentence_type(sentence, victims, lead=i < 2)
        # "martyred in a shootout": who started it is said in the next sentences, if anywhere
        if (
            found == "security_operation"
            and not FORCES_STARTED.search(sentence)
            and any(MILITANT_ATTACK.search(s) for s in sentences[i + 1 : i + 4])
        ):
            found = "armed_assault"
        if found:
            return _refine(found, sentences, victims), i, 0.85 if i == 0 else (0.7 if i < 3 else 0.55)
    if victims or militants:
        return "armed_assault", 0, 0.4
    return "other", 0, 0.3


FORCES_STARTED = re.compile(
    r"\b(?:operations?|IBOs?|raid\w*|conducted|launched|hideouts?|sent\s+to\s+hell|neutrali[sz]ed|own\s+troops|"
    r"security\s+forces\s+(?:killed|gunned)|cordon)",
    re.I,
)
STRONG_BOMB = re.compile(
    r"\b(?:ied|improvised\s+explosive|remote[\s-]+control\w*|roadside\s+bomb|landmine|land\s+mine|planted)",
    re.I,
)
FOREIGN_STATE_FIRE = re.compile(
    r"\b(?:afghan|indian|iranian)\s+(?:taliban\s+)?(?:forces|troops|army|border\s+(?:forces|guards))\b", re.I
)
HEDGED_SUICIDE = re.compile(
    r"\b(?:suspect\w*|whether|if|possib\w*|not\s+(?:yet\s+)?(?:clear|known|confirmed)|yet\s+to\s+be\s+determined)"
    r"\b[^.]{0,40}$",
    re.I,
)


def _refine(found: str, sentences: list[str], victims: int | None) -> str:
    """Later sentences refine what the lead said: a blast that a later sentence calls a suicide attack is a
    suicide bombing (unless only suspected); an attack the next sentences say was made with an IED or a
    planted, remote-controlled or roadside bomb is a bombing; an attack on a train later called a hijacking
    is a hijacking; an attack by a neighbour's state forces is cross-border; a blast or an attack that
    destroyed a school, a tower or machinery and killed nobody is an infrastructure attack."""
    if found in ("bombing", "attack"):
        for sentence in sentences if found == "bombing" else sentences[:3]:
            m = RULES[1][1].search(sentence)
            if m and not HEDGED_SUICIDE.search(sentence[: m.start()]):
                return "suicide_bombing"
    if found == "attack":
        found = "armed_assault"
    if found == "armed_assault":
        if any(STRONG_BOMB.search(s) and not NOT_A_BOMBING.search(s) for s in sentences[:3]):
            return "bombing"
        if any(RULES[0][1].search(s) for s in sentences):
            return "hijacking"
        if any(FOREIGN_STATE_FIRE.search(s) for s in sentences):
            return "cross_border_attack"
    if (
        found in ("bombing", "armed_assault")
        and not victims
        and INFRASTRUCTURE.search(" ".join(sentences[:2]))
    ):
        return "infrastructure_attack"
    return found
