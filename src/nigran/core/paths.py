"""Where the bundled data lives inside the installed package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DATA = resources.files("nigran") / "data"


def data_path(*parts: str) -> Path:
    return Path(str(DATA.joinpath(*parts)))
