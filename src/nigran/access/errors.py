"""Access errors live with the other domain errors; re-exported here where the guard raises them."""

from nigran.core.errors import AccessDenied, NoPrincipal

__all__ = ["AccessDenied", "NoPrincipal"]
