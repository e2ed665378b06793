"""How much the index's ranking depends on its choices: each component weight and each dimension weight
raised and lowered by 20%, arithmetic instead of geometric aggregation across dimensions, and the threat
dimension alone. For each variant: Spearman's rank correlation with the documented index, the median and
largest absolute rank shift, and the districts that leave the top 10.

Only districts with a risk above 0 in the documented index are compared (a district with no recorded
violence has threat 0 and so risk 0 under geometric aggregation; the many such ties would make every
variant look perfectly stable).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from scipy.stats import spearmanr
from sqlalchemy.orm import Session

from nigran.risk import index as idx

TOP = 10
STEP = 0.2


@dataclass
class Variant:
    name: str
    description: str
    spearman: float | None
    median_shift: float | None
    max_shift: int | None
    compared: int
    left_top: list[str]
    entered_top: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SensitivityResult:
    month: str | None
    baseline_top: list[str]
    variants: list[Variant]

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "top": TOP,
            "baseline_top": self.baseline_top,
            "variants": [v.as_dict() for v in self.variants],
        }


def _ranks(districts: list[idx.DistrictIndex]) -> dict[str, int]:
    return {d.code: d.rank for d in districts if d.rank is not None}


def _top(districts: list[idx.DistrictIndex]) -> list[str]:
    return [d.code for d in districts if d.rank is not None and d.rank <= TOP]


def compare(
    name: str, description: str, base: list[idx.DistrictIndex], other: list[idx.DistrictIndex]
) -> Variant:
    a, b = _ranks(base), _ranks(other)
    positive = {d.code for d in base if d.risk is not None and d.risk > 0}
    common = sorted(set(a) & set(b) & positive)
    risk_a = {d.code: d.risk for d in base}
    risk_b = {d.code: d.risk for d in other}
    rho = None
    if len(common) >= 3:
        value = spearmanr([risk_a[c] for c in common], [risk_b[c] for c in common]).statistic
        rho = None if value != value else round(float(value), 4)  # NaN (a constant series) → unknown
    shifts = [abs(a[c] - b[c]) for c in common]
    top_a, top_b = _top(base), _top(other)
    return Variant(
        name,
        description,
        rho,
        statistics.median(shifts) if shifts else None,
        max(shifts) if shifts else None,
        len(common),
        [c for c in top_a if c not in top_b],
        [c for c in top_b if c not in top_a],
    )


def variants() -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    for s in idx.SPECS:
        for sign, word in ((1, "+"), (-1, "-")):
            out.append(
                (
                    f"w:{s.name}{word}20%",
                    f"weight of {s.name} × {1 + sign * STEP:.1f}",
                    {"weights": {s.name: s.weight * (1 + sign * STEP)}},
                )
            )
    for d in idx.DIMENSIONS:
        for sign, word in ((1, "+"), (-1, "-")):
            out.append(
                (
                    f"dim:{d}{word}20%",
                    f"weight of the {d} dimension × {1 + sign * STEP:.1f} in the geometric mean",
                    {"dimension_weights": {d: 1 + sign * STEP}},
                )
            )
    out.append(
        (
            "arithmetic",
            "arithmetic mean of the three dimensions instead of geometric",
            {"aggregation": "arithmetic"},
        )
    )
    out.append(
        (
            "threat-only",
            "threat dimension alone (vulnerability and coping weight 0)",
            {"dimension_weights": {"threat": 1.0, "vulnerability": 0.0, "coping": 0.0}},
        )
    )
    return out


def run(session: Session, month: str | None = None) -> SensitivityResult:
    base = idx.compute(session, month)
    if base.window is None:
        return SensitivityResult(None, [], [])
    raw, _, _ = idx.raw_inputs(session, idx.parse_month(base.month))  # type: ignore[arg-type]
    results = []
    for name, description, kwargs in variants():
        other = idx.build(raw, base.window, **kwargs)
        results.append(compare(name, description, base.districts, other))
    return SensitivityResult(base.month, _top(base.districts), results)
