"""A problem found in an input, printed the way compilers do: ``FILE:LINE: message``."""

from __future__ import annotations

from dataclasses import dataclass

from nigran.core.errors import InvalidInput

__all__ = ["InvalidInput", "Problem"]


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    message: str
    file: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"
