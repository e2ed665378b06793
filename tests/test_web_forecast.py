"""The forecast pages and API: signed-in users only, runs within clearance, a bad district is 404."""

from __future__ import annotations

from sqlalchemy import insert
from tests.web_support import client_for

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.modules import optional_import
from nigran.risk.models import Forecast, ForecastRun
from nigran.storage.db import Database

SUMMARY = {
    "unit": "district", "first_origin": "2019-01", "last_origin": "2021-12", "origins": 36, "horizons": [1],
    "chosen_model": "conflictology", "model_beats_baselines": False, "seconds": 1.0,
    "message": "No model beats the baselines: gbm scores worse than conflictology, so the default forecast "
               "is the best baseline, conflictology.",
    "rows": [
        {"measure": m, "model": name, "horizon": 1, "n": 10, "crps": c, "ignorance": 0.5, "interval90": 2.0,
         "coverage90": 0.9, "brier": 0.1, "ap": 0.3, "skill": {"no_change": 1 - c}}
        for m in ("incidents", "fatalities") for name, c in (("no_change", 1.0), ("conflictology", 0.6),
                                                             ("gbm", 0.7))
    ],
}  # fmt: skip


QUANTILES = {"0.05": 0, "0.1": 0, "0.25": 1, "0.5": 2, "0.75": 4, "0.9": 6, "0.95": 9}


def _store(db: Database, through: str, level: Classification, killed_mean: float) -> int:
    with db.session(Principal.system()) as s:
        run = ForecastRun(data_through=through, chosen_model="conflictology", trigger="cli", made_by="test",
                          incidents_used=1, data_key=f"k{through}{level}", backtest=SUMMARY,
                          classification=level)  # fmt: skip
        s.add(run)
        s.flush()
        y, m = (int(p) for p in through.split("-"))
        rows = []
        for h in (1, 2, 3):
            target = f"{y + (m + h - 1) // 12}-{(m + h - 1) % 12 + 1:02d}"
            for model in ("conflictology", "gbm"):
                for measure in ("incidents", "fatalities"):
                    rows.append({
                        "run_id": run.id, "unit_kind": "district", "unit_code": "PK-KP-PSH",
                        "target_month": target, "horizon": h, "measure": measure, "model": model,
                        "mean": killed_mean, "quantiles": QUANTILES,
                        "p_fatal": 0.6 if measure == "fatalities" else None,
                        "p_ge10": 0.05 if measure == "fatalities" else None,
                        "explanation": {"own history": 1.25, "neighbours": -0.5} if model == "gbm" else None,
                        "classification": level,
                    })  # fmt: skip
        s.execute(insert(Forecast), rows)
        return run.id


def test_pages_and_api(demo_db: Database) -> None:
    anonymous = client_for(demo_db)
    assert anonymous.get("/risk/forecasts", follow_redirects=False).status_code in (303, 401, 403)
    assert anonymous.get("/api/risk/forecasts").status_code in (401, 403)
    reader = client_for(demo_db, "reader")
    empty = reader.get("/risk/forecasts")
    assert empty.status_code == 200 and "No forecast has been made yet" in empty.text
    assert reader.get("/api/risk/backtest").status_code == 404

    public = _store(demo_db, "2021-12", Classification.PUBLIC, 3.5)
    secret = _store(demo_db, "2022-01", Classification.SECRET, 99.0)
    page = reader.get("/risk/forecasts")
    assert page.status_code == 200 and "No model beats the baselines" in page.text and "Peshawar" in page.text
    district = reader.get("/risk/districts/Peshawar")
    assert district.status_code == 200
    assert "own history" in district.text and "2022-01" in district.text and "js-chart" in district.text
    if optional_import("nigran.risk.index") is not None:  # the risk index's components, where it exists
        assert "Risk components" in district.text
    assert reader.get("/risk/districts/Atlantis").status_code == 404
    assert reader.get("/risk/districts/" + "x" * 300).status_code == 404

    data = reader.get("/api/risk/forecasts?unit=district").json()
    assert data["run"]["id"] == public and {f["model"] for f in data["forecasts"]} == {"conflictology"}
    assert all(f["mean"] == 3.5 for f in data["forecasts"])  # the SECRET run stays hidden from the reader
    assert reader.get("/api/risk/forecasts?unit=village").status_code == 422
    assert reader.get("/api/risk/forecasts?model=oracle").status_code == 422
    one = reader.get("/api/risk/districts/PK-KP-PSH/forecast").json()
    assert (
        one["district"]["name"] == "Peshawar"
        and one["explanation"][0]["contributions"]["own history"] == 1.25
    )
    assert reader.get("/api/risk/districts/Atlantis/forecast").status_code == 404
    chart = reader.get("/api/risk/districts/Peshawar/chart").json()
    assert chart["labels"][-1] == "2022-03" and len(chart["datasets"]) == 6
    assert chart["datasets"][3]["data"][-1] == 2  # the median of the last horizon
    backtest = reader.get("/api/risk/backtest").json()
    assert backtest["backtest"]["chosen_model"] == "conflictology"
    bars = reader.get("/api/risk/backtest/chart?measure=fatalities").json()
    assert bars["labels"] == ["no_change", "conflictology", "gbm"]
    assert reader.get("/api/risk/backtest/chart?measure=hope").status_code == 422

    admin = client_for(demo_db, "admin")
    assert admin.get("/api/risk/forecasts").json()["run"]["id"] == secret
