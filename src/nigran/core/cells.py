"""One rule for every CSV and Excel cell Nigran writes: text that a spreadsheet would run is written as text.

OWASP's CSV-injection guidance: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
may be executed as a formula by Excel, LibreOffice or Google Sheets. Such text is prefixed with a single
quote, which spreadsheets show as the text itself; :func:`unguard` takes the mark off when Nigran reads its
own files back. Numbers are not text and pass unchanged (a negative number stays a number). In xlsx the
cell is also typed as a string, so it can never become a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value to write into a CSV or Excel cell."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in values]


def unguard(value: Any) -> Any:
    """Undo :func:`neutralise` on text read back from a file Nigran wrote."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] in FORMULA_START and value[1:2]:
        return value[1:]
    return value


def set_text_cell(cell: Any, value: Any) -> None:
    """Put ``value`` into an openpyxl cell; text is stored as a string cell, never a formula."""
    value = neutralise(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


class SafeCsvWriter:
    """``csv.writer`` with every cell neutralised."""

    def __init__(self, fh: Any, **kwargs: Any) -> None:
        import csv

        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(neutralise_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: Any, **kwargs: Any) -> SafeCsvWriter:
    return SafeCsvWriter(fh, **kwargs)
