"""Scoring the extractor against annotated documents: per field, per incident, per document.

**Matching.** Within one document, gold and predicted incidents are paired one-to-one by the assignment that
maximises their total agreement (Hungarian algorithm, ``scipy.optimize.linear_sum_assignment``). The
agreement of a pair is the sum of: date within ±1 day (1; 0.5 when either date is null), same district (1;
0.5 when a district is null on one side and the provinces agree), same event type (1), and 0.5 when a
casualty figure (victims killed, militants killed, injured) is given and equal on both sides. A pair with
agreement below 1 is not a match: both incidents stay unmatched.

**Fields.** Values are compared after normalisation: text without case, accents, possessive "'s",
punctuation or extra space; districts and provinces through the gazetteer (so "D.I. Khan" = "Dera Ismail
Khan"); perpetrators through the actor registry (code, name and every alias meet); dates as ISO days; counts
as integers. For each field of a matched pair: equal non-null values are a true positive; a predicted
non-null value that is wrong or where gold is null is a false positive; a gold non-null value that is missed
or wrong is a false negative (a wrong value is both). Null on both sides is an *agreement* (reported apart)
but not a true positive. Every non-null field of an unmatched predicted incident is a false positive, of an
unmatched gold incident a false negative. ``"unknown"`` (perpetrator) and ``false`` (claimed) are values,
not nulls.

**Incidents.** Matched pairs are true positives, unmatched predictions false positives, unmatched gold
incidents false negatives. **Documents.** A document "reports an incident" when it has at least one; gold and
prediction are compared on that yes/no.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from nigran.core.problems import InvalidInput, Problem
from nigran.extract.fields import COUNT_FIELDS, FIELDS

COUNTS = COUNT_FIELDS
MIN_AGREEMENT = 1.0


def read_jsonl(data: bytes, name: str, *, gold: bool) -> list[dict[str, Any]]:
    """Documents of a gold (``{"id","text","published","incidents"}``) or prediction (``{"id","incidents"}``)
    JSONL file, or :class:`InvalidInput` naming every bad line and field."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput([Problem(0, f"not UTF-8 text (byte {exc.start})", name)]) from None
    problems: list[Problem] = []
    docs: list[dict[str, Any]] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(lineno, f"not JSON: {exc.msg}", name))
            continue
        if not isinstance(doc, dict):
            problems.append(Problem(lineno, "expected a JSON object", name))
            continue
        if doc.get("id") is None or not str(doc.get("id")).strip():
            problems.append(Problem(lineno, "field 'id' is missing", name))
            continue
        doc_id = str(doc["id"])
        if doc_id in seen:
            problems.append(Problem(lineno, f"id {doc_id!r} appears twice", name))
        seen.add(doc_id)
        if gold and not isinstance(doc.get("text"), str):
            problems.append(Problem(lineno, "field 'text' must be a string", name))
        incidents = doc.get("incidents")
        if not isinstance(incidents, list) or not all(isinstance(i, dict) for i in incidents):
            problems.append(Problem(lineno, "field 'incidents' must be a list of objects", name))
            continue
        for n, inc in enumerate(incidents, 1):
            for key in COUNTS:
                v = inc.get(key)
                if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                    problems.append(
                        Problem(lineno, f"incident {n}: field '{key}' must be a count or null", name)
                    )
            if inc.get("date") is not None and _date(inc.get("date")) is None:
                problems.append(Problem(lineno, f"incident {n}: field 'date' is not YYYY-MM-DD", name))
        docs.append(doc)
        if len(problems) > 50:
            break
    if problems:
        raise InvalidInput(problems)
    if not docs:
        raise InvalidInput([Problem(0, "no documents", name)])
    return docs


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value is not None else None
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"(?<=\w)['’]s\b|(?<=s)['’](?=\s|$)", "", text)  # "company’s camp" = "company camp"
    text = " ".join(re.sub(r"[^\w\s]", " ", text).split())
    return text or None


@cache
def _gazetteer() -> Any:
    from nigran.geo.gazetteer import Gazetteer

    return Gazetteer.bundled()


@cache
def _actor_keys() -> dict[str, str]:
    import yaml

    from nigran.core.paths import data_path
    from nigran.incidents.actors import norm

    rows = yaml.safe_load(data_path("actors.yaml").read_text(encoding="utf-8"))["actors"]
    keys: dict[str, str] = {}
    for r in rows:
        for name in [r["code"], r["name"], *(r.get("aliases") or [])]:
            keys.setdefault(norm(str(name)), r["code"])
    return keys


def normalise(field: str, value: Any) -> Any:
    """The comparable form of a field's value (None stays None)."""
    if value is None:
        return None
    if field == "date":
        d = _date(value)
        return d.isoformat() if d else _text(value)
    if field in COUNTS:
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else _text(value)
    if field == "claimed":
        return bool(value) if isinstance(value, bool) else _text(value)
    if field == "province":
        code = _gazetteer().normalise_province(str(value))
        return code or _text(value)
    if field == "district":
        match = _gazetteer().resolve(str(value))
        return match.district_code if match and match.resolved else _text(value)
    if field == "perpetrator":
        from nigran.incidents.actors import norm

        key = norm(str(value))
        if key == "unknown":
            return "unknown"
        return _actor_keys().get(key, _text(value))
    return _text(value)


def _agreement(g: dict[str, Any], p: dict[str, Any]) -> float:
    score = 0.0
    gd, pd = _date(g.get("date")), _date(p.get("date"))
    if gd and pd:
        score += 1.0 if abs((gd - pd).days) <= 1 else 0.0
    else:
        score += 0.5
    gdist, pdist = normalise("district", g.get("district")), normalise("district", p.get("district"))
    if gdist is not None and pdist is not None:
        score += 1.0 if gdist == pdist else 0.0
    elif normalise("province", g.get("province")) == normalise("province", p.get("province")) is not None:
        score += 0.5
    if normalise("event_type", g.get("event_type")) == normalise("event_type", p.get("event_type")):
        score += 1.0
    if any(g.get(k) is not None and g.get(k) == p.get(k) for k in COUNTS[:3]):
        score += 0.5
    return score


def match(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Pairs (gold index, predicted index) of the optimal one-to-one matching (see the module's rule)."""
    if not gold or not pred:
        return []
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    scores = np.array([[_agreement(g, p) for p in pred] for g in gold])
    rows, cols = linear_sum_assignment(scores, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if scores[r, c] >= MIN_AGREEMENT]


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = (
        2 * p * r / (p + r)
        if p is not None and r is not None and p + r
        else (0.0 if p == 0 or r == 0 else None)
    )
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": None if p is None else round(p, 4),
        "recall": None if r is None else round(r, 4),
        "f1": None if f is None else round(f, 4),
    }


def score(
    gold_docs: Iterable[dict[str, Any]], predictions: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """The report: ``fields`` (per field P/R/F1 and null agreements), ``incidents``, ``documents``."""
    counts = {f: {"tp": 0, "fp": 0, "fn": 0, "agree_null": 0} for f in FIELDS}
    inc = {"tp": 0, "fp": 0, "fn": 0}
    doc = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    n_docs = 0
    errors: list[dict[str, Any]] = []
    for g in gold_docs:
        n_docs += 1
        gold = list(g.get("incidents") or [])
        pred = list(predictions.get(str(g["id"])) or [])
        pairs = match(gold, pred)
        inc["tp"] += len(pairs)
        inc["fp"] += len(pred) - len(pairs)
        inc["fn"] += len(gold) - len(pairs)
        if gold and pred:
            doc["tp"] += 1
        elif pred:
            doc["fp"] += 1
        elif gold:
            doc["fn"] += 1
        else:
            doc["tn"] += 1
        matched_g = {a for a, _ in pairs}
        matched_p = {b for _, b in pairs}
        for a, b in pairs:
            for f in FIELDS:
                gv, pv = normalise(f, gold[a].get(f)), normalise(f, pred[b].get(f))
                if gv is None and pv is None:
                    counts[f]["agree_null"] += 1
                elif gv == pv:
                    counts[f]["tp"] += 1
                else:
                    if pv is not None:
                        counts[f]["fp"] += 1
                    if gv is not None:
                        counts[f]["fn"] += 1
                    errors.append(
                        {"id": g["id"], "field": f, "gold": gold[a].get(f), "predicted": pred[b].get(f)}
                    )
        for b, p in enumerate(pred):
            if b not in matched_p:
                for f in FIELDS:
                    counts[f]["fp"] += p.get(f) is not None
                errors.append({"id": g["id"], "field": "incident", "gold": None, "predicted": _brief(p)})
        for a, gi in enumerate(gold):
            if a not in matched_g:
                for f in FIELDS:
                    counts[f]["fn"] += gi.get(f) is not None
                errors.append({"id": g["id"], "field": "incident", "gold": _brief(gi), "predicted": None})
    fields = {
        f: {**_prf(c["tp"], c["fp"], c["fn"]), "agree_null": c["agree_null"]} for f, c in counts.items()
    }
    documents = {**_prf(doc["tp"], doc["fp"], doc["fn"]), "tn": doc["tn"]}
    return {
        "documents_scored": n_docs,
        "fields": fields,
        "incidents": _prf(inc["tp"], inc["fp"], inc["fn"]),
        "documents": documents,
        "errors": errors,
    }


def _brief(incident: dict[str, Any]) -> str:
    return " ".join(str(incident.get(k)) for k in ("date", "district", "event_type", "victims_killed"))


def predict(gold_docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    from nigran.extract.engine import extract_many

    return {str(out["id"]): out["incidents"] for out in extract_many(gold_docs)}


def table_rows(report: dict[str, Any]) -> list[tuple[str, ...]]:
    """Rows (name, P, R, F1, TP, FP, FN, null agreements) for printing."""

    def fmt(v: Any) -> str:
        return "—" if v is None else f"{v:.3f}"

    rows = []
    for name, r in report["fields"].items():
        rows.append((name, fmt(r["precision"]), fmt(r["recall"]), fmt(r["f1"]), str(r["tp"]), str(r["fp"]),
                     str(r["fn"]), str(r["agree_null"])))  # fmt: skip
    for name in ("incidents", "documents"):
        r = report[name]
        rows.append((name, fmt(r["precision"]), fmt(r["recall"]), fmt(r["f1"]), str(r["tp"]), str(r["fp"]),
                     str(r["fn"]), "—"))  # fmt: skip
    return rows
