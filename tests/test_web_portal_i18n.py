"""The Urdu catalogue: every interface string of the code is in it, translated, and compiled.

An empty ``msgstr`` would show English in the middle of an Urdu page; a string missing from the catalogue
likewise; a ``.mo`` not compiled from the ``.po`` would serve yesterday's translations.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from nigran.web import i18n

SRC = Path(i18n.__file__).resolve().parents[1]  # src/nigran
PO = i18n.LOCALE_DIR / "ur" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _catalogue():  # type: ignore[no-untyped-def]
    with PO.open("rb") as fh:
        return read_po(fh, locale="ur")


def _ids(message_id: str | tuple[str, ...]) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


def test_every_urdu_message_is_translated() -> None:
    catalogue = _catalogue()
    untranslated, fuzzy = [], []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s.strip() for s in strings):
            untranslated.append(_ids(message.id))
        if message.fuzzy:
            fuzzy.append(_ids(message.id))
    assert untranslated == [], f"{len(untranslated)} empty msgstr in {PO}: {untranslated[:10]}"
    assert fuzzy == [], f"fuzzy translations in {PO}: {fuzzy[:10]}"
    assert len(catalogue) > 100


def test_every_string_of_the_code_is_in_the_catalogue() -> None:
    """Run scripts/i18n-update and translate the new strings when this fails."""
    catalogue = _catalogue()
    known = {_ids(m.id) for m in catalogue if m.id}
    extracted = {
        _ids(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(SRC), METHODS, options_map=OPTIONS, keywords=KEYWORDS
        )
    }
    missing = sorted(extracted - known)
    assert missing == [], f"{len(missing)} strings not in {PO}: {missing[:10]}"


def test_the_compiled_catalogue_matches_the_po() -> None:
    catalogue = _catalogue()
    with PO.with_suffix(".mo").open("rb") as fh:
        compiled = read_mo(fh)
    for message in catalogue:
        if message.id and not message.fuzzy:
            assert compiled.get(message.id) is not None, f"{_ids(message.id)!r} is not compiled"
            got, want = compiled[message.id].string, message.string
            if isinstance(want, tuple):  # plural forms come back from a .mo as a list
                got, want = tuple(got), want
            assert got == want, f"{_ids(message.id)!r} is compiled stale"


def test_urdu_pages_use_the_catalogue() -> None:
    i18n.translations.cache_clear()
    assert i18n.translations("ur").gettext("Security situation") != "Security situation"
    assert i18n.translations("ur").gettext("Methodology") != "Methodology"
