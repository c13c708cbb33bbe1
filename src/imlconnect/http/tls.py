"""TLS contexts for the transports and plain wording for TLS failures.

Certificates are always verified. By default the trusted authorities are the Mozilla bundle that
`certifi` ships. A request with `ca` (a PEM string) trusts that bundle ONLY, so a connection spec
can pin a private authority without trusting the public ones for that request. Contexts are
cached by the SHA-256 of the PEM text, because building one parses every certificate.

`describe_tls_error` turns OpenSSL's verification codes into messages that name the problem
(expired, self-signed, unknown authority, host name mismatch) and the fix.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
from collections import OrderedDict
from functools import lru_cache

import certifi

from ..errors import TransportError

#: Number of `ca` contexts kept. Each costs a parsed certificate store.
CA_CACHE_SIZE = 32

# OpenSSL X509_V_ERR_* verification codes (include/openssl/x509_vfy.h, stable across 1.1 and 3.x).
_UNABLE_TO_GET_ISSUER_CERT = 2
_CERT_NOT_YET_VALID = 9
_CERT_HAS_EXPIRED = 10
_DEPTH_ZERO_SELF_SIGNED_CERT = 18
_SELF_SIGNED_CERT_IN_CHAIN = 19
_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21
_CERT_REVOKED = 23
_INVALID_CA = 24
_INVALID_PURPOSE = 26
_HOSTNAME_MISMATCH = 62
_IP_ADDRESS_MISMATCH = 64

_UNKNOWN_AUTHORITY_CODES = frozenset(
    {_UNABLE_TO_GET_ISSUER_CERT, _UNABLE_TO_GET_ISSUER_CERT_LOCALLY, _UNABLE_TO_VERIFY_LEAF_SIGNATURE}
)

_ca_cache: OrderedDict[str, ssl.SSLContext] = OrderedDict()
_ca_cache_lock = threading.Lock()


def _new_client_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(["http/1.1"])
    return context


@lru_cache(maxsize=1)
def default_context() -> ssl.SSLContext:
    """Return the shared client context: certifi's authorities, host names checked, TLS 1.2+."""
    return _new_client_context()


def ca_digest(pem: str) -> str:
    """Return the cache key of a `ca` PEM text: its SHA-256 in hex."""
    return hashlib.sha256(pem.encode("utf-8")).hexdigest()


def context_for_ca(pem: str) -> ssl.SSLContext:
    """Return a client context that trusts only the certificates in `pem`.

    Host names are still checked. Raises `TransportError("tls")` when `pem` contains no valid
    certificate.
    """
    key = ca_digest(pem)
    with _ca_cache_lock:
        cached = _ca_cache.get(key)
        if cached is not None:
            _ca_cache.move_to_end(key)
            return cached

    context = _build_ca_context(pem)

    with _ca_cache_lock:
        _ca_cache[key] = context
        _ca_cache.move_to_end(key)
        while len(_ca_cache) > CA_CACHE_SIZE:
            _ca_cache.popitem(last=False)
    return context


def _build_ca_context(pem: str) -> ssl.SSLContext:
    hint = (
        "Give the full PEM text of the authority, from -----BEGIN CERTIFICATE----- "
        "to -----END CERTIFICATE-----."
    )
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise TransportError("tls", f"The 'ca' value is not a PEM certificate. {hint}")
    try:
        context = ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        raise TransportError("tls", f"The 'ca' certificate could not be loaded ({reason}). {hint}") from None
    if context.cert_store_stats().get("x509", 0) == 0:
        raise TransportError("tls", f"The 'ca' value contains no certificate. {hint}")
    context.set_alpn_protocols(["http/1.1"])
    return context


def find_ssl_error(exc: BaseException) -> ssl.SSLError | None:
    """Return the `ssl.SSLError` behind an exception, searching causes, contexts and groups."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    return None


def describe_tls_error(error: ssl.SSLError, host: str, port: int) -> str:
    """Return a plain message for a failed TLS handshake with `host:port`.

    Certificate problems name the cause: expired, not yet valid, self-signed, unknown
    authority, host name mismatch, revoked. Other failures state that the handshake failed and why.
    """
    where = f"{host}:{port}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return _describe_verification(error, host, where)

    reason = (getattr(error, "reason", None) or "").upper()
    if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST"):
        return (
            f"The TLS handshake with {where} failed because the server did not answer with TLS. "
            "If it serves plain HTTP, use an http:// URL."
        )
    if "UNSUPPORTED_PROTOCOL" in reason or "NO_PROTOCOLS_AVAILABLE" in reason:
        return (
            f"The TLS handshake with {where} failed because the server supports no TLS version that is "
            "allowed here (TLS 1.2 or later is required)."
        )
    if "ALERT" in reason or "HANDSHAKE_FAILURE" in reason:
        detail = (getattr(error, "reason", None) or "").lower().replace("_", " ")
        return f"The TLS handshake with {where} failed: the server sent the alert '{detail}'."
    if isinstance(error, ssl.SSLEOFError) or "EOF" in reason:
        return f"The TLS handshake with {where} failed because the server closed the connection."
    detail = getattr(error, "reason", None) or str(error)
    return f"The TLS handshake with {where} failed: {detail}."


def _describe_verification(error: ssl.SSLCertVerificationError, host: str, where: str) -> str:
    code = getattr(error, "verify_code", None)
    detail = getattr(error, "verify_message", None) or str(error)
    trust_hint = "To trust a private authority, give its certificate in the request's 'ca'."

    if code == _CERT_HAS_EXPIRED:
        return (
            f"The TLS certificate of {where} has expired, so the connection was not trusted. "
            "The server must renew its certificate."
        )
    if code == _CERT_NOT_YET_VALID:
        return (
            f"The TLS certificate of {where} is not valid yet, so the connection was not trusted. "
            "Check the clock of this machine and of the server."
        )
    if code == _DEPTH_ZERO_SELF_SIGNED_CERT:
        return f"The TLS certificate of {where} is self-signed and not trusted. {trust_hint}"
    if code == _SELF_SIGNED_CERT_IN_CHAIN:
        return f"The TLS certificate chain of {where} ends in a self-signed root that is not trusted. {trust_hint}"
    if code in _UNKNOWN_AUTHORITY_CODES:
        return (
            f"The TLS certificate of {where} was issued by an unknown certificate authority, "
            f"so the connection was not trusted. {trust_hint}"
        )
    if code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH):
        return (
            f"The TLS certificate of {where} does not match the host name '{host}', "
            "so the connection was not trusted. Use a URL with a name that the certificate lists."
        )
    if code == _CERT_REVOKED:
        return f"The TLS certificate of {where} has been revoked, so the connection was not trusted."
    if code in (_INVALID_CA, _INVALID_PURPOSE):
        return (
            f"The TLS certificate chain of {where} is invalid ({detail}), so the connection was not trusted."
        )
    return (
        f"The TLS certificate of {where} failed verification ({detail}), so the connection was not trusted."
    )
