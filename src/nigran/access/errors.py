"""Errors raised when someone reaches past their role, clearance or entity."""


class AccessDenied(PermissionError):
    """Raised on a write the acting principal is not allowed to make; reads are filtered, never raised."""


class NoPrincipal(RuntimeError):
    """A session was used without saying who acts: we fail closed rather than read unfiltered."""
