"""Logging set-up with redaction of the secrets of every active run.

While a run is active (between `register` and `unregister`, or inside `redacting`), every log
record created in the process has its message, its exception text and its stack text passed
through the run's redactor when the record is created. Redacting at creation, through the log
record factory, covers every handler: imlconnect's stderr handler, an application's handlers and
pytest's `caplog` alike. Handler-level filters would only cover the handlers they are attached to.

The `RedactingFilter` on imlconnect's own handler applies the same redaction a second time, so a
record created before a secret was learned is masked if it is emitted later.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .redact import Redactor

_lock = threading.Lock()
_active: list[Redactor] = []
_previous_factory: Callable[..., logging.LogRecord] | None = None


def register(redactor: Redactor) -> None:
    """Make every log record pass through `redactor` until `unregister` is called."""
    with _lock:
        _active.append(redactor)
        _install_factory()


def unregister(redactor: Redactor) -> None:
    """Stop redacting log records with `redactor`; unknown redactors are ignored."""
    with _lock:
        if redactor in _active:
            _active.remove(redactor)


@contextmanager
def redacting(redactor: Redactor) -> Iterator[Redactor]:
    """Register `redactor` for the duration of a `with` block."""
    register(redactor)
    try:
        yield redactor
    finally:
        unregister(redactor)


def active_redactors() -> list[Redactor]:
    """Return the redactors of the runs that are active now."""
    with _lock:
        return list(_active)


def redact_record(record: logging.LogRecord, redactors: list[Redactor]) -> None:
    """Replace the message, exception text and stack text of `record` with redacted text.

    The formatted exception goes to `exc_text` and `exc_info` is cleared, so no handler formats
    the raw exception again. Formatters print `exc_text` when it is set.
    """
    if not redactors:
        return

    def clean(text: str) -> str:
        for redactor in redactors:
            text = redactor.text(text)
        return text

    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = f"{record.msg} {record.args!r}"
    record.msg = clean(message)
    record.args = None

    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_info = None
    if record.exc_text:
        record.exc_text = clean(record.exc_text)
    if record.stack_info:
        record.stack_info = clean(record.stack_info)


def _install_factory() -> None:
    """Wrap the current log record factory once; the caller holds `_lock`."""
    global _previous_factory
    if _previous_factory is not None:
        return
    previous = logging.getLogRecordFactory()
    _previous_factory = previous

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactors = active_redactors()
        if redactors:
            redact_record(record, redactors)
        return record

    logging.setLogRecordFactory(factory)


class RedactingFilter(logging.Filter):
    """Replace secret values in the final text of every record, including its exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record, active_redactors())
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
