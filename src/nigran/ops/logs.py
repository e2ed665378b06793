"""Logs: human lines (the default) or JSON lines (``NIGRAN_LOG_FORMAT=json``) to stderr, with the request id.

Standard :mod:`logging` only. Every record logged while a request is served carries its request id (a
context variable set by :class:`nigran.ops.pages.RequestContext`), so an error deep in a service can be
matched to the access line and to what the user saw (the ``X-Request-ID`` response header). The access line
(logger ``nigran.access``) holds: method, route template, status, duration in milliseconds, user name.

What never reaches a log: query strings, request headers, cookies, passwords, API tokens. The access line
names the route template (``/api/jobs/{job_id}``), not the raw URL; uvicorn's own access log, which prints
the raw URL with its query string, is switched off by :func:`configure` in favour of ours. Under systemd
stderr goes to the journal (``journalctl -u nigran-web@8001``).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
import uuid
from typing import Any

FORMAT_ENV = "NIGRAN_LOG_FORMAT"
LEVEL_ENV = "NIGRAN_LOG_LEVEL"
#: request-scoped fields every record carries when it has them
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("nigran_request_id", default=None)
#: the fields the access logger sets through ``extra=``
ACCESS_FIELDS = ("method", "route", "status", "duration_ms", "user", "client")
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
_HANDLER_NAME = "nigran-stderr"


def request_id_from(header: str | None) -> str:
    """The caller's ``X-Request-ID`` when it is sane (1–100 letters, digits, ``._:-``), else a new one."""
    if header and _SANE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``None`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, the access fields
    when present, and the exception's text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                out[name] = getattr(record, name)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class HumanFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        if record.request_id is None:
            record.request_id = "-"
        return super().format(record)


def make_handler(stream: Any = None, fmt: str | None = None) -> logging.Handler:
    fmt = (fmt or os.environ.get(FORMAT_ENV) or "human").strip().lower()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else HumanFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure(stream: Any = None, fmt: str | None = None) -> logging.Handler:
    """Send Nigran's logs (and uvicorn's, in the same format) to stderr; idempotent.

    Called by the web app when it starts serving (after uvicorn set up its own logging). uvicorn's access
    log is turned off: :class:`nigran.ops.pages.RequestContext` writes one without the query string."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = make_handler(stream, fmt)
    root.addHandler(handler)
    level = (os.environ.get(LEVEL_ENV) or "INFO").upper()
    root.setLevel(level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO")
    for name in ("uvicorn", "uvicorn.error"):  # through our handler, in our format
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate, access.disabled = [], False, True
    return handler
