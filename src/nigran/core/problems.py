"""A problem found in an input, printed the way compilers do: ``FILE:LINE: message``."""

from __future__ import annotations

from dataclasses import dataclass

from nigran.core.errors import InvalidInput

__all__ = ["InvalidInput", "Problem"]


@dataclass(frozen=True, order=True)
class Problem:
    """``line`` 0 means the problem belongs to the whole input (a file that cannot be read, an option)."""

    line: int
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (self.file or "input")
        return f"{where}: {self.message}"
