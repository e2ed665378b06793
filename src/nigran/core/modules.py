"""Optional domain modules: the platform names the domains that plug into it (commands, pages, jobs, tables)
and loads each one that exists, so a domain can be added without editing the platform's files again."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_import(name: str) -> ModuleType | None:
    """The module, or ``None`` when it (or its package) does not exist; an error inside a module that
    exists — a missing import it needs — is raised, since that is a defect, not an absent domain."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (name == missing or name.startswith(missing + ".")):
            return None
        raise
