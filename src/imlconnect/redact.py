"""Redaction of secret values by value, in text and in JSON-like data.

A `Redactor` contains the secret strings of one run: password, cert and pkey parameters, every
value of `common`, every value of stored and new `data`, the values of credential headers, and
the values at the spec's `log.sanitize` paths. It replaces each of them, and also their base64
and URL-encoded forms, wherever they appear.

Secrets that only appear on the wire are learned while the run goes on: `WireSecretCollector`
provides the transport hooks that read credential headers and `log.sanitize` paths from every
request and response, so a later error message that echoes such a value is masked too.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from .iml.values import UNDEFINED, to_string

MASK = "********"

#: Secrets shorter than this are not replaced inside free text, because masking every "1" or
#: "true" would garble messages without protecting anything. Structured masking still applies.
MIN_SECRET_LENGTH = 4

#: Header names whose values are credentials whatever the spec says.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


#: Characters that URL encoding keeps as they are in a path: RFC 3986 reserved and unreserved ones.
URL_KEPT_CHARACTERS = "!#$&'()*+,/:;=?@[]~"


def _variants(secret: str) -> set[str]:
    """Return the forms in which a secret can leak: as is, base64, URL-encoded, JSON-escaped."""
    raw = secret.encode("utf-8")
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        # A URL path keeps RFC 3986 reserved characters and encodes only the rest.
        quote(secret, safe=URL_KEPT_CHARACTERS),
        base64.b64encode(raw).decode("ascii"),
        base64.urlsafe_b64encode(raw).decode("ascii"),
        # Inside JSON text (request bodies, echoed error bodies) quotes, backslashes, control
        # characters and, with ASCII escaping, non-ASCII letters are escaped.
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
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
        self._lock = threading.Lock()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Learn more secret values. Empty and very short values are ignored for text.

        Safe to call from transport hooks while other threads redact: the compiled pattern is
        replaced in one assignment.
        """
        with self._lock:
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
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

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


# --- credential headers ------------------------------------------------------------------------


def credential_secrets(name: str, value: str) -> list[str]:
    """Return the secret strings in a credential header value, for a redactor to learn.

    The whole value is always secret. `Authorization: Bearer T` adds `T`; Basic credentials add
    the decoded `user:password` and the password. Cookie headers add each cookie value, and
    `Set-Cookie` adds the value of the cookie it sets. Other header names return the value only.
    """
    value = value.strip()
    found = [value]
    lower = name.lower()
    if lower in ("authorization", "proxy-authorization"):
        scheme, _, credentials = value.partition(" ")
        credentials = credentials.strip()
        if credentials:
            found.append(credentials)
        if scheme.lower() == "basic" and credentials:
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if decoded:
                found.append(decoded)
                found.append(decoded.partition(":")[2])
    elif lower == "cookie":
        for pair in value.split(";"):
            found.append(pair.partition("=")[2].strip())
    elif lower == "set-cookie":
        found.append(value.split(";", 1)[0].partition("=")[2].strip())
    return [item for item in found if item]


# --- log.sanitize paths ------------------------------------------------------------------------


@dataclass
class SanitizeRule:
    """The `log.sanitize` paths of one request, grouped by where the value sits.

    `headers` contains lower-case header names; `qs` contains query keys; `request_body` and
    `response_body` contain dotted paths inside a JSON or urlencoded body.
    """

    headers: set[str] = field(default_factory=set)
    qs: set[str] = field(default_factory=set)
    request_body: set[str] = field(default_factory=set)
    response_body: set[str] = field(default_factory=set)


def sanitize_rules(requests: Sequence[Any]) -> dict[str, SanitizeRule]:
    """Map each request's JSON path to the `log.sanitize` paths it declares.

    Paths read `request.headers.NAME`, `request.qs.KEY`, `request.body.a.b` or
    `response.body.a.b`; backticks around a key are dropped. Other paths are ignored.
    """
    rules: dict[str, SanitizeRule] = {}
    for request in requests or []:
        rule = SanitizeRule()
        for path in getattr(request, "log_sanitize", []) or []:
            parts = str(path).replace("`", "").split(".", 2)
            if len(parts) < 3:
                continue
            scope, kind, rest = parts
            if scope == "request" and kind == "headers":
                rule.headers.add(rest.lower())
            elif scope == "request" and kind == "qs":
                rule.qs.add(rest)
            elif scope == "request" and kind == "body":
                rule.request_body.add(rest)
            elif scope == "response" and kind == "body":
                rule.response_body.add(rest)
        rules[getattr(request, "json_path", "communication")] = rule
    return rules


def rule_for(rules: dict[str, SanitizeRule], request_id: str) -> SanitizeRule:
    """Return the rule of the request whose wire `request_id` is `<json path>#<number>`."""
    return rules.get(str(request_id).split("#", 1)[0], SanitizeRule())


def parse_body(body: bytes | None) -> Any:
    """Read a body as JSON, else as urlencoded pairs; return None when it is neither."""
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        pass
    if "=" in text and "\n" not in text.strip():
        return dict(parse_qsl(text, keep_blank_values=True))
    return None


def values_at(document: Any, path: str) -> list[Any]:
    """Return the values at a dotted path in a parsed body; arrays are searched item by item."""
    nodes = [document]
    for key in path.split("."):
        following: list[Any] = []
        for node in nodes:
            if isinstance(node, list):
                following.extend(item[key] for item in node if isinstance(item, dict) and key in item)
            elif isinstance(node, dict) and key in node:
                following.append(node[key])
        nodes = following
    return nodes


class WireSecretCollector:
    """Transport hooks that teach a redactor the secrets seen on the wire, hop by hop.

    `on_request(request)` learns credential headers and the `request.*` sanitize paths of each
    request; `on_response(request, response)` learns credential headers (such as `Set-Cookie`)
    and the `response.body.*` sanitize paths of each response.
    """

    def __init__(self, redactor: Redactor, requests: Sequence[Any] = ()) -> None:
        self.redactor = redactor
        self.rules = sanitize_rules(requests)

    def on_request(self, request: Any) -> None:
        """Learn the secrets of one request hop."""
        rule = rule_for(self.rules, getattr(request, "request_id", ""))
        found: list[str] = []
        for name, value in request.headers:
            lower = name.lower()
            if lower in CREDENTIAL_HEADERS or lower in rule.headers:
                found.extend(credential_secrets(name, value))
        if rule.qs:
            query = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
            found.extend(value for key, value in query if key in rule.qs)
        if rule.request_body:
            document = parse_body(request.body)
            for path in rule.request_body:
                found.extend(collect_strings(values_at(document, path)))
        self.redactor.add(found)

    def on_response(self, request: Any, response: Any) -> None:
        """Learn the secrets of one response hop."""
        rule = rule_for(self.rules, getattr(request, "request_id", ""))
        found: list[str] = []
        for name, value in response.headers:
            if name.lower() in CREDENTIAL_HEADERS:
                found.extend(credential_secrets(name, value))
        if rule.response_body:
            document = parse_body(response.body)
            for path in rule.response_body:
                found.extend(collect_strings(values_at(document, path)))
        self.redactor.add(found)


# --- exceptions --------------------------------------------------------------------------------


def redact_exception(error: BaseException, redactor: Redactor) -> BaseException:
    """Mask secrets in an exception's arguments, `message` and `problems`, in place; return it.

    Chained causes are redacted too, because tracebacks print them.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(redactor.text(arg) if isinstance(arg, str) else arg for arg in current.args)
        message = getattr(current, "message", None)
        if isinstance(message, str):
            try:
                current.message = redactor.text(message)  # type: ignore[attr-defined]
            except AttributeError:
                pass
        problems = getattr(current, "problems", None)
        if isinstance(problems, list):
            current.problems = [_redact_problem(problem, redactor) for problem in problems]  # type: ignore[attr-defined]
        current = current.__cause__ or current.__context__
    return error


def _redact_problem(problem: Any, redactor: Redactor) -> Any:
    from dataclasses import replace

    from .errors import Problem

    if isinstance(problem, Problem):
        return replace(problem, message=redactor.text(problem.message))
    if isinstance(problem, dict):
        return redactor.data(problem)
    return problem
