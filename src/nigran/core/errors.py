"""The domain's errors: raised by services, mapped to exit codes (CLI) and HTTP statuses (web) in one place.

Services raise these and nothing else for conditions a user can act on; each carries what the front end
needs: a message that names no record the caller may not see, and for invalid input every problem found.
Messages never tell the user to run a particular command: that is the front end's business.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from nigran.core.problems import Problem


class NigranError(Exception):
    """Base of every error a user can act on. ``exit_code`` for the CLI, ``http_status`` for the web."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400
    title: ClassVar[str] = "error"

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.title


class InvalidInput(NigranError, ValueError):
    """Input with problems; carries all of them (with file and line), and nothing was written."""

    exit_code = 2
    http_status = 422
    title = "invalid input"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class NotFound(NigranError, LookupError):
    """No such record, or none the caller may see (the two are never told apart)."""

    exit_code = 4
    http_status = 404
    title = "not found"


class AccessDenied(NigranError, PermissionError):
    """A write (or an administrative read) the acting principal is not allowed; plain reads are filtered."""

    exit_code = 3
    http_status = 403
    title = "access denied"


class NoPrincipal(NigranError, RuntimeError):
    """A session was used without saying who acts: we fail closed rather than read unfiltered."""

    exit_code = 3
    http_status = 401
    title = "no principal"


class Conflict(NigranError, RuntimeError):
    """The record changed since it was read, or a unique value is taken: reload and retry."""

    exit_code = 5
    http_status = 409
    title = "conflict"


class IllegalTransition(NigranError, ValueError):
    """A workflow step that the record's current state does not allow."""

    exit_code = 5
    http_status = 409
    title = "illegal transition"


class Busy(NigranError, RuntimeError):
    """Another writer holds the database; nothing was written, and the same call may succeed later."""

    exit_code = 75  # EX_TEMPFAIL
    http_status = 503
    title = "busy, retry"


class StorageUnavailable(NigranError, RuntimeError):
    """No usable database: missing, not a Nigran database, not at the current schema, or unreachable."""

    exit_code = 6
    http_status = 503
    title = "database unavailable"


class OutputRefused(NigranError, OSError):
    """An output file that may not or cannot be written (exists without --force, the database, a symlink)."""

    exit_code = 7
    http_status = 500
    title = "output refused"
