"""Attack-type classification on the SATP benchmark (ConfliBERT, NAACL 2022): example-based F1.

    python benchmarks/satp.py TSV [--train TRAIN.tsv]

Trains :mod:`nigran.extract.attack_types` on TRAIN (default ``../shared/data/satp/train.tsv``) and prints the
example-based F1 on TSV (any file in the SATP format: text, four 0/1 labels), with per-label F1, beside the
figures the paper reports on its test split (BERT-uncased 87.8, ConfliBERT 89.1). It also scores the rule
extractor's own event types mapped onto SATP's labels, for comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from nigran.extract import attack_types as at

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TRAIN = ROOT.parent / "shared" / "data" / "satp" / "train.tsv"
#: The extractor's taxonomy onto SATP's labels.
RULE_LABELS = {
    "armed_assault": "armed_assault",
    "targeted_killing": "armed_assault",
    "clash": "armed_assault",
    "security_operation": "armed_assault",
    "cross_border_attack": "armed_assault",
    "bombing": "bombing",
    "suicide_bombing": "bombing",
    "kidnapping": "kidnapping",
}


def rule_labels(texts: list[str]) -> np.ndarray:
    from nigran.extract.engine import extract_document

    out = np.zeros((len(texts), len(at.LABELS)), dtype=int)
    for i, text in enumerate(texts):
        for incident in extract_document(text, None):
            label = RULE_LABELS.get(incident.get("event_type") or "", "other")
            out[i, at.LABELS.index(label)] = 1
        if not out[i].any():
            out[i, at.LABELS.index("other")] = 1
    return out


def per_label_f1(gold: np.ndarray, predicted: np.ndarray) -> list[float]:
    from sklearn.metrics import f1_score

    return [float(f1_score(gold[:, k], predicted[:, k], zero_division=0)) for k in range(gold.shape[1])]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("tsv", type=Path)
    parser.add_argument("--train", type=Path, default=DEFAULT_TRAIN)
    parser.add_argument("--no-rules", action="store_true", help="skip the rule extractor's row")
    args = parser.parse_args()
    train_texts, train_labels = at.read_tsv(args.train.read_bytes(), str(args.train))
    texts, gold = at.read_tsv(args.tsv.read_bytes(), str(args.tsv))
    started = time.perf_counter()
    model = at.train(train_texts, train_labels)
    trained = time.perf_counter() - started
    predicted = model.predict(texts)
    print(f"{args.tsv.name}: {len(texts)} reports; trained on {len(train_texts)} in {trained:.1f} s")
    print(
        "model                          example-F1   " + "  ".join(f"{label[:8]:>8}" for label in at.LABELS)
    )
    rows = [("linear (n-grams, lead, cues)", predicted)]
    if not args.no_rules:
        rows.append(("rule extractor, mapped", rule_labels(texts)))
    for name, pred in rows:
        f1s = per_label_f1(gold, pred)
        print(
            f"{name:<30} {100 * at.example_f1(gold, pred):10.1f}   "
            + "  ".join(f"{100 * f:8.1f}" for f in f1s)
        )
    print("reference (paper, test split)  BERT-uncased 87.8, ConfliBERT 89.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
