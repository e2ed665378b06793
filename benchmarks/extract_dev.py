"""Score the rule-based extractor on the annotated development set(s): ``benchmarks/extraction/dev*.jsonl``.

Usage: ``python benchmarks/extract_dev.py [FILE ...] [--errors]`` — prints per-field precision, recall and
F1, incident-level and document-level detection (rules in ``docs/extraction.md``); ``--errors`` also lists
every disagreement. A held-out test set is kept outside the project: do not tune to it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nigran.extract.evaluate import predict, read_jsonl, score, table_rows

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    show_errors = "--errors" in argv
    files = [Path(a) for a in argv if not a.startswith("--")] or sorted(
        (HERE / "extraction").glob("dev*.jsonl")
    )
    docs = []
    for path in files:
        docs += read_jsonl(path.read_bytes(), str(path), gold=True)
    report = score(docs, predict(docs))
    incidents = sum(len(d["incidents"]) for d in docs)
    names = ", ".join(map(str, files))
    print(f"{len(docs)} documents, {incidents} gold incidents ({names})")
    print(f"{'field':<18}{'P':>7}{'R':>7}{'F1':>7}{'TP':>5}{'FP':>5}{'FN':>5}{'null=':>7}")
    for row in table_rows(report):
        print(f"{row[0]:<18}{row[1]:>7}{row[2]:>7}{row[3]:>7}{row[4]:>5}{row[5]:>5}{row[6]:>5}{row[7]:>7}")
    if show_errors:
        for e in report["errors"]:
            print(f"{e['id']}\t{e['field']}\tgold={e['gold']!r}\tpred={e['predicted']!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
