"""The SATP-style attack-type classifier: its decision rule, its measure, its reader, and what it learns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nigran.core.problems import InvalidInput
from nigran.extract import attack_types as at

SATP = Path(__file__).resolve().parents[2] / "shared" / "data" / "satp"


def test_every_report_gets_its_likeliest_label_and_any_above_the_threshold() -> None:
    proba = np.array([[0.2, 0.1, 0.3, 0.05], [0.7, 0.6, 0.1, 0.1]])
    assert at.decide(proba).tolist() == [[0, 0, 1, 0], [1, 1, 0, 0]]


def test_example_based_f1_is_the_mean_of_per_report_f1() -> None:
    gold = np.array([[1, 0, 0, 0], [1, 1, 0, 0]])
    predicted = np.array([[1, 0, 0, 0], [1, 0, 0, 1]])
    assert at.example_f1(gold, predicted) == pytest.approx((1.0 + 2 * 1 / 4) / 2)


def test_a_malformed_line_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        at.read_tsv(b"a report\t1\t0\t0\t0\nanother\t1\t0\n", "x.tsv")
    assert "x.tsv" in str(caught.value.problems[0].file) and caught.value.problems[0].line == 2


def test_it_learns_cues_it_has_seen() -> None:
    bombing = [f"An IED blast hit a convoy in district {i}. Two soldiers died." for i in range(12)]
    kidnapping = [f"Militants abducted {i} workers from a site and took them away." for i in range(12)]
    assault = [f"Gunmen opened fire on a police post {i}, killing a constable." for i in range(12)]
    texts = bombing + kidnapping + assault
    labels = np.array([[0, 1, 0, 0]] * 12 + [[0, 0, 1, 0]] * 12 + [[1, 0, 0, 0]] * 12)
    model = at.train(texts, labels)
    predicted = model.predict(
        ["A roadside bomb blast struck a van.", "Three engineers were abducted and taken away."]
    )
    assert predicted.tolist() == [[0, 1, 0, 0], [0, 0, 1, 0]]


@pytest.mark.skipif(not (SATP / "dev.tsv").exists(), reason="the SATP benchmark is not beside the project")
def test_on_the_satp_dev_split_it_stays_near_its_recorded_figure() -> None:
    texts, labels = at.read_tsv((SATP / "train.tsv").read_bytes(), "train.tsv")
    dev_texts, dev_labels = at.read_tsv((SATP / "dev.tsv").read_bytes(), "dev.tsv")
    score = at.example_f1(dev_labels, at.train(texts, labels).predict(dev_texts))
    assert score > 0.86  # recorded in docs/benchmarks.md: 87.8
