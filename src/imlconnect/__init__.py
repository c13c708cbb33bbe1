"""imlconnect: run and verify Make custom-app connections written in IMLJSON.

The Python API mirrors the command line:

- `load_connection(path)` loads and compiles a connection spec,
- `verify(spec_or_path, parameters)` and `await averify(...)` run it and return a
  `VerificationResult`,
- `run_module_request(spec, connection_id, store=...)` runs a module-style request with a stored
  connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "RequestResult",
    "RunLimits",
    "VerificationResult",
    "averify",
    "load_connection",
    "run_module_request",
    "verify",
]

if TYPE_CHECKING:
    from .api import RequestResult, VerificationResult, averify, load_connection, run_module_request, verify
    from .limits import RunLimits


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import imlconnect` stays cheap for the CLI and the IML package.
    if name == "RunLimits":
        from .limits import RunLimits

        return RunLimits
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'imlconnect' has no attribute {name!r}")
