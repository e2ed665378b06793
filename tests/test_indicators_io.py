"""Indicators to and from Excel/CSV: export as the reader sees them, import with every cell checked first."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from tests.helpers import ADMIN, ANALYST, CANARIES, FIXTURES, PUBLIC, SECRET_ONLY, load_file, load_fixture
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.audit.models import AuditEntry
from nigran.cli import app
from nigran.core.problems import InvalidInput
from nigran.core.yamldoc import dump_yaml
from nigran.policy import service
from nigran.policy.indicators_io import export_indicators, import_indicators
from nigran.policy.models import Indicator

RICH = FIXTURES / "rich-framework.yaml"


@pytest.fixture
def rich(db):  # type: ignore[no-untyped-def]
    with db.session(Principal.system()) as s:
        load_file(s, RICH)
    return db


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _export(db, principal, tmp_path: Path, fmt: str = "csv", code: str = "RICH-FW") -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{principal.username}-{code}.{fmt}"
    with db.session(principal) as s:
        path.write_bytes(export_indicators(s, code, fmt).data)
    return path


def _audit_count(db) -> int:  # type: ignore[no-untyped-def]
    with db.session(Principal.system()) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _yaml(db) -> str:  # type: ignore[no-untyped-def]
    with db.session(ADMIN) as s:
        return dump_yaml(service.export_document(s, "RICH-FW"))


def test_export_has_one_row_per_indicator_with_codes_targets_and_responsibles(rich, tmp_path):
    rows = _csv(_export(rich, ADMIN, tmp_path))
    assert [r["code"] for r in rows] == [
        "RICH.S1.1.O1.I1",
        "RICH.S1.1.O1.I2",
        "RICH.S1.2.1.O1.I1",
        "RICH.S2.O1.I1",
        "RICH.S2.O1.I2",
    ]
    first = rows[0]
    assert (first["framework"], first["section"], first["objective"]) == (
        "RICH-FW",
        "RICH.S1.1",
        "RICH.S1.1.O1",
    )
    assert first["responsible"] == "MOI:lead; NACTA:supporting"
    assert (first["target_2023"], first["target_2024"], first["target_2025"]) == ("1000", "800.5", "")
    assert first["name_ur"] == "دہشت گردی سے اموات" and first["baseline_date"] == "2022-12-31"
    assert [r["classification"] for r in rows] == ["PUBLIC", "RESTRICTED", "SECRET", "PUBLIC", "PUBLIC"]
    assert (
        rows[1]["band_min"] == "2.5"
        and rows[1]["incident_query"] == '{"kind": "attacks", "province": "PK-KP"}'
    )

    wb = load_workbook(_export(rich, ADMIN, tmp_path, "xlsx"))
    sheet = wb["Indicators"]
    assert sheet.max_row == 6 and sheet["C2"].value == "RICH.S1.1.O1.I1"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_never_carries_content_above_the_readers_clearance(db, tmp_path, fmt):
    load_fixture(db)
    public = _export(db, PUBLIC, tmp_path, fmt, "CANARY-FW").read_bytes()
    analyst = _export(db, ANALYST, tmp_path, fmt, "CANARY-FW")
    text = "\n".join(map(str, _csv(analyst))) if fmt == "csv" else _xlsx_text(analyst)
    public_text = (
        public.decode("utf-8-sig") if fmt == "csv" else _xlsx_text(tmp_path / f"anonymous-CANARY-FW.{fmt}")
    )
    assert "Public indicator" in public_text and "CANARY-RESTRICTED-IND" in text
    for canary in CANARIES:
        assert canary not in public_text, canary
    for canary in SECRET_ONLY:
        assert canary not in text, canary


def _xlsx_text(path: Path) -> str:
    wb = load_workbook(path, read_only=True)
    return "\n".join(str(v) for row in wb.active.iter_rows(values_only=True) for v in row if v is not None)


def test_reimporting_an_unchanged_export_changes_nothing(rich, tmp_path):
    before, audit = _yaml(rich), _audit_count(rich)
    for fmt in ("csv", "xlsx"):
        path = _export(rich, ADMIN, tmp_path, fmt)
        with rich.session(ADMIN) as s:
            result = import_indicators(s, path.read_bytes(), str(path), "RICH-FW")
        assert (result.added, result.updated, len(result.unchanged)) == ([], [], 5)
    assert _yaml(rich) == before and _audit_count(rich) == audit


def test_import_updates_by_code_and_adds_under_the_objective_with_audit(rich, tmp_path):
    rows = _csv(_export(rich, ANALYST, tmp_path))
    tax = rows[2]
    tax.update(
        name="Tax-to-GDP ratio (federal and provincial)",
        target_2024="",
        target_2025="11.5",
        responsible="MOF; SBP:supporting",
    )
    rows.append(
        {k: "" for k in tax}
        | {
            "code": "RICH.S2.O1.I3",
            "objective": "RICH.S2.O1",
            "name": "Remittances through banks",
            "unit": "USD billion",
            "direction": "increase",
            "baseline_value": "27",
            "baseline_date": "2023-06-30",
            "target_2025": "30",
            "responsible": "SBP:lead",
            "frequency": "annual",
        }
    )
    path = _write_csv(tmp_path / "edited.csv", rows)

    with rich.session(ANALYST) as s:
        dry = import_indicators(s, path.read_bytes(), str(path), "RICH-FW", dry_run=True)
    assert (dry.added, dry.updated) == (["RICH.S2.O1.I3"], ["RICH.S2.O1.I1"])
    audit = _audit_count(rich)
    assert "Remittances" not in _yaml(rich)  # the dry run wrote nothing

    with rich.session(ANALYST) as s:  # RESTRICTED clearance: the SECRET row is simply not in its export
        result = import_indicators(s, path.read_bytes(), str(path), "RICH-FW")
    assert (result.added, result.updated) == (["RICH.S2.O1.I3"], ["RICH.S2.O1.I1"])
    with rich.session(ADMIN) as s:
        doc = service.export_document(s, "RICH-FW")["framework"]
        objective = doc["sections"][1]["objectives"][0]
        tax_now, new = objective["indicators"][0], objective["indicators"][2]
        assert tax_now["name"] == "Tax-to-GDP ratio (federal and provincial)"
        assert tax_now["targets"] == {2025: 11.5, 2027: 13}
        responsible = sorted((r["entity"], r["role"]) for r in tax_now["responsible"])
        assert responsible == [("MOF", "lead"), ("SBP", "supporting")]
        assert (
            new["code"] == "RICH.S2.O1.I3" and new["baseline"]["value"] == 27 and new["targets"] == {2025: 30}
        )
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.seq > audit)))
    change = next(e for e in entries if e.table_name == "indicator" and e.action == "update")
    assert change.actor == "analyst"
    assert change.before["name"] == "Tax-to-GDP ratio" and change.after["name"].endswith(
        "(federal and provincial)"
    )
    kinds = {(e.table_name, e.action) for e in entries}
    assert {
        ("indicator_target", "delete"),
        ("indicator_target", "update"),
        ("indicator", "insert"),
        ("responsibility", "delete"),
        ("responsibility", "insert"),
    } <= kinds


def test_every_bad_cell_is_reported_and_nothing_is_written(rich, tmp_path):
    rows = _csv(_export(rich, ADMIN, tmp_path))
    rows[0]["baseline_date"] = "2022-13-01"  # row 2
    rows[1]["responsible"] = "KP:lead; MOX:supporting"  # row 3
    rows[2]["classification"] = "PUBLIC"  # row 4: below its SECRET objective
    rows[3]["target_2027"] = "lots"  # row 5
    rows[4]["direction"] = "sideways"  # row 6
    rows.append(dict(rows[3]) | {"target_2027": ""})  # row 7: duplicate code
    rows.append(
        {k: "" for k in rows[0]} | {"code": "RICH.NEW", "objective": "RICH.NOPE", "name": "x"}
    )  # row 8
    rows.append(
        {k: "" for k in rows[0]} | {"code": "RICH.S2", "objective": "RICH.S2.O1", "name": "x"}
    )  # row 9
    rows.append(
        {k: "" for k in rows[0]}
        | {"code": "RICH.NEW2", "objective": "RICH.S2.O1", "baseline_value": "3", "target_2026": "2026"}
    )  # row 10
    path = _write_csv(tmp_path / "bad.csv", rows)
    before, audit = _yaml(rich), _audit_count(rich)
    with pytest.raises(InvalidInput) as caught, rich.session(ADMIN) as s:
        import_indicators(s, path.read_bytes(), str(path), "RICH-FW")
    shown = str(caught.value).splitlines()
    expected = [
        f"{path}:2:baseline_date: invalid date '2022-13-01': month must be in 1..12",
        f"{path}:3:responsible: indicator RICH.S1.1.O1.I2: unknown entity 'MOX'",
        f"{path}:4:classification: indicator RICH.S1.2.1.O1.I1: PUBLIC is lower than its parent's SECRET",
        f"{path}:5:target_2027: 'lots' is not a number",
        f"{path}:6:direction: indicator RICH.S2.O1.I2: direction 'sideways' is not one of increase, "
        "decrease, "
        "maintain",
        f"{path}:7:code: duplicate code 'RICH.S2.O1.I1' (first at row 5)",
        f"{path}:8:objective: no objective 'RICH.NOPE' in RICH-FW",
        f"{path}:9:code: 'RICH.S2' is already the code of another item of RICH-FW",
        f"{path}:10:name: indicator RICH.NEW2: 'name' is required",
        f"{path}:10:unit: indicator RICH.NEW2: has a baseline or targets but no unit",
    ]
    for line in expected:
        assert line in shown, "\n".join(shown)
    assert len(shown) == len(expected), "\n".join(shown)
    assert _yaml(rich) == before and _audit_count(rich) == audit


def test_xlsx_problems_name_the_sheet(rich, tmp_path):
    path = _export(rich, ADMIN, tmp_path, "xlsx")
    wb = load_workbook(path)
    ws = wb["Indicators"]
    header = [c.value for c in ws[1]]
    ws.cell(3, header.index("band_max") + 1, 1)  # band max below band min 2.5
    wb.save(path)
    with pytest.raises(InvalidInput) as caught, rich.session(ADMIN) as s:
        import_indicators(s, path.read_bytes(), str(path), "RICH-FW")
    assert (
        str(caught.value)
        == f"{path}[Indicators]:3:band_min: indicator RICH.S1.1.O1.I2: band needs numbers with min <= max"
    )

    partial = Workbook()
    partial.active.title = "Targets"
    partial.active.append(["code", "target_2026", "colour"])
    partial.active.append(["RICH.S2.O1.I1", 12])
    other = tmp_path / "partial.xlsx"
    partial.save(other)
    with pytest.raises(InvalidInput) as caught, rich.session(ADMIN) as s:
        import_indicators(s, other.read_bytes(), str(other), "RICH-FW")
    assert str(caught.value).startswith(f"{other}[Targets]:1:colour: unknown column")


def test_a_partial_sheet_touches_only_its_columns(rich, tmp_path):
    partial = Workbook()
    partial.active.append(["code", "target_2026"])
    partial.active.append(["RICH.S2.O1.I1", 12.5])
    path = tmp_path / "partial.xlsx"
    partial.save(path)
    with rich.session(ADMIN) as s:
        result = import_indicators(s, path.read_bytes(), str(path), "RICH-FW")
    assert result.updated == ["RICH.S2.O1.I1"]
    with rich.session(ADMIN) as s:
        ind = s.scalar(select(Indicator).where(Indicator.code == "RICH.S2.O1.I1"))
        assert {t.year: t.value for t in ind.targets} == {2024: 10, 2025: 11, 2026: 12.5, 2027: 13}
        assert ind.name == "Tax-to-GDP ratio"
        assert sorted(r.entity.code for r in ind.responsibilities) == ["FBR", "MOF"]


def test_a_public_reader_may_not_import_changes(rich, tmp_path):
    rows = _csv(_export(rich, PUBLIC, tmp_path))
    rows[0]["name"] = "Changed by a reader"
    path = _write_csv(tmp_path / "reader.csv", rows)
    with pytest.raises(AccessDenied), rich.session(PUBLIC) as s:
        import_indicators(s, path.read_bytes(), str(path), "RICH-FW")
    assert "Changed by a reader" not in _yaml(rich)


def test_cli_round_trip_with_dry_run(rich, tmp_path):
    with rich.session(Principal.system()) as s:
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(
            app, ["--db", rich.url, "--as", "analyst", "indicators", *args], env={"NIGRAN_USER": ""}
        )
        return result.exit_code, result.output

    out = tmp_path / "ind.csv"
    assert run("export", "RICH-FW", "--format", "csv", "-o", str(out))[0] == 0
    rows = _csv(out)
    assert len(rows) == 4  # the SECRET indicator is not exported to a RESTRICTED analyst
    rows[0]["unit"] = "deaths"
    _write_csv(out, rows)
    code, text = run("import", str(out), "--framework", "RICH-FW", "--dry-run")
    assert code == 0 and "1 updated" in text and "dry run" in text
    assert "unit: deaths\n" not in _yaml(rich)
    code, text = run("import", str(out), "--framework", "RICH-FW")
    assert code == 0 and "1 updated" in text
    assert "unit: deaths\n" in _yaml(rich)
    rows[0]["baseline_value"] = "many"
    _write_csv(out, rows)
    code, text = run("import", str(out), "--framework", "RICH-FW")
    assert code == 2 and f"{out}:2:baseline_value: 'many' is not a number" in text
    assert run("export", "NOPE", "-o", str(out.with_name("nope.csv")))[0] == 4


def test_a_code_taken_above_the_importers_clearance_is_refused_without_writing(rich, tmp_path):
    rows = _csv(_export(rich, ANALYST, tmp_path))
    secret_code = "RICH.S1.2.1.O1.I1"  # exists, but SECRET: the RESTRICTED analyst cannot see it
    rows.append({k: "" for k in rows[0]} | {"code": secret_code, "objective": "RICH.S2.O1", "name": "Mine"})
    path = _write_csv(tmp_path / "clash.csv", rows)
    before, audit = _yaml(rich), _audit_count(rich)
    with pytest.raises(InvalidInput) as caught, rich.session(ANALYST) as s:
        import_indicators(s, path.read_bytes(), str(path), "RICH-FW")
    # the row and column, and no more than that the code is taken: not its level, title or kind
    assert f"{path}:6:code: code '{secret_code}' is not available in RICH-FW" in str(caught.value)
    assert "CANARY" not in str(caught.value) and "SECRET" not in str(caught.value)
    assert _yaml(rich) == before and _audit_count(rich) == audit
