"""The backtest plot: CRPS skill against the no-change baseline, per model and horizon (matplotlib)."""

from __future__ import annotations

import io
from typing import Any

SKILL_REFERENCE = "no_change"


def skill_figure(summary: dict[str, Any], fmt: str = "svg") -> bytes:
    """Grouped bars of each model's CRPS skill vs no-change, one panel per measure; ``fmt`` svg or png."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = summary.get("rows", [])
    measures = [m for m in ("incidents", "fatalities") if any(r["measure"] == m for r in rows)]
    horizons = sorted({r["horizon"] for r in rows})
    models = list(dict.fromkeys(r["model"] for r in rows if r["model"] != SKILL_REFERENCE))
    fig, axes = plt.subplots(1, max(1, len(measures)), figsize=(8, 3.4), sharey=False, squeeze=False)
    width = 0.8 / max(1, len(models))
    for ax, measure in zip(axes[0], measures, strict=False):
        for k, model in enumerate(models):
            values = []
            for h in horizons:
                row = next(
                    (r for r in rows if (r["measure"], r["model"], r["horizon"]) == (measure, model, h)), None
                )
                skill = (row or {}).get("skill", {}).get(SKILL_REFERENCE)
                values.append(skill if skill is not None else 0.0)
            ax.bar([h + (k - (len(models) - 1) / 2) * width for h in horizons], values, width, label=model)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(f"{measure}: CRPS skill vs no-change")
        ax.set_xticks(horizons, [f"{h} month{'s' if h > 1 else ''}" for h in horizons])
        ax.set_ylabel("1 − CRPS / CRPS(no-change)")
    axes[0][-1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return buf.getvalue()
