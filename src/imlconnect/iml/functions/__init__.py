"""The built-in IML function library.

Importing this package registers every built-in on `registry.BUILTINS`. Each module contains one
kind of function: `general` (if, ifempty, switch, get, pick, omit), `text`, `binary`
(Base64, hashes, encodings, mime), `mathfns`, `dates` (with `datefmt` for moment.js tokens),
`arrays`, `jsonfns` and `jwtfn`. `coerce` holds the argument checks they share and `regex`
runs JavaScript regular expressions on RE2.
"""

from __future__ import annotations

from . import arrays, binary, dates, general, jsonfns, jwtfn, mathfns, text
from .registry import BUILTINS, FunctionDef, FunctionRegistry

__all__ = [
    "BUILTINS",
    "FunctionDef",
    "FunctionRegistry",
    "arrays",
    "binary",
    "dates",
    "general",
    "jsonfns",
    "jwtfn",
    "mathfns",
    "text",
]
