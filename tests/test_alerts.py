"""Alerts: change bands and the low-count guard with exact numbers, idempotent evaluation, alerts computed
per classification level (no one sees an alert above their clearance), forecast and indicator rules,
acknowledgement, and rules from YAML with line-numbered problems."""

from __future__ import annotations

import types
from datetime import date

import pytest
from sqlalchemy import func, select

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.alerts import rules as rules_mod
from nigran.alerts.evaluate import classify_change, evaluate
from nigran.alerts.models import Alert, AlertRule
from nigran.alerts.rules import DEFAULT_BANDS, DEFAULT_LOW_COUNT, load_rules
from nigran.alerts.service import AlertQuery, acknowledge, close, get_alert, list_alerts
from nigran.core.errors import AccessDenied, IllegalTransition, NotFound
from nigran.core.problems import InvalidInput
from nigran.incidents.models import Incident
from nigran.storage.db import Database

PES, NWZ = "PK-KP-PSH", "PK-KP-NWZ"
BANDS = sorted((dict(b) for b in DEFAULT_BANDS), key=lambda b: b["min_change_pct"])
ANALYST = Principal("analyst", Role.ANALYST, Classification.RESTRICTED, user_id=None)
ADMIN = Principal("admin", Role.ADMINISTRATOR, Classification.SECRET)
READER = Principal("reader", Role.PUBLIC_READER, Classification.PUBLIC)

RULE_YAML = b"""rules:
  - code: esc
    name: District incidents
    kind: escalation
    params:
      unit: district
      measure: incidents
      baseline_months: 3
  - code: esc-fat
    name: District fatalities
    kind: escalation
    params: {unit: district, measure: fatalities, baseline_months: 3}
"""


def add_incidents(
    db: Database, district: str, month: str, n: int, *, level: str = "PUBLIC", killed: int | None = 1
) -> list[int]:
    y, m = (int(p) for p in month.split("-"))
    with db.session(Principal.system()) as s:
        rows = [
            Incident(
                date=date(y, m, 1 + i % 28),
                year=y,
                month=m,
                event_type="bombing",
                district_code=district,
                province_code=district[:5],
                killed=killed,
                classification=Classification.parse(level),
            )
            for i in range(n)
        ]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def setup_history(db: Database) -> list[int]:
    """Peshawar: 4 incidents a month in Jan-Mar 2021, 5 in April (+25%); North Waziristan: 1, 1, 1 then 4
    (under the low-count guard)."""
    with db.session(Principal.system()) as s:
        load_rules(s, RULE_YAML, "rules.yaml")
    for month in ("2021-01", "2021-02", "2021-03"):
        add_incidents(db, PES, month, 4)
        add_incidents(db, NWZ, month, 1)
    add_incidents(db, NWZ, "2021-04", 4)
    return add_incidents(db, PES, "2021-04", 5)


@pytest.mark.parametrize(
    ("current", "baseline", "band", "change"),
    [
        (11, 10, "increase", 10.0),
        (12, 10, "increase", 20.0),
        (10, 8, "sharp increase", 25.0),
        (13, 10, "sharp increase", 30.0),
        (10.9, 10, None, 9.0),
        (5, 2, None, 150.0),  # the guard: baseline ≤ 2 and current ≤ 5
        (6, 2, "sharp increase", 200.0),  # above the guard
        (5, 2.5, "sharp increase", 100.0),  # baseline above 2: no guard
        (5, 0, None, None),  # guard
        (6, 0, "sharp increase", None),  # new violence, no percentage
        (8, 10, None, -20.0),
    ],
)
def test_bands_and_low_count_guard(
    current: float, baseline: float, band: str | None, change: float | None
) -> None:
    found, pct = classify_change(current, baseline, BANDS, dict(DEFAULT_LOW_COUNT))
    assert (found["name"] if found else None) == band
    assert pct == pytest.approx(change) if change is not None else pct is None


def test_evaluate_escalation_is_idempotent_with_evidence(db: Database) -> None:
    april = setup_history(db)
    with db.session(Principal.system()) as s:
        found = evaluate(s, "2021-04")
        assert [(a.unit_code, a.measure, a.band) for a in found] == [
            (PES, "incidents", "sharp increase"),
            (PES, "fatalities", "sharp increase"),
        ]
        a = found[0]
        assert (a.value, a.baseline, a.change_pct, a.severity) == (5.0, 4.0, pytest.approx(25.0), "high")
        assert a.evidence["incident_ids"] == sorted(april)
        assert a.evidence["series"] == {"2021-01": 4.0, "2021-02": 4.0, "2021-03": 4.0, "2021-04": 5.0}
        assert a.unit_name == "Peshawar" and a.province_code == "PK-KP"
        first_ids = [x.id for x in found]
    with db.session(Principal.system()) as s:
        again = evaluate(s, "2021-04")
        assert [x.id for x in again] == first_ids
        assert s.scalar(select(func.count(Alert.id))) == 2


def test_unknown_fatalities_are_not_zero(db: Database) -> None:
    with db.session(Principal.system()) as s:
        load_rules(s, RULE_YAML, "rules.yaml")
    for month in ("2021-01", "2021-02", "2021-03"):
        add_incidents(db, PES, month, 4, killed=1)
    add_incidents(db, PES, "2021-04", 9, killed=None)  # nine incidents, no figure given
    with db.session(Principal.system()) as s:
        found = evaluate(s, "2021-04")
    assert [(a.measure, a.value) for a in found] == [("incidents", 9.0)]


def test_alerts_are_computed_per_level_and_never_seen_above_clearance(db: Database) -> None:
    setup_history(db)
    add_incidents(db, PES, "2021-04", 1, level="SECRET")  # SECRET view: 6 against 4 (+50%)
    with db.session(ANALYST) as s:
        seen = evaluate(s, "2021-04")  # the analyst may run it; the SECRET alert is written, not returned
        assert {Classification.parse(a.classification) for a in seen} == {Classification.PUBLIC}
    with db.session(Principal.system()) as s:
        rows = s.scalars(select(Alert).where(Alert.measure == "incidents")).all()
        by_level = {Classification.parse(a.classification): a for a in rows}
        assert set(by_level) == {Classification.PUBLIC, Classification.SECRET}
        assert by_level[Classification.PUBLIC].value == 5.0
        assert by_level[Classification.SECRET].value == 6.0
        assert by_level[Classification.SECRET].change_pct == pytest.approx(50.0)
        secret_id = by_level[Classification.SECRET].id
        public_id = by_level[Classification.PUBLIC].id
    with db.session(ANALYST, readonly=True) as s:
        listed = list_alerts(s, AlertQuery(unit=PES))
        assert [(a.measure, Classification.parse(a.classification)) for a in listed if a.id == public_id] == [
            ("incidents", Classification.PUBLIC)
        ]
        assert secret_id not in {a.id for a in listed}
        assert all(Classification.parse(a.classification) <= Classification.RESTRICTED for a in listed)
        with pytest.raises(NotFound):
            get_alert(s, secret_id)
        assert s.scalar(select(func.count(Alert.id)).where(Alert.id == secret_id)) == 0
    with db.session(ADMIN, readonly=True) as s:
        listed = list_alerts(s, AlertQuery(unit=PES, kind="escalation"))
        incidents_alerts = [a for a in listed if a.measure == "incidents"]
        assert [a.id for a in incidents_alerts] == [secret_id]  # the highest level of the alert is shown


def test_reader_may_not_evaluate(db: Database) -> None:
    with db.session(READER) as s, pytest.raises(AccessDenied):
        evaluate(s, "2021-04")


def test_escalation_alert_withdrawn_when_it_no_longer_fires(db: Database) -> None:
    setup_history(db)
    with db.session(Principal.system()) as s:
        alert_id = evaluate(s, "2021-04")[0].id
    add_incidents(db, PES, "2021-03", 4)  # baseline becomes (4 + 4 + 8) / 3 = 5.33: April's 5 is no increase
    with db.session(Principal.system()) as s:
        evaluate(s, "2021-04")
        assert s.get(Alert, alert_id).status == "withdrawn"


def test_forecast_rule(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        types.SimpleNamespace(
            unit_code=PES,
            target_month="2021-05",
            horizon=1,
            measure="fatalities",
            mean=3.0,
            quantiles={"0.5": 2},
            p_fatal=0.85,
            p_ge10=0.1,
        ),
        types.SimpleNamespace(
            unit_code=NWZ,
            target_month="2021-05",
            horizon=1,
            measure="fatalities",
            mean=1.0,
            quantiles={},
            p_fatal=0.5,
            p_ge10=0.1,
        ),
        types.SimpleNamespace(
            unit_code=NWZ,
            target_month="2021-06",
            horizon=2,
            measure="fatalities",
            mean=9.0,
            quantiles={},
            p_fatal=0.99,
            p_ge10=0.9,
        ),
    ]
    fake = types.SimpleNamespace(current=lambda session, unit_kind="district": rows)
    import nigran.core.modules as modules

    real = modules.optional_import
    monkeypatch.setattr(
        modules, "optional_import", lambda name: fake if name == "nigran.risk.forecast" else real(name)
    )
    add_incidents(db, PES, "2021-04", 1)
    with db.session(Principal.system()) as s:
        load_rules(
            s,
            b"rules:\n  - code: fc\n    kind: forecast\n    severity: high\n"
            b"    params: {horizon: 1, p_fatal: 0.8}\n",
            "r.yaml",
        )
        found = evaluate(s, "2021-04")
        assert [(a.unit_code, a.month, a.value, a.severity) for a in found] == [
            (PES, "2021-05", 0.85, "high")
        ]
        assert found[0].evidence["forecast"]["p_fatal"] == 0.85


def test_forecast_rule_without_forecasts_is_skipped(db: Database) -> None:
    add_incidents(db, PES, "2021-04", 1)
    with db.session(Principal.system()) as s:
        load_rules(
            s, b"rules:\n  - code: fc\n    kind: forecast\n    params: {horizon: 1, p_fatal: 0.8}\n", "r.yaml"
        )
        evaluate(s, "2021-04")  # the risk module absent, or no forecast stored: no alert
        assert s.scalar(select(func.count(Alert.id)).where(Alert.kind == "forecast")) == 0


def test_indicator_rule_on_verified_value(demo_db: Database) -> None:
    from nigran.monitoring.models import Submission
    from nigran.policy.models import Framework, Indicator

    with demo_db.session(Principal.system()) as s:
        sub = s.scalars(
            select(Submission)
            .where(
                Submission.state == "verified",
                Submission.value.is_not(None),
                Submission.indicator_id.is_not(None),
            )
            .order_by(Submission.period_end.desc(), Submission.id.desc())
        ).first()
        ind = s.get(Indicator, sub.indicator_id)
        fw = s.get(Framework, ind.framework_id)
        latest = s.scalars(
            select(Submission)
            .where(
                Submission.indicator_id == ind.id,
                Submission.state == "verified",
                Submission.value.is_not(None),
            )
            .order_by(Submission.period_end.desc(), Submission.id.desc())
        ).first()
        doc = (
            f"rules:\n  - code: ind\n    kind: indicator\n    params: {{framework: '{fw.code}', "
            f"indicator: '{ind.code}', comparison: '>=', threshold: {latest.value}}}\n"
        )
        load_rules(s, doc.encode(), "r.yaml")
        found = [a for a in evaluate(s, "2021-04") if a.kind == "indicator"]
        assert len(found) == 1
        assert found[0].value == latest.value
        assert found[0].evidence["submission_ids"] == [latest.id]
        assert found[0].unit_code == f"{fw.code}:{ind.code}"
        assert Classification.parse(found[0].classification) == max(
            Classification.parse(latest.classification), Classification.parse(ind.classification)
        )


def test_acknowledge_and_close(db: Database) -> None:
    setup_history(db)
    with db.session(Principal.system()) as s:
        alert_id = evaluate(s, "2021-04")[0].id
    with db.session(READER) as s, pytest.raises((AccessDenied, NotFound)):
        acknowledge(s, alert_id, "seen")
    with db.session(ANALYST) as s, pytest.raises(InvalidInput):
        acknowledge(s, alert_id, "  ")
    with db.session(ANALYST) as s:
        a = acknowledge(s, alert_id, "District office informed")
        assert (a.status, a.acknowledged_by, a.ack_note) == (
            "acknowledged",
            "analyst",
            "District office informed",
        )
        assert a.acknowledged_at is not None
    with db.session(Principal.system()) as s:  # evaluating again keeps the handling
        evaluate(s, "2021-04")
        assert s.get(Alert, alert_id).status == "acknowledged"
    with db.session(ANALYST) as s:
        close(s, alert_id, "stabilised")
    with db.session(ANALYST) as s, pytest.raises(IllegalTransition):
        acknowledge(s, alert_id, "again")


def test_rules_yaml_problems_name_lines(db: Database) -> None:
    doc = b"""rules:
  - code: a
    kind: escalation
    params:
      unit: village
      baseline_months: 0
  - code: a
    kind: teleport
  - code: b
    kind: forecast
    params: {horizon: 4, p_fatal: 1.5}
"""
    with db.session(Principal.system()) as s, pytest.raises(InvalidInput) as err:
        load_rules(s, doc, "bad.yaml")
    text = str(err.value)
    for expected in (
        "bad.yaml:5: unit: 'village'",
        "bad.yaml:6: baseline_months",
        "bad.yaml:7: code 'a' repeats",
        "bad.yaml:8: kind: 'teleport'",
        "bad.yaml:11: horizon: 4",
        "bad.yaml:11: p_fatal: 1.5",
    ):
        assert expected in text, text
    with db.session(Principal.system(), readonly=True) as s:
        assert s.scalar(select(func.count(AlertRule.id))) == 0


def test_default_rules_load_and_reload(db: Database) -> None:
    with db.session(Principal.system()) as s:
        assert rules_mod.load_default_rules(s) == (4, 0)
        assert rules_mod.load_default_rules(s) == (0, 4)
        text = rules_mod.export_rules(s)
    with db.session(Principal.system()) as s:
        assert load_rules(s, text.encode(), "export.yaml") == (0, 4)
