"""Redaction of secret values by value, in text and in JSON-like data.

A `Redactor` knows the secret strings of one run (password, cert and pkey parameters, every value
of `common`, every value of stored and new `data`, header values that carry credentials, and the
values at the spec's `log.sanitize` paths). It replaces each of them, and also their base64 and
URL-encoded forms, wherever they appear.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

from .iml.values import UNDEFINED, to_string

MASK = "********"

#: Secrets shorter than this are not replaced inside free text, because masking every "1" or
#: "true" would garble messages without protecting anything. Structured masking still applies.
MIN_SECRET_LENGTH = 4

#: Header names whose values are credentials whatever the spec says.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def _variants(secret: str) -> set[str]:
    """Return the forms in which a secret can leak: as is, base64, URL-encoded."""
    raw = secret.encode("utf-8")
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        base64.b64encode(raw).decode("ascii"),
        base64.urlsafe_b64encode(raw).decode("ascii"),
    }
    # Base64 padding and the unpadded form both appear in the wild (JWTs, basic auth).
    forms |= {form.rstrip("=") for form in list(forms)}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def collect_strings(value: Any) -> list[str]:
    """Return every leaf of a JSON-like value as text (secrets are compared as text)."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            for child in item.values():
                walk(child)
        elif isinstance(item, list):
            for child in item:
                walk(child)
        elif item is None or item is UNDEFINED or isinstance(item, bool):
            return
        else:
            found.append(to_string(item))

    walk(value)
    return found


class Redactor:
    """Replace known secret values in text and data with `MASK`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Learn more secret values. Empty and very short values are ignored for text."""
        added = False
        for secret in secrets:
            if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
                continue
            for form in _variants(secret):
                if form not in self._secrets:
                    self._secrets.add(form)
                    added = True
        if added:
            # Longest first, so a secret that contains another one is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(form) for form in ordered))

    def add_values(self, value: Any) -> None:
        """Learn every leaf of a JSON-like value (a `common` or `data` collection) as a secret."""
        self.add(collect_strings(value))

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def text(self, text: str) -> str:
        """Return `text` with every known secret form replaced by `MASK`."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def data(self, value: Any) -> Any:
        """Return a copy of a JSON-like value with secrets masked inside every string."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value


def mask_leaves(value: Any) -> Any:
    """Return a copy of a JSON-like value with every non-null leaf replaced by `MASK`.

    Used for `data` in output that was not asked for with `--reveal`: every value of a
    connection's data is a secret, whatever its length.
    """
    if isinstance(value, dict):
        return {key: mask_leaves(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_leaves(item) for item in value]
    if value is None:
        return None
    return MASK
