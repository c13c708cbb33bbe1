"""Character sets named by servers, checked before they are used to decode a body."""

from __future__ import annotations

import codecs
import logging

logger = logging.getLogger(__name__)


def text_codec(name: str) -> str | None:
    """Return the canonical name of a text encoding, or None when `name` is not one.

    Python also registers codecs such as `hex`, `zlib` and `rot13` that do not turn bytes into
    text. A name with a NUL character makes the lookup raise ValueError. Both give None, so the
    caller falls back to UTF-8.
    """
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        logger.debug("unknown response charset; decoding as UTF-8")
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name
