"""``nigran extract run`` (the extractor on files) and ``nigran extract evaluate`` (its measured accuracy).

Neither touches the database: ``run`` reads reports from files and writes JSONL, ``evaluate`` scores the
extractor (or a predictions file) against annotated documents. Rules: ``docs/extraction.md``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nigran.cli_support import FORCE_HELP, console, err_console, new_table, pick_format, read_input
from nigran.core import outputs
from nigran.core.jsonout import dumps
from nigran.core.modules import optional_import
from nigran.core.problems import InvalidInput, Problem

#: Languages the rules read; anything else is set aside for a person (never guessed at).
LANGUAGES = frozenset({"en", "und"})
PROGRESS_AFTER = 50  # documents: a smaller input finishes well within a second


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``evaluate`` to ``nigran extract``."""
    app.command("run")(run)
    app.command("evaluate")(evaluate)


def _documents(path: Path) -> list[dict[str, Any]]:
    """Every document of INPUT as ``{"id","text","published","language"}``, or InvalidInput naming every
    bad line; all are read before any is extracted, so a bad line stops the run before anything is written."""
    readers = optional_import("nigran.news.readers")
    if readers is not None:
        problems: list[Problem] = []
        docs = []
        for n, doc in enumerate(readers.read_documents(path, problems), 1):
            doc_id = doc.external_id or (doc.origin or f"{path.name}#{n}")
            docs.append(
                {"id": doc_id, "text": doc.text, "published": doc.published, "language": doc.language}
            )
        if problems:
            raise InvalidInput(problems)
        return docs
    return list(_plain_documents(path))  # pragma: no cover - news readers are part of the package


def _plain_documents(path: Path) -> Iterator[dict[str, Any]]:
    """JSONL, a .txt file or a folder of .txt files, for an installation without the news readers."""
    from datetime import date

    files = sorted(p for p in path.rglob("*.txt") if p.is_file()) if path.is_dir() else [path]
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    for file in files:
        data = read_input(file)
        text = data.decode("utf-8", errors="replace")
        if file.suffix.casefold() in (".jsonl", ".ndjson"):
            for lineno, line in enumerate(text.splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    published = obj.get("published")
                    out.append(
                        {
                            "id": str(obj.get("id") or f"{file.name}:{lineno}"),
                            "text": str(obj["text"]),
                            "published": date.fromisoformat(published[:10]) if published else None,
                            "language": "und",
                        }
                    )
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
                    problems.append(Problem(lineno, f"not a document line: {exc}", str(file)))
        else:
            out.append({"id": file.name, "text": text, "published": None, "language": "und"})
    if problems:
        raise InvalidInput(problems)
    yield from out


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _extract_all(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from nigran.extract.engine import extract_document

    results = []
    with _progress() as progress:
        task = progress.add_task("extracting", total=len(docs), visible=len(docs) >= PROGRESS_AFTER)
        for doc in docs:
            language = doc.get("language") or "und"
            if language not in LANGUAGES:
                results.append(
                    {
                        "id": doc["id"],
                        "incidents": [],
                        "skipped": f"language {language}: left for a person to read",
                    }
                )
            else:
                results.append(
                    {
                        "id": doc["id"],
                        "incidents": extract_document(doc["text"], doc["published"], doc_id=doc["id"]),
                    }
                )
            progress.advance(task)
    return results


def run(
    input: Path = typer.Argument(
        ...,
        help="A JSONL file ({id, text, published, url} a line), a text, HTML or feed file, or a "
        "folder of them",
    ),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="Output format: jsonl"),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file instead of the screen"
    ),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Find the incidents each report describes: one JSON object per document, {"id", "incidents"}, each
    incident with its fields, the evidence (character offsets) and a confidence for every field.

    Example: nigran extract run reports.jsonl --output incidents.jsonl
    """
    pick_format(fmt, output, ("jsonl",), "jsonl")
    if output is not None:
        outputs.check_target(output, force=force)
    docs = _documents(input)
    started = time.perf_counter()
    results = _extract_all(docs)
    elapsed = time.perf_counter() - started
    text = "".join(dumps(r, indent=None) + "\n" for r in results)
    if output is None:
        typer.echo(text, nl=False)
    else:
        outputs.write_text(output, text, force=force)
    found = sum(len(r["incidents"]) for r in results)
    err_console.print(
        f"{len(results)} document(s), {found} incident(s) in {elapsed:.2f} s"
        + (f"; written to {output}" if output else ""),
        highlight=False,
    )


def evaluate(
    gold: Path = typer.Argument(..., help="Annotated documents, JSONL: {id, text, published, incidents}"),
    predictions: Path | None = typer.Option(
        None,
        "--predictions",
        "-p",
        help="Score this JSONL of {id, incidents} instead of running the extractor",
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
    errors: bool = typer.Option(False, "--errors", help="Also list every disagreement (table format)"),
) -> None:
    """Precision, recall and F1 of each field, of incident detection and of document-level detection
    (matching and counting rules in docs/extraction.md).

    Example: nigran extract evaluate benchmarks/extraction/dev.jsonl
    """
    from nigran.extract import evaluate as ev

    fmt = pick_format(fmt, None, ("table", "json"), "table")
    gold_docs = ev.read_jsonl(read_input(gold), str(gold), gold=True)
    if predictions is not None:
        pred_docs = ev.read_jsonl(read_input(predictions), str(predictions), gold=False)
        known = {str(d["id"]) for d in gold_docs}
        unknown = [str(d["id"]) for d in pred_docs if str(d["id"]) not in known]
        if unknown:
            raise InvalidInput(
                [
                    Problem(
                        0, f"{len(unknown)} id(s) not in the gold file, e.g. {unknown[0]!r}", str(predictions)
                    )
                ]
            )
        predicted = {str(d["id"]): d["incidents"] for d in pred_docs}
    else:
        with _progress() as progress:
            task = progress.add_task(
                "extracting", total=len(gold_docs), visible=len(gold_docs) >= PROGRESS_AFTER
            )
            predicted = {}
            for doc in gold_docs:
                predicted.update(ev.predict([doc]))
                progress.advance(task)
    report = ev.score(gold_docs, predicted)
    if fmt == "json":
        typer.echo(dumps(report))
        return
    table = new_table(
        "measure", "P", "R", "F1", "TP", "FP", "FN", "null=null",
        numeric=("P", "R", "F1", "TP", "FP", "FN", "null=null"),
        title=f"{report['documents_scored']} documents"
        + (f", predictions {predictions.name}" if predictions else ""),
    )  # fmt: skip
    for row in ev.table_rows(report):
        table.add_row(*row)
    console.print(table)
    if errors:
        for e in report["errors"]:
            console.print(
                f"{e['id']}  {e['field']}: gold {e['gold']!r}, predicted {e['predicted']!r}", highlight=False
            )
