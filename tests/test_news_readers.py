"""Reading news reports: text, HTML (trafilatura), RSS/Atom (feedparser), JSONL, folders and named URLs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nigran.core.problems import InvalidInput, Problem
from nigran.news.language import detect_language, set_aside_reason
from nigran.news.readers import Fetched, read_bytes, read_documents, read_url, sniff
from nigran.news.service import content_hash

NEWS = Path(__file__).parent / "fixtures" / "news"


def test_an_html_page_gives_its_main_text_and_metadata_not_its_menus() -> None:
    [doc] = read_bytes("dawn-mastung.html", (NEWS / "dawn-mastung.html").read_bytes())
    assert doc.title == "Five policemen martyred in Mastung check post attack"
    assert doc.published == date(2024, 11, 16)
    assert doc.outlet == "DAWN.COM"
    assert doc.url == "https://www.dawn.com/news/1900001/five-policemen-martyred-in-mastung-check-post-attack"
    assert doc.text.startswith("QUETTA: Five policemen were martyred")  # the headline line is the title's
    assert "Most popular" not in doc.text and "Rupee gains" not in doc.text and "Copyright" not in doc.text
    assert doc.language == "en" and doc.source_kind == "html"


def test_the_tribune_page_reads_its_date_from_the_metadata() -> None:
    [doc] = read_bytes("tribune-bannu.html", (NEWS / "tribune-bannu.html").read_bytes())
    assert (doc.outlet, doc.published) == ("The Express Tribune", date(2024, 3, 5))
    assert doc.text.startswith("BANNU: A soldier was martyred") and "Gold prices" not in doc.text


def test_an_rss_feed_gives_one_document_per_entry_with_the_date_as_written() -> None:
    docs = read_bytes("dawn.rss", (NEWS / "dawn-pakistan.rss").read_bytes())
    assert [d.external_id for d in docs] == ["dawn-1900001", "dawn-1900002", "dawn-1900003"]
    assert [d.published for d in docs] == [date(2024, 11, 16), date(2024, 11, 17), date(2024, 11, 17)]
    assert {d.outlet for d in docs} == {"Dawn - Pakistan"} and {d.source_kind for d in docs} == {"feed"}
    assert docs[1].text.startswith("TURBAT: A roadside bomb") and "<p>" not in docs[1].text
    # the page and the feed's full content are the same report: one hash
    [page] = read_bytes("dawn-mastung.html", (NEWS / "dawn-mastung.html").read_bytes())
    assert content_hash(page.text) == content_hash(docs[0].text)


def test_a_feed_date_keeps_the_outlets_own_day() -> None:
    feed = (
        (NEWS / "dawn-pakistan.rss")
        .read_bytes()
        .replace(b"Sat, 16 Nov 2024 07:45:12 +0500", b"Sat, 16 Nov 2024 01:30:00 +0500")
    )  # 20:30 UTC the day before
    assert read_bytes("x.rss", feed)[0].published == date(2024, 11, 16)


def test_an_atom_feed_and_its_urdu_entry() -> None:
    docs = read_bytes("kp.atom", (NEWS / "tribune-kp.atom").read_bytes())
    assert [d.language for d in docs] == ["en", "ur"]
    assert docs[0].published == date(2024, 3, 5) and docs[1].published == date(2024, 3, 6)
    assert docs[0].url.startswith("https://tribune.com.pk/story/2500002")


def test_jsonl_reports_each_bad_line_with_its_number_and_keeps_the_good_ones() -> None:
    problems: list[Problem] = []
    docs = read_bytes("reports.jsonl", (NEWS / "reports.jsonl").read_bytes(), problems)
    assert [d.external_id for d in docs] == ["j1", "j2", "j6"]
    assert [(p.line, p.file) for p in problems] == [
        (3, "reports.jsonl"),
        (4, "reports.jsonl"),
        (5, "reports.jsonl"),
    ]
    assert "not a JSON object" in problems[0].message
    assert "published" in problems[1].message and "2024-02-30" in problems[1].message
    assert "text" in problems[2].message
    assert docs[0].published == date(2024, 5, 6) and docs[2].published is None  # no date: null, never guessed
    assert docs[0].outlet == "Synthetic Wire" and docs[2].title == "Attack on naval base repulsed"
    with pytest.raises(InvalidInput) as caught:  # without a problems list: the first problem raises
        read_bytes("reports.jsonl", (NEWS / "reports.jsonl").read_bytes())
    assert caught.value.problems[0].line == 3


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'["a list"]', "not a JSON object"),
        (b'{"id": "x", "text": 5}', "text"),
        (b'{"id": true, "text": "Police said."}', "id"),
        (b'{"id": "x", "text": "Police said.", "url": "javascript:alert(1)"}', "url"),
        (b'{"id": "x", "text": "Police said.", "published": "1066-10-14"}', "plausible"),
    ],
)
def test_bad_jsonl_fields_are_named(line: bytes, message: str) -> None:
    problems: list[Problem] = []
    assert read_bytes("x.jsonl", line + b"\n", problems) == []
    assert len(problems) == 1 and problems[0].line == 1 and message in problems[0].message


def test_a_folder_is_read_recursively_and_strays_are_listed() -> None:
    problems: list[Problem] = []
    skipped: list[str] = []
    docs = list(read_documents(NEWS / "folder", problems, skipped))
    assert sorted(Path(d.origin).name for d in docs) == ["editorial-copy.txt", "mardan.txt", "page.htm"]
    assert problems == [] and [Path(s).name for s in skipped] == ["stray.csv"]


def test_unreadable_inputs_are_problems_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "broken.rss").write_bytes(b"<rss><channel><title>Cut off</title><it")
    (tmp_path / "empty.rss").write_bytes(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    )
    (tmp_path / "textless.rss").write_bytes(
        b'<rss version="2.0"><channel><item><title>T</title></item></channel></rss>'
    )
    for name in ("bin.txt", "latin.txt", "empty.html", "missing.txt"):
        problems: list[Problem] = []
        assert list(read_documents(tmp_path / name, problems)) == []
        assert len(problems) == 1 and problems[0].file == str(tmp_path / name), name
    problems = []
    assert list(read_documents(tmp_path / "broken.rss", problems)) == []
    assert problems and "not a readable RSS or Atom feed" in problems[0].message
    problems = []
    assert list(read_documents(tmp_path / "empty.rss", problems)) == [] and problems == []  # nothing new
    assert list(read_documents(tmp_path / "textless.rss", problems)) == []
    assert [p.message for p in problems] == ["entry 1 has no text"]


def test_sniffing_by_content_when_the_suffix_says_nothing() -> None:
    assert sniff("page", b"<!DOCTYPE html><html>") == "html"
    assert sniff("feed", b'<?xml version="1.0"?>\n<rss version="2.0">') == "feed"
    assert sniff("dump", b'{"id": 1}') == "jsonl"
    assert sniff("sheet.csv", b"a,b\n1,2\n") is None


def test_a_named_url_is_fetched_through_the_given_fetch_only() -> None:
    page = (NEWS / "tribune-bannu.html").read_bytes()
    calls: list[str] = []

    def fetch(url: str, etag: str | None, modified: str | None) -> Fetched:
        calls.append(url)
        return Fetched(200, page, "text/html; charset=utf-8", url=url)

    [doc] = read_url("https://tribune.com.pk/story/2500002/x", fetch=fetch)
    assert calls == ["https://tribune.com.pk/story/2500002/x"]
    assert doc.source_kind == "url" and doc.published == date(2024, 3, 5)
    problems: list[Problem] = []
    gone = read_url("https://x.example/", problems, lambda u, e, m: Fetched(404, url=u))
    assert gone == [] and "HTTP 404" in problems[0].message and problems[0].file == "https://x.example/"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "PESHAWAR: Two policemen were martyred when gunmen opened fire on a police mobile, police said.",
            "en",
        ),
        ((NEWS / "urdu-peshawar.txt").read_text(encoding="utf-8"), "ur"),
        ("کابل: د ښار په لویدیځ کې یوه چاودنه وشوه او درې کسان ټپیان شول، پولیسو وویل.", "ps"),
        ("قال مسؤولون إن انفجارا وقع في المدينة صباح اليوم وأصيب ثلاثة أشخاص بجروح.", "ar"),
        ("Der Anschlag ereignete sich am frühen Morgen in der Nähe einer Polizeiwache.", "und"),
        ("Breaking", "und"),
    ],
)
def test_language_by_the_share_of_script_and_english_words(text: str, language: str) -> None:
    assert detect_language(text) == language
    assert (set_aside_reason(language) is None) == (language == "en")
