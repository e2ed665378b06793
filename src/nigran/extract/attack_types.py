"""Attack-type classification of whole reports (SATP's labels: armed assault, bombing/explosion, kidnapping,
other; several may apply), the task on which ConfliBERT (Hu et al., NAACL 2022) reports example-based F1.

A linear model an analyst can inspect: one logistic regression per label over three feature groups —

- word unigrams and bigrams of the whole report (TF-IDF, sublinear term frequency);
- the same of the report's first sentence, where SATP-style narratives state the main incident;
- counts of explicit cue words per label (:data:`CUES`: "IED", "blast", "abducted", "opened fire",
  "torched" …), scaled so that a cue weighs about as much as a strong n-gram.

A report gets every label whose probability reaches :data:`THRESHOLD`, and at least its most likely one
(every SATP story has a label). The model is trained by :func:`train` from a file in the SATP format — no
weights are shipped, since the SATP texts may be used for training but not redistributed; training on the
1,085 narratives takes a few seconds (``benchmarks/satp.py`` trains and scores it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nigran.core.problems import InvalidInput, Problem

LABELS = ("armed_assault", "bombing", "kidnapping", "other")
#: Probability from which a label is given (chosen by five-fold cross-validation on the training split).
THRESHOLD = 0.5
#: Cue words per label (regular expressions, case-insensitive).
CUES: dict[str, str] = {
    "bombing": r"\b(bomb\w*|blast\w*|ied|improvised explosive|explosi\w+|explod\w+|grenade\w*|mortar\w*|"
    r"rocket\w*|shell(?:s|ing|ed)?|landmine\w*|blew up|blown up|detonat\w+|suicide bomber|suicide attack)\b",
    "kidnapping": r"\b(abduct\w*|kidnap\w*|hostage\w*|taken away|captiv\w+|whisked away|ransom)\b",
    "armed_assault": r"\b(fired|firing|shot|shoot\w*|gun\w*|gunfight|gun battle|encounter|ambush\w*|stormed|"
    r"opened fire|exchange of fire|rifle\w*|ak-?47|pistol|bullet\w*|attack\w*)\b",
    "other": r"\b(torch\w*|set ablaze|set on fire|arson|extort\w*|hack\w*|behead\w*|lynch\w*|burnt|burned|"
    r"stabb\w*|knife|axe|tortur\w*|slit|strangl\w*|blocked|demolish\w*|vandali\w+|threat\w*|dynamite)\b",
}
_CUES = [re.compile(pattern, re.I) for pattern in CUES.values()]
_FIRST = re.compile(r"(?<=[a-z0-9)])\.\s+(?=[A-Z])")
CUE_SCALE = 3.0
C = 3.0


def first_sentence(text: str) -> str:
    return _FIRST.split(text, maxsplit=1)[0]


def _cue_features(texts: Sequence[str]) -> Any:
    from scipy.sparse import csr_matrix

    rows = []
    for text in texts:
        lead = first_sentence(text)
        row: list[float] = []
        for cue in _CUES:
            row += [min(len(cue.findall(text)), 5) / 5, 1.0 if cue.search(lead) else 0.0]
        rows.append(row)
    return csr_matrix(np.array(rows) * CUE_SCALE)


@dataclass
class AttackTypeModel:
    """The fitted vectorisers and one classifier per label."""

    whole: Any
    lead: Any
    classifiers: list[Any]

    def _features(self, texts: Sequence[str]) -> Any:
        from scipy.sparse import hstack

        leads = [first_sentence(t) for t in texts]
        return hstack([self.whole.transform(texts), self.lead.transform(leads), _cue_features(texts)]).tocsr()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        x = self._features(texts)
        return np.column_stack([c.predict_proba(x)[:, 1] for c in self.classifiers])

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return decide(self.predict_proba(texts))


def decide(proba: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    chosen = (proba >= threshold).astype(int)
    for i in range(len(chosen)):
        if not chosen[i].any():
            chosen[i, int(proba[i].argmax())] = 1
    return chosen


@dataclass
class _Constant:
    """The probability of a label the training data never varies."""

    p: float

    def predict_proba(self, x: Any) -> np.ndarray:
        return np.tile([1.0 - self.p, self.p], (x.shape[0], 1))


def train(texts: Sequence[str], labels: np.ndarray) -> AttackTypeModel:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    whole = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    lead = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    x = hstack(
        [
            whole.fit_transform(texts),
            lead.fit_transform([first_sentence(t) for t in texts]),
            _cue_features(texts),
        ]
    ).tocsr()
    classifiers: list[Any] = []
    for k in range(len(LABELS)):
        if len(set(labels[:, k].tolist())) < 2:  # a label the training data never (or always) gives
            classifiers.append(_Constant(float(labels[0, k])))
            continue
        clf = LogisticRegression(C=C, max_iter=4000, class_weight="balanced")
        clf.fit(x, labels[:, k])
        classifiers.append(clf)
    return AttackTypeModel(whole, lead, classifiers)


def example_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    """Example-based F1 (per document 2|G∩P| / (|G|+|P|), averaged), the measure of the ConfliBERT paper."""
    scores = []
    for g, p in zip(gold, predicted, strict=True):
        total = int(g.sum() + p.sum())
        scores.append(1.0 if total == 0 else 2 * int((g & p).sum()) / total)
    return float(np.mean(scores)) if scores else float("nan")


def read_tsv(content: bytes, name: str) -> tuple[list[str], np.ndarray]:
    """Texts and 0/1 labels from the SATP format: text, then four labels, tab-separated, no header."""
    texts, labels, problems = [], [], []
    for number, line in enumerate(content.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 5 or any(v.strip() not in ("0", "1") for v in parts[1:]):
            problems.append(Problem(number, "expected text and four 0/1 labels separated by tabs", name))
            continue
        texts.append(parts[0])
        labels.append([int(v) for v in parts[1:]])
    if problems:
        raise InvalidInput(problems[:20])
    if not texts:
        raise InvalidInput([Problem(0, "no rows", name)])
    return texts, np.array(labels, dtype=int)
