"""The jwt function: sign a JSON Web Token as Make's runtime does with npm jsonwebtoken.

Signing goes through PyJWT. The payload is serialised with `createJSON`'s rules, so numbers
and key order match what JavaScript would produce. Supported options, named as in
jsonwebtoken: `header` (extra header fields), `keyid` (header `kid`), `expiresIn`,
`notBefore` (seconds as a number, or a time span such as `"2h"`, `"7d"` or `"90s"`, where
text without a unit is milliseconds), `audience`, `issuer`, `subject`, `jwtid` and `noTimestamp`.
An `iat` claim with the current time is added unless the payload has one or `noTimestamp`
is true.
"""

from __future__ import annotations

import math
import re
import warnings
from decimal import Decimal

import jwt as pyjwt

from ..values import Value, is_nullish, is_number, to_string, truthy
from .coerce import CallLike, fail, to_collection, wrong_type
from .jsonfns import to_json_text
from .registry import BUILTINS

SUPPORTED_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512")

_TIME_SPAN = re.compile(
    r"(-?(?:\d+)?\.?\d+)\s*(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|"
    r"hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?",
    re.IGNORECASE,
)
_UNIT_MILLISECONDS = {
    "ms": 1,
    "msec": 1,
    "msecs": 1,
    "millisecond": 1,
    "milliseconds": 1,
    "s": 1000,
    "sec": 1000,
    "secs": 1000,
    "second": 1000,
    "seconds": 1000,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
    "hr": 3_600_000,
    "hrs": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
    "d": 86_400_000,
    "day": 86_400_000,
    "days": 86_400_000,
    "w": 604_800_000,
    "week": 604_800_000,
    "weeks": 604_800_000,
    "y": 31_557_600_000,
    "yr": 31_557_600_000,
    "yrs": 31_557_600_000,
    "year": 31_557_600_000,
    "years": 31_557_600_000,
}


def _time_span_seconds(call: CallLike, name: str, value: Value) -> Decimal:
    """Read a jsonwebtoken time span option as seconds."""
    if is_number(value):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, str):
        match = _TIME_SPAN.fullmatch(value.strip())
        if match:
            unit = (match.group(2) or "ms").lower()
            return Decimal(match.group(1)) * _UNIT_MILLISECONDS[unit] / 1000
    fail(call, f"option {name} must be a number of seconds or a time span such as '2h' or '7d'.")


def _claim_time(issued_at: Decimal, span: Decimal) -> int:
    return math.floor(issued_at + span)


@BUILTINS.register("jwt", min_args=2, max_args=4)
def jwt(
    call: CallLike, payload: Value, secret: Value, algorithm: Value = "HS256", options: Value = None
) -> Value:
    """Return a signed JSON Web Token (compact serialisation).

    Arguments: the payload (a collection, or text signed as it is), the secret (text or
    binary for HS*, a PEM private key for RS*), the algorithm (default HS256) and options
    (see the module docstring).
    """
    if isinstance(payload, dict):
        claims: dict[str, Value] | None = dict(payload)
    elif isinstance(payload, str):
        claims = None
    else:
        wrong_type(call, 1, payload, "a collection or text")

    if is_nullish(secret) or secret == "" or secret == b"":
        fail(call, "argument 2 (the secret or private key) is missing or empty.")
    if isinstance(secret, (bytes, bytearray)):
        key: str | bytes = bytes(secret)
    elif isinstance(secret, str):
        key = secret
    else:
        wrong_type(call, 2, secret, "text or binary (the secret or private key)")

    name = "HS256" if is_nullish(algorithm) else to_string(algorithm).upper()
    if name not in SUPPORTED_ALGORITHMS:
        fail(call, f"argument 3 is an unsupported algorithm; use one of {', '.join(SUPPORTED_ALGORITHMS)}.")
    settings = {} if is_nullish(options) else to_collection(call, options, 4)

    headers: dict[str, Value] = {"alg": name}
    if not is_nullish(settings.get("keyid")):
        headers["kid"] = to_string(settings["keyid"])
    extra_header = settings.get("header")
    if not is_nullish(extra_header):
        headers.update(to_collection(call, extra_header, 4))
        headers["alg"] = name

    if claims is not None:
        _apply_claim_options(call, claims, settings)
        body = to_json_text(claims) or "{}"
    else:
        body = payload

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pyjwt.api_jws.encode(
                body.encode("utf-8"),
                key,
                algorithm=name,
                headers=headers,
                sort_headers=False,
            )
    except (pyjwt.PyJWTError, ValueError, TypeError) as error:
        hint = "a PEM private key" if name.startswith("RS") else "a shared secret (not a PEM key)"
        fail(call, f"argument 2 cannot sign with {name}: it must be {hint} ({type(error).__name__}).")


def _apply_claim_options(call: CallLike, claims: dict[str, Value], settings: dict[str, Value]) -> None:
    """Add the registered claims that jsonwebtoken derives from its options."""
    now_seconds = Decimal(int(call.now.timestamp() * 1000)) / 1000
    issued_at = now_seconds
    if "iat" in claims and is_number(claims["iat"]):
        issued_at = (
            Decimal(repr(claims["iat"])) if isinstance(claims["iat"], float) else Decimal(claims["iat"])
        )
    elif not truthy(settings.get("noTimestamp")):
        claims["iat"] = math.floor(now_seconds)
        issued_at = Decimal(math.floor(now_seconds))

    for option, claim in (("expiresIn", "exp"), ("notBefore", "nbf")):
        value = settings.get(option)
        if is_nullish(value):
            continue
        if claim in claims:
            fail(call, f"option {option} conflicts with the '{claim}' claim already in the payload.")
        claims[claim] = _claim_time(issued_at, _time_span_seconds(call, option, value))

    for option, claim in (("audience", "aud"), ("issuer", "iss"), ("subject", "sub"), ("jwtid", "jti")):
        value = settings.get(option)
        if is_nullish(value):
            continue
        if claim in claims:
            fail(call, f"option {option} conflicts with the '{claim}' claim already in the payload.")
        claims[claim] = value
