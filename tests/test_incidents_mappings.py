"""The mapping tables from ACLED, GTD and UCDP categories onto Nigran's taxonomy, and the actor registry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nigran.core.paths import data_path
from nigran.incidents import mappings as mp
from nigran.incidents.actors import norm


def test_every_table_maps_onto_the_taxonomy() -> None:
    targets = set(mp.ACLED.values()) | set(mp.GTD.values()) | set(mp.UCDP.values())
    assert targets <= mp.EVENT_TYPES | {mp.SKIP}
    assert {
        "suicide_bombing",
        "bombing",
        "armed_assault",
        "targeted_killing",
        "kidnapping",
        "hijacking",
        "infrastructure_attack",
        "security_operation",
        "clash",
        "cross_border_attack",
        "other",
    } == mp.EVENT_TYPES


@pytest.mark.parametrize(
    ("event", "sub", "actor", "expected"),
    [
        ("Battles", "Armed clash", "TTP", "clash"),
        ("Explosions/Remote violence", "Suicide bomb", "TTP", "suicide_bombing"),
        ("Explosions/Remote violence", "Remote explosive/landmine/IED", "Unidentified", "bombing"),
        ("Explosions/Remote violence", "Grenade", "Unidentified", "bombing"),
        (
            "Explosions/Remote violence",
            "Air/drone strike",
            "Military Forces of Pakistan (2018-)",
            "security_operation",
        ),
        (
            "Explosions/Remote violence",
            "Air/drone strike",
            "Military Forces of Afghanistan (2021-)",
            "cross_border_attack",
        ),
        (
            "Explosions/Remote violence",
            "Shelling/artillery/missile attack",
            "Military Forces of India (2014-)",
            "cross_border_attack",
        ),
        ("Violence against civilians", "Attack", "Unidentified", "armed_assault"),
        ("Violence against civilians", "Abduction/forced disappearance", "BLA", "kidnapping"),
        ("Battles", "Government regains territory", "Military Forces of Pakistan", "security_operation"),
        ("Protests", "Peaceful protest", "Protesters", mp.SKIP),
        ("Strategic developments", "Arrests", "Police Forces of Pakistan", mp.SKIP),
        ("Strategic developments", "Looting/property destruction", "Rioters", "infrastructure_attack"),
        ("Battles", "Made-up sub type", "X", None),
    ],
)
def test_acled_mapping(event: str, sub: str, actor: str, expected: str | None) -> None:
    assert mp.acled_event_type(event, sub, actor) == expected


@pytest.mark.parametrize(
    ("attack", "suicide", "expected"),
    [
        ("Bombing/Explosion", "0", "bombing"),
        ("Bombing/Explosion", "1", "suicide_bombing"),
        ("Armed Assault", "1", "suicide_bombing"),
        ("Assassination", "0", "targeted_killing"),
        ("Hijacking", "0", "hijacking"),
        ("Hostage Taking (Kidnapping)", "0", "kidnapping"),
        ("Hostage Taking (Barricade Incident)", "0", "kidnapping"),
        ("Facility/Infrastructure Attack", "0", "infrastructure_attack"),
        ("Unarmed Assault", "0", "other"),
        ("Unknown", "0", "other"),
        ("Something new", "0", None),
    ],
)
def test_gtd_mapping(attack: str, suicide: str, expected: str | None) -> None:
    assert mp.gtd_event_type(attack, suicide) == expected


@pytest.mark.parametrize(
    ("violence", "side_a", "side_b", "text", "expected"),
    [
        ("1", "Government of Pakistan", "TTP", "", "clash"),
        ("1", "Government of India", "Government of Pakistan", "shelling", "cross_border_attack"),
        ("1", "Government of United States of America", "al-Qaida", "", "cross_border_attack"),
        ("2", "TTP", "Lashkar-e-Islam", "", "clash"),
        ("3", "TTP", "Civilians", "Suicide attack on a mosque", "suicide_bombing"),
        ("3", "LeJ", "Civilians", "bomb blast in market", "bombing"),
        ("3", "BLA", "Civilians", "gunmen shot dead five labourers", "targeted_killing"),
        ("3", "TTP", "Civilians", "militants kidnapped", "kidnapping"),
        ("3", "TTP", "Civilians", "attack on village", "armed_assault"),
        ("3", "Government of Pakistan", "Civilians", "", "security_operation"),
        ("9", "TTP", "Civilians", "", None),
    ],
)
def test_ucdp_mapping(violence: str, side_a: str, side_b: str, text: str, expected: str | None) -> None:
    assert mp.ucdp_event_type(violence, side_a, side_b, text) == expected


def test_overrides_replace_entries_and_reject_unknown_types(tmp_path: Path) -> None:
    good = tmp_path / "m.yaml"
    good.write_text(
        "acled:\n  'Protests / Peaceful protest': other\ngtd:\n  Unarmed Assault: armed_assault\n"
    )
    tables = mp.merged_tables(mp.load_overrides(good))
    assert mp.acled_event_type("Protests", "Peaceful protest", "x", tables["acled"]) == "other"
    assert mp.gtd_event_type("Unarmed Assault", "0", tables["gtd"]) == "armed_assault"
    bad = tmp_path / "bad.yaml"
    bad.write_text("gtd:\n  Assassination: murder\n")
    with pytest.raises(ValueError, match="unknown event type 'murder'"):
        mp.load_overrides(bad)


def test_actor_registry_has_state_names_and_no_duplicate_aliases() -> None:
    doc = yaml.safe_load(data_path("actors.yaml").read_text(encoding="utf-8"))
    by_code = {a["code"]: a for a in doc["actors"]}
    assert {"Fitna al-Khawarij", "Pakistani Taliban", "Tehreek-e-Taliban Pakistan"} <= set(
        by_code["TTP"]["aliases"]
    )
    assert "Fitna al-Hindustan" in by_code["BLA"]["aliases"]
    assert {"ISKP", "IS-K", "Islamic State Khorasan"} <= set(by_code["ISKP"]["aliases"])
    assert by_code["PAK-SF"]["kind"] == "state"
    for code in ("BLF", "LEJ", "TTP-JUA", "TTP-HGB", "LEI", "BRAS", "SRA", "AQ"):
        assert code in by_code
    seen: dict[str, str] = {}
    for actor in doc["actors"]:
        for alias in {norm(n) for n in [actor["name"], *actor["aliases"]]}:
            assert alias not in seen, f"{alias!r} names both {seen[alias]} and {actor['code']}"
            seen[alias] = actor["code"]
