"""The sans-I/O HTTP layer: wire requests from evaluated directives, response parsing, redirects.

`build_request` turns the evaluated request directives into a `WireRequest`, a transport sends it
and returns a `WireResponse`, `next_redirect` decides whether a redirect is followed, and
`parse_response` decodes the body for IML. Only the transports perform I/O.
"""

from __future__ import annotations

from .build import build_request
from .models import ParsedResponse, RequestBuildError, ResponseParseError, WireRequest, WireResponse
from .parse import parse_response, response_headers
from .redirects import next_redirect

__all__ = [
    "ParsedResponse",
    "RequestBuildError",
    "ResponseParseError",
    "WireRequest",
    "WireResponse",
    "build_request",
    "next_redirect",
    "parse_response",
    "response_headers",
]

# The transports live in their own module; the sans-I/O parts work without it.
try:
    from .transport import AsyncTransport, SyncTransport, TransportOptions
except ModuleNotFoundError as error:  # pragma: no cover - depends on the presence of transport.py
    if error.name != f"{__name__}.transport":
        raise
else:
    __all__ += ["AsyncTransport", "SyncTransport", "TransportOptions"]
