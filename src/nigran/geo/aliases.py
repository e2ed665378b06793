"""Nigran's own alias table: names found in incident data that the bundled unit list does not carry.

Kept apart from ``admin_units.yaml`` because these are matching rules, not facts about a unit: names of
units that no longer exist (the Frontier Regions and FATA, merged into Khyber Pakhtunkhwa in 2018), valley
and locality names common in reporting, and the province-level readings of names that are also districts
("Khyber"). Each maps a name to one or more unit codes; several codes make the name ambiguous on purpose.
"""

from __future__ import annotations

# name -> unit codes (districts or provinces). Former names are matched with a slightly lower confidence.
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    # Province-level shorthands that collide with district names: "Khyber" alone may mean either.
    "Khyber": ("PK-KP",),
    "Pakhtunkhwa": ("PK-KP",),
    "Sarhad": ("PK-KP",),
    "Islamabad": ("PK-IS",),
    "Federal Capital Territory": ("PK-IS",),
    "Azad Jammu Kashmir": ("PK-JK",),
    "Pakistan-administered Kashmir": ("PK-JK",),
    "Gilgit-Baltistan region": ("PK-GB",),
    # Localities and valleys often given instead of the district.
    "Tirah": ("PK-KP-KHB",),
    "Tirah Valley": ("PK-KP-KHB",),
    "Bara": ("PK-KP-KHB",),
    "Jamrud": ("PK-KP-KHB",),
    "Landi Kotal": ("PK-KP-KHB",),
    "Swat Valley": ("PK-KP-SWT",),
    "Neelam": ("PK-JK-NLM",),
    "Neelam Valley": ("PK-JK-NLM",),
    "Kurram Valley": ("PK-KP-KRM",),
    "Mir Ali": ("PK-KP-NWZ",),
    "Datta Khel": ("PK-KP-NWZ",),
    "Razmak": ("PK-KP-NWZ",),
    "Shewa": ("PK-KP-NWZ",),
    "Spinwam": ("PK-KP-NWZ",),
    "Darra Adam Khel": ("PK-KP-KHT",),
    "Sui": ("PK-BA-DBG",),
    "Dera Murad Jamali": ("PK-BA-NSB",),
    "Pasni": ("PK-BA-GWD",),
    "Ormara": ("PK-BA-GWD",),
    "Jiwani": ("PK-BA-GWD",),
    "Mach": ("PK-BA-KCI",),
    "Lyari": ("PK-SD-KHS",),
    "Orangi": ("PK-SD-KWS",),
    "Orangi Town": ("PK-SD-KWS",),
    "Sohrab Goth": ("PK-SD-MLR",),
}

# Former names: units that were dissolved or renamed, mapped to their successor districts.
EXTRA_FORMER_NAMES: dict[str, tuple[str, ...]] = {
    # The Frontier Regions became sub-divisions of the adjoining settled districts in 2018.
    "FR Peshawar": ("PK-KP-PSH",),
    "Frontier Region Peshawar": ("PK-KP-PSH",),
    "FR Kohat": ("PK-KP-KHT",),
    "Frontier Region Kohat": ("PK-KP-KHT",),
    "FR Bannu": ("PK-KP-BNU",),
    "Frontier Region Bannu": ("PK-KP-BNU",),
    "FR Bannu - Mir Ali": ("PK-KP-BNU",),
    "FR Lakki Marwat": ("PK-KP-LKM",),
    "Frontier Region Lakki Marwat": ("PK-KP-LKM",),
    "FR Tank": ("PK-KP-TNK",),
    "FR Tank - Jandola": ("PK-KP-TNK",),
    "Frontier Region Tank": ("PK-KP-TNK",),
    "FR Dera Ismail Khan": ("PK-KP-DIK",),
    "FR D.I. Khan": ("PK-KP-DIK",),
    "Frontier Region Dera Ismail Khan": ("PK-KP-DIK",),
    "South Waziristan": ("PK-KP-USW", "PK-KP-LSW"),
    "Kohistan": ("PK-KP-KPL", "PK-KP-LKH", "PK-KP-UKH"),
    "Hunza-Nagar": ("PK-GB-HNZ", "PK-GB-NGR"),
    "Nawabshah": ("PK-SD-SBA",),
    "Karachi": ("PK-SD-KHC", "PK-SD-KHE", "PK-SD-KHS", "PK-SD-KWS", "PK-SD-KOR", "PK-SD-MLR", "PK-SD-KMR"),
}

# Province names as written by datasets, beyond those in admin_units.yaml. FATA and PATA are Khyber
# Pakhtunkhwa since the 25th Amendment (2018), so historic records land where the districts now are.
EXTRA_PROVINCE_NAMES: dict[str, str] = {
    "FATA": "PK-KP",
    "Federally Administered Tribal Areas": "PK-KP",
    "Tribal Areas": "PK-KP",
    "Tribal Belt": "PK-KP",
    "PATA": "PK-KP",
    "Provincially Administered Tribal Areas": "PK-KP",
    "Khyber": "PK-KP",
    "Sarhad": "PK-KP",
    "Islamabad": "PK-IS",
    "Federal Capital": "PK-IS",
    "Azad Jammu Kashmir": "PK-JK",
    "Kashmir": "PK-JK",
    "Gilgit": "PK-GB",
}

# pk-address-checker writes provinces like this; keys are its spellings.
ADDRESS_CHECKER_PROVINCES: dict[str, str] = {
    "Azad Kashmir": "PK-JK",
    "Balochistan": "PK-BA",
    "Gilgit-Baltistan": "PK-GB",
    "Islamabad Capital Territory": "PK-IS",
    "Khyber Pakhtunkhwa": "PK-KP",
    "Punjab": "PK-PB",
    "Sindh": "PK-SD",
}

# Places across the border that incident data names (cross-border attacks, militants' bases). A name here is
# never matched fuzzily to a Pakistani one ("Kabul" is not "Kabal" in Swat); an exact Pakistani namesake
# (the town of Khost in Harnai) still resolves.
FOREIGN_NAMES: tuple[str, ...] = (
    "Afghanistan", "Kabul", "Kandahar", "Jalalabad", "Nangarhar", "Kunar", "Khost", "Paktika", "Paktia",
    "Zabul", "Helmand", "Herat", "Nuristan", "Laghman", "Logar", "Ghazni", "Nimroz", "Badakhshan", "Wakhan",
    "Spin Boldak", "Iran", "Tehran", "Zahedan", "Sistan", "India", "Delhi", "New Delhi", "Srinagar", "Jammu",
    "Ladakh", "Amritsar", "Mumbai", "Kashgar", "Xinjiang",
)  # fmt: skip
