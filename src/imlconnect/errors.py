"""Exception hierarchy of imlconnect.

Every exception raised on purpose by imlconnect derives from `ImlconnectError`. Messages never
contain secret values: code that builds a message from user data runs it through the redactor of
the current run first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: The error types a connection may raise, as the reference document lists them.
ERROR_TYPES: tuple[str, ...] = (
    "RuntimeError",
    "DataError",
    "RateLimitError",
    "OutOfSpaceError",
    "ConnectionError",
    "InvalidConfigurationError",
    "InvalidAccessTokenError",
    "IncompleteDataError",
    "DuplicateDataError",
)


@dataclass(frozen=True)
class Problem:
    """One finding about a spec file or a parameter value.

    `path` is a JSON path such as `communication.response.error.message` or
    `parameters.apiKey`; `file`, `line` and `column` (both 1-based) locate it in a file when known.
    """

    path: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    severity: Literal["error", "warning"] = "error"

    def to_json(self, *, with_location: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not with_location:
            for key in ("file", "line", "column"):
                data.pop(key)
        return data

    def describe(self) -> str:
        """Format the problem as `file:line:column: path: message` for terminals."""
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.severity}: {self.path}: {self.message}"


class ImlconnectError(Exception):
    """Base class of every error that imlconnect raises on purpose."""


class UsageError(ImlconnectError):
    """The caller used imlconnect wrongly: a missing file, a bad option value."""


class SpecError(ImlconnectError):
    """A connection spec cannot be loaded. `problems` lists every error found, with its location."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])


class ParametersError(ImlconnectError):
    """The values the user typed do not satisfy the parameters spec. Nothing was sent."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])


@dataclass
class ErrorInfo:
    """The typed error of a failed verification, as it appears in the JSON output and the store."""

    type: str
    message: str
    status: int | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "message": self.message, "status": self.status}
        if self.problems:
            data["problems"] = self.problems
        return data


class VerificationError(ImlconnectError):
    """A connection failed verification with one of the nine typed errors.

    `type` is one of `ERROR_TYPES`; `status` is the HTTP status of the response that failed, or
    None when no response was received (a transport failure) or the error came from elsewhere.
    """

    def __init__(self, type: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{type}: {message}")
        self.type = type
        self.message = message
        self.status = status

    def info(self) -> ErrorInfo:
        return ErrorInfo(type=self.type, message=self.message, status=self.status)


class TransportError(ImlconnectError):
    """A request could not be completed: refused, DNS failure, TLS failure, timeout, bad answer.

    The flow turns it into a `ConnectionError` verification error. `kind` is a short machine
    name (`connect`, `timeout`, `tls`, `dns`, `protocol`, `too_large`, `refused_destination`,
    `redirects`).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class StoreError(ImlconnectError):
    """The connection store failed: unreadable database, missing record, bad key."""


class ConnectionNotFoundError(StoreError):
    """No stored connection has the given id."""


class ConflictError(StoreError):
    """Another writer changed the record since it was read (optimistic concurrency)."""


class DecryptionError(StoreError):
    """A stored value failed authenticated decryption: wrong key or tampered data."""
