"""The incident extractor: news text in, incident records out, every field with its evidence and confidence.

``extract_document(text, published)`` reads one report; ``extract_many(docs)`` streams many. The rules are
explicit and documented module by module (``docs/extraction.md`` gives the whole picture):
:mod:`.segments` (sentences, incidents, background, documents with no new incident), :mod:`.dates`,
:mod:`.places` (gazetteer), :mod:`.actors` (registry), :mod:`.events` (taxonomy), :mod:`.casualties`
(figures, numbers in words via :mod:`.numbers`) and :mod:`.targets`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from nigran.extract.engine.document import EXTRACTOR, FIELDS, extract_document

__all__ = ["EXTRACTOR", "FIELDS", "extract_document", "extract_many"]


def extract_many(docs: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """``{"id", "incidents"}`` for each ``{"id", "text", "published"}`` (published: a date or ISO text)."""
    for doc in docs:
        published = doc.get("published")
        if isinstance(published, str):
            try:
                published = date.fromisoformat(published[:10])
            except ValueError:
                published = None
        elif not isinstance(published, date):
            published = None
        doc_id = None if doc.get("id") is None else str(doc.get("id"))
        yield {"id": doc_id, "incidents": extract_document(doc.get("text") or "", published, doc_id=doc_id)}
