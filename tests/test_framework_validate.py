"""Validation finds every problem, names its line, and nothing is ever written from a bad file."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.helpers import ADMIN, FIXTURES, load_file

from nigran.core.problems import InvalidInput
from nigran.core.yamldoc import load_yaml
from nigran.policy import service
from nigran.policy.models import Framework, Indicator
from nigran.policy.validate import validate_document

MALFORMED = FIXTURES / "malformed-framework.yaml"

EXPECTED = [  # (line, fragment of the message)
    (2, "code 'BAD FW' may hold only"),
    (5, "period ends (2023-12-31) before it starts"),
    (6, "unknown entity 'NOSUCH'"),
    (10, "PUBLIC is lower than its parent's RESTRICTED"),
    (18, "targets given but no baseline"),
    (19, "has a baseline or targets but no unit"),
    (22, "direction 'sideways' is not one of"),
    (23, "duplicate code 'BAD.S1.O1.I1' (first at line 15)"),
    (25, "unknown field 'tagets'"),
    (28, "direction 'maintain' needs band"),
    (29, "unknown entity 'MOX'"),
    (33, "'due' must be a date"),
    (34, "status 'finished' is not one of"),
]


def test_every_problem_is_reported_with_its_line():
    doc = load_yaml(MALFORMED.read_text())
    problems = validate_document(doc, "f.yaml", {"NSD", "MOI"})
    got = [(p.line, p.message) for p in problems]
    assert len(got) == len(EXPECTED), "\n".join(map(str, problems))
    for (line, fragment), (got_line, message) in zip(EXPECTED, got, strict=True):
        assert got_line == line and fragment in message, (line, fragment, got_line, message)
    assert str(problems[0]).startswith("f.yaml:2: ")


def test_malformed_file_writes_nothing(db):
    with db.session(ADMIN) as s:
        before = s.scalar(select(func.count()).select_from(Framework))
    with pytest.raises(InvalidInput) as info, db.session(ADMIN) as s:
        load_file(s, MALFORMED)
    assert len(info.value.problems) == len(EXPECTED)
    with db.session(ADMIN) as s:
        assert s.scalar(select(func.count()).select_from(Framework)) == before


def test_yaml_syntax_error_names_the_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("framework:\n  code: X\n  title: ok\n  period: {start: 2022-01-01\n  sections: []\n")
    _, problems = service.read_document(bad.read_bytes(), str(bad))
    assert len(problems) == 1 and problems[0].line in (4, 5) and "YAML syntax error" in problems[0].message


@pytest.mark.parametrize(
    ("patch", "fragment"),
    [
        ({"targets": {2030: 5}}, "target year 2030 is outside the framework period 2022..2026"),
        ({"direction": "maintain", "band": {"min": 5, "max": 1}}, "band needs numbers with min <= max"),
        ({"band": {"min": 1, "max": 2}}, "a band is only for direction 'maintain'"),
        ({"baseline": {"value": "high"}}, "baseline value must be a number"),
        ({"frequency": "weekly"}, "frequency 'weekly' is not one of"),
        ({"responsible": [{"entity": "MOI", "role": "boss"}]}, "role 'boss' is not one of"),
    ],
)
def test_indicator_rules(patch, fragment):
    indicator = {"code": "F.S.O.I", "name": "n", "unit": "u", "baseline": {"value": 1}, "targets": {2024: 2}}
    indicator.update(patch)
    doc = {
        "framework": {
            "code": "F",
            "title": "t",
            "period": {"start": "2022-01-01", "end": "2026-12-31"},
            "sections": [
                {
                    "code": "F.S",
                    "title": "s",
                    "objectives": [{"code": "F.S.O", "title": "o", "indicators": [indicator]}],
                }
            ],
        }
    }
    messages = [p.message for p in validate_document(doc, "x", {"MOI"})]
    assert any(fragment in m for m in messages), messages


def test_a_failure_midway_rolls_back_the_whole_load(db, monkeypatch):
    """Even an error after every row was flushed to the database leaves no trace."""
    from nigran.policy import loader

    original = loader.FrameworkBuilder.build
    flushed = {}

    def exploding(self, doc):  # type: ignore[no-untyped-def]
        original(self, doc)
        self.session.flush()
        flushed["n"] = self.session.scalar(select(func.count()).select_from(Indicator))
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader.FrameworkBuilder, "build", exploding)
    with pytest.raises(RuntimeError), db.session(ADMIN) as s:
        load_file(s, FIXTURES / "canary-framework.yaml")
    assert flushed["n"] == 3
    with db.session(ADMIN) as s:
        assert s.scalar(select(func.count()).select_from(Indicator)) == 0
        assert s.scalar(select(func.count()).select_from(Framework)) == 0
