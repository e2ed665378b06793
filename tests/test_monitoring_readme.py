"""The README's reporting walkthrough runs from ``nigran demo`` as written: something to fill, a real id."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import REVIEWER, focal

from nigran.monitoring import service
from nigran.monitoring.excel import IND_COLS, MS_COLS, build_template

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_readme_template_has_something_to_fill_and_its_verify_id_awaits_review(demo_db):
    template = re.search(r"--as focal-(\w+) reporting template (.*)", README)
    assert template is not None
    args = dict(re.findall(r"--(framework|entity|cycle) (\S+)", template.group(2)))
    entity = args["entity"]
    assert template.group(1).upper() == entity
    with demo_db.session(focal(demo_db, entity)) as s:
        wb = build_template(s, args["framework"], args["cycle"], entity)
    states = [
        row[cols.index("Current state / reviewer comment")]
        for name, cols in (("Indicators", IND_COLS), ("Milestones", MS_COLS))
        for row in wb[name].iter_rows(min_row=2, values_only=True)
    ]
    assert any(s == "not reported" or s.startswith("returned") for s in states), states
    verify = re.search(r"--as reviewer reporting verify (\d+)", README)
    queue = re.search(r"--as reviewer reporting queue --framework (\S+)", README)
    assert (
        verify is not None
        and queue is not None
        and README.index(queue.group(0)) < README.index(verify.group(0))
    )
    sub_id = int(verify.group(1))
    with demo_db.session(REVIEWER) as s:
        waiting = [q.submission_id for q in service.review_queue(s, queue.group(1))]
        assert waiting and waiting[0] == sub_id  # the oldest, at the top of the queue
        assert service.verify(s, sub_id).state == "verified"
