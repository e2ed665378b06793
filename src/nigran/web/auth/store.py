"""Sign-in, sessions and API tokens, stored in the database so that every app process agrees.

Authentication happens before there is a principal, so this module reads accounts and writes its own
bookkeeping tables (``nigran.access.auth_models``) on plain connections rather than through a user's
guarded session. It reads no classified table, returns only a :class:`Principal`, and is the only code that
does so. Reads use a read-only connection (on SQLite no write lock is taken); the few writes are short.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from sqlalchemy import Connection, Engine, and_, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from nigran.access import passwords
from nigran.access.auth_models import ApiToken, SignInAttempt, WebSession
from nigran.access.classification import Classification
from nigran.access.models import User
from nigran.access.principal import Principal, Role
from nigran.core.errors import NigranError
from nigran.storage.base import utcnow
from nigran.storage.db import Database, make_engine
from nigran.storage.errors import translate_error
from nigran.web.auth import secrets as sec
from nigran.web.config import WebSettings

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute per session


class SignInFailed(NigranError):
    """Wrong user name or password; the message never says which (ASVS 2.2.1, no account enumeration)."""

    exit_code = 3
    http_status = 401
    title: ClassVar[str] = "sign-in failed"


class TooManyAttempts(NigranError):
    """The account (or the address) is locked for a while after repeated failures."""

    exit_code = 75
    http_status = 429
    title: ClassVar[str] = "too many attempts"


@dataclass(frozen=True)
class SessionInfo:
    id: int
    principal: Principal
    basis: str  # the raw cookie value, the basis of the session's CSRF token
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked: bool


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _principal(row: object) -> Principal:
    return Principal(
        username=row.username,  # type: ignore[attr-defined]
        role=Role(row.role),  # type: ignore[attr-defined]
        clearance=Classification.parse(row.clearance),  # type: ignore[attr-defined]
        entity_id=row.entity_id,  # type: ignore[attr-defined]
        user_id=row.user_id,  # type: ignore[attr-defined]
    )


_USER_COLUMNS = (
    User.id.label("user_id"),
    User.username,
    User.role,
    User.clearance,
    User.entity_id,
)


class AuthStore:
    """The authentication layer over one :class:`Database`."""

    def __init__(self, db: Database, settings: WebSettings | None = None) -> None:
        self.db = db
        self.settings = settings or WebSettings.from_env()
        self._reader: Engine = make_engine(db.url, readonly=True) if db.dialect == "sqlite" else db.engine

    def dispose(self) -> None:
        if self._reader is not self.db.engine:
            self._reader.dispose()

    @contextmanager
    def _conn(self, *, write: bool) -> Iterator[Connection]:
        engine = self.db.engine if write else self._reader
        try:
            with engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            translated = translate_error(exc, self.db.url)
            if translated is None:
                raise
            raise translated from exc

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A plain read-only connection, for checks that must see every row regardless of the reader and
        then tell the reader only what they may learn (the audit chain's verification)."""
        with self._conn(write=False) as conn:
            yield conn

    # --- sign-in -------------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, *, address: str = "", user_agent: str = "") -> str:
        """Check the password and open a session; returns the raw session token (for the cookie only)."""
        name = username.strip()[:80]
        address = address[:64]
        now = utcnow()
        self._refuse_if_locked(name, address, now)
        with self._conn(write=False) as conn:
            row = conn.execute(
                select(*_USER_COLUMNS, User.password_hash, User.active).where(User.username == name)
            ).first()
        ok = passwords.verify_password(row.password_hash if row else None, password)
        ok = ok and row is not None and bool(row.active)
        with self._conn(write=True) as conn:
            conn.execute(insert(SignInAttempt).values(username=name, address=address, at=now, success=ok))
            raw = self._open(conn, row.user_id, now, address, user_agent) if ok and row is not None else None
        if raw is None:  # raised after the commit: the failure must be counted
            raise SignInFailed("the user name or the password is not right")
        return raw

    def _refuse_if_locked(self, name: str, address: str, now: datetime) -> None:
        window = now - timedelta(minutes=self.settings.lockout_minutes)
        with self._conn(write=False) as conn:
            last_ok = conn.scalar(
                select(func.max(SignInAttempt.at)).where(
                    SignInAttempt.username == name, SignInAttempt.success.is_(True)
                )
            )
            since = max(window, _utc(last_ok) or window)
            failures = conn.scalar(
                select(func.count(SignInAttempt.id)).where(
                    SignInAttempt.username == name,
                    SignInAttempt.success.is_(False),
                    SignInAttempt.at > since,
                )
            )
            from_address = (
                conn.scalar(
                    select(func.count(SignInAttempt.id)).where(
                        SignInAttempt.address == address,
                        SignInAttempt.success.is_(False),
                        SignInAttempt.at > window,
                    )
                )
                if address
                else 0
            )
        if (failures or 0) >= self.settings.lockout_failures or (
            from_address or 0
        ) >= self.settings.address_failures:
            raise TooManyAttempts(
                f"too many failed sign-ins: try again in {self.settings.lockout_minutes} minutes"
            )

    def _open(self, conn: Connection, user_id: int, now: datetime, address: str, user_agent: str) -> str:
        raw = sec.new_token()
        conn.execute(
            insert(WebSession).values(
                token_hash=sec.digest(raw),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=self.settings.absolute_hours),
                user_agent=user_agent[:200],
                address=address[:64],
            )
        )
        return raw

    # --- sessions ------------------------------------------------------------------------------------

    def session(self, raw: str | None) -> SessionInfo | None:
        """The live session of a cookie value, or ``None`` (unknown, revoked, idle too long, expired, or
        its account disabled). Touches ``last_seen_at`` at most once a minute."""
        if not raw or len(raw) > 200:
            return None
        now = utcnow()
        with self._conn(write=False) as conn:
            row = conn.execute(
                select(
                    WebSession.id,
                    WebSession.created_at,
                    WebSession.last_seen_at,
                    WebSession.expires_at,
                    *_USER_COLUMNS,
                )
                .join(User, User.id == WebSession.user_id)
                .where(
                    WebSession.token_hash == sec.digest(raw),
                    WebSession.revoked_at.is_(None),
                    User.active.is_(True),
                )
            ).first()
        if row is None:
            return None
        seen, expires = _utc(row.last_seen_at), _utc(row.expires_at)
        assert seen is not None and expires is not None
        if now >= expires or now - seen >= timedelta(minutes=self.settings.idle_minutes):
            return None
        if now - seen >= TOUCH_EVERY:
            with self._conn(write=True) as conn:
                conn.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
            seen = now
        created = _utc(row.created_at)
        assert created is not None
        return SessionInfo(row.id, _principal(row), raw, created, seen, expires)

    def sign_out(self, raw: str | None) -> None:
        if not raw:
            return
        with self._conn(write=True) as conn:
            conn.execute(
                update(WebSession)
                .where(WebSession.token_hash == sec.digest(raw), WebSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )

    def sign_out_everywhere(self, user_id: int, *, keep: str | None = None) -> int:
        """End every session of a user (all devices), except the one whose cookie is ``keep``."""
        condition = and_(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        if keep:
            condition = and_(condition, WebSession.token_hash != sec.digest(keep))
        with self._conn(write=True) as conn:
            result = conn.execute(update(WebSession).where(condition).values(revoked_at=utcnow()))
        return int(result.rowcount or 0)

    def rotate(self, raw: str, *, address: str = "", user_agent: str = "") -> str:
        """A new session for the same user, the old one ended (after a password change, ASVS 3.2.1)."""
        info = self.session(raw)
        if info is None or info.principal.user_id is None:
            raise SignInFailed("the session has ended: sign in again")
        self.sign_out(raw)
        with self._conn(write=True) as conn:
            return self._open(conn, info.principal.user_id, utcnow(), address, user_agent)

    # --- API tokens ----------------------------------------------------------------------------------

    def create_token(self, user_id: int, name: str) -> str:
        """A new API token for ``user_id``; the raw value is returned once and never stored."""
        raw = sec.new_api_token()
        now = utcnow()
        with self._conn(write=True) as conn:
            conn.execute(
                insert(ApiToken).values(
                    token_hash=sec.digest(raw),
                    prefix=raw[: len(sec.TOKEN_PREFIX) + 6],
                    user_id=user_id,
                    name=name.strip()[:100],
                    created_at=now,
                    expires_at=now + timedelta(days=self.settings.token_days),
                )
            )
        return raw

    def tokens(self, user_id: int) -> list[TokenInfo]:
        with self._conn(write=False) as conn:
            rows = conn.execute(
                select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
            ).all()
        return [
            TokenInfo(
                r.id,
                r.name,
                r.prefix,
                _utc(r.created_at),  # type: ignore[arg-type]
                _utc(r.last_used_at),
                _utc(r.expires_at),
                r.revoked_at is not None,
            )
            for r in rows
        ]

    def revoke_token(self, user_id: int, token_id: int) -> bool:
        """Revoke one of ``user_id``'s own tokens; another user's token is treated as absent."""
        with self._conn(write=True) as conn:
            result = conn.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        return bool(result.rowcount)

    def token_principal(self, raw: str) -> Principal | None:
        """The principal an API token acts as: its user, with the user's current role and clearance."""
        if not raw.startswith(sec.TOKEN_PREFIX) or len(raw) > 200:
            return None
        now = utcnow()
        with self._conn(write=False) as conn:
            row = conn.execute(
                select(ApiToken.id, ApiToken.expires_at, ApiToken.last_used_at, *_USER_COLUMNS)
                .join(User, User.id == ApiToken.user_id)
                .where(
                    ApiToken.token_hash == sec.digest(raw),
                    ApiToken.revoked_at.is_(None),
                    User.active.is_(True),
                )
            ).first()
        if row is None:
            return None
        expires = _utc(row.expires_at)
        if expires is not None and now >= expires:
            return None
        used = _utc(row.last_used_at)
        if used is None or now - used >= TOUCH_EVERY:
            with self._conn(write=True) as conn:
                conn.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        return _principal(row)
