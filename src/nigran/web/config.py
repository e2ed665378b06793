"""The web platform's settings, read from the environment next to :class:`nigran.core.settings.Settings`."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _number(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(env.get(name, "") or default)
    except ValueError:
        return default
    return value if low <= value <= high else default


@dataclass(frozen=True)
class WebSettings:
    """Session lifetimes (ASVS 3.3: idle and absolute timeouts) and the sign-in lock-out rule (ASVS 2.2.1).

    ``secure_cookies`` forces the ``Secure`` flag even when the app sees plain http (behind a TLS proxy that
    does not say so); requests that arrive over https always get it.
    """

    secure_cookies: bool = False
    idle_minutes: int = 30
    absolute_hours: int = 12
    lockout_failures: int = 5
    lockout_minutes: int = 15
    address_failures: int = 50  # failures from one address, any account, in the window: slows spraying
    token_days: int = 90

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> WebSettings:
        env = dict(os.environ if env is None else env)
        return cls(
            secure_cookies=env.get("NIGRAN_SECURE_COOKIES", "") not in ("", "0", "false"),
            idle_minutes=_number(env, "NIGRAN_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
            absolute_hours=_number(env, "NIGRAN_SESSION_HOURS", 12, 1, 24 * 30),
            lockout_failures=_number(env, "NIGRAN_LOCKOUT_FAILURES", 5, 1, 100),
            lockout_minutes=_number(env, "NIGRAN_LOCKOUT_MINUTES", 15, 1, 24 * 60),
            address_failures=_number(env, "NIGRAN_ADDRESS_FAILURES", 50, 1, 10_000),
            token_days=_number(env, "NIGRAN_TOKEN_DAYS", 90, 1, 3650),
        )
