"""Running the `imlconnect` command inside the test process."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from click.testing import CliRunner

from imlconnect.cli.main import cli


@dataclass
class CommandResult:
    """Exit code and output of one command run."""

    returncode: int
    stdout: str
    stderr: str


def invoke(*args: str) -> CommandResult:
    """Run `imlconnect ARGS` in this process through click's test runner.

    Exceptions that the command does not handle propagate, so they fail the test with their
    traceback instead of becoming an exit code. The command installs a stderr handler and a level
    on the `imlconnect` logger; both are restored afterwards so later tests log as before.
    """
    logger = logging.getLogger("imlconnect")
    level, handlers = logger.level, list(logger.handlers)
    try:
        outcome = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        logger.setLevel(level)
        logger.handlers[:] = handlers
    return CommandResult(outcome.exit_code, outcome.stdout, outcome.stderr)
