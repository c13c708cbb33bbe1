"""Logging set-up with redaction of the secrets of every active run."""

from __future__ import annotations

import logging
import sys
import threading

from .redact import Redactor

_lock = threading.Lock()
_active: list[Redactor] = []


def register(redactor: Redactor) -> None:
    """Make log records pass through `redactor` until `unregister` is called."""
    with _lock:
        _active.append(redactor)


def unregister(redactor: Redactor) -> None:
    with _lock:
        if redactor in _active:
            _active.remove(redactor)


class RedactingFilter(logging.Filter):
    """Replace secret values in the final text of every record, including its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            redactors = list(_active)
        if not redactors:
            return True
        text = record.getMessage()
        for redactor in redactors:
            text = redactor.text(text)
        record.msg = text
        record.args = None
        return True


def install_handler(level: int) -> None:
    """Send imlconnect's log records to stderr at `level`, redacted. Safe to call twice."""
    logger = logging.getLogger("imlconnect")
    logger.setLevel(level)
    if any(isinstance(h, logging.StreamHandler) and getattr(h, "_imlconnect", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler._imlconnect = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
