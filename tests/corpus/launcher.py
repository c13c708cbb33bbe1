"""Run the `imlconnect` command with host-name lookups resolved from a fixed table.

Tests start this file in a subprocess in place of the installed `imlconnect` script when a
connection's URL keeps a real host name (a templated sub-domain, for example). The names listed
in the environment variable `IMLCONNECT_TEST_LOCAL_NAMES` (comma-separated) resolve to 127.0.0.1.
Any other lookup stops the process with exit code 97 before a packet leaves the machine, so a
test that reaches a real host fails instead of sending traffic.
"""

from __future__ import annotations

import os
import sys

from imlconnect.cli.main import main
from imlconnect.http import guard

LOCAL_NAMES_ENV = "IMLCONNECT_TEST_LOCAL_NAMES"
EXIT_LOOKUP_REJECTED = 97


def resolve_locally(host: str, port: int) -> list[str]:
    """Return 127.0.0.1 for a listed name, and exit the process for any other name."""
    names = {name.strip().lower() for name in os.environ.get(LOCAL_NAMES_ENV, "").split(",") if name.strip()}
    if host.lower() in names:
        return ["127.0.0.1"]
    sys.stderr.write(
        f"test launcher: lookup of {host!r} (port {port}) rejected; only {sorted(names)} resolve\n"
    )
    sys.stderr.flush()
    os._exit(EXIT_LOOKUP_REJECTED)


if __name__ == "__main__":
    # The guard reads `default_resolve` at call time, so replacing it here covers every request.
    guard.default_resolve = resolve_locally
    sys.argv[0] = "imlconnect"
    main()
