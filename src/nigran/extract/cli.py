"""``nigran extract``: run the extractor, evaluate it, and review what it found.

Thin adapter: the commands live in :mod:`nigran.extract.run_cli` (run, evaluate) and
:mod:`nigran.extract.review_cli` (the review queue), each adding itself to this group.
"""

from __future__ import annotations

import typer

from nigran.extract import review_cli, run_cli

app = typer.Typer(help="Extract incidents from news articles, review them, and measure the extractor.")
run_cli.register(app)
review_cli.register(app)
