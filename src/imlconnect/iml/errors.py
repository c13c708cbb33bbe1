"""Errors of the IML language: syntax, unknown functions, runtime failures and exceeded limits."""

from __future__ import annotations

from ..errors import ImlconnectError


class IMLError(ImlconnectError):
    """Base class of IML errors. `template` is the IML string the error is about, when known."""

    def __init__(self, message: str, *, template: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.template = template
        #: JSON path of the spec string the template came from, set by `compile_value`.
        self.json_path: str | None = None


class IMLSyntaxError(IMLError):
    """A template does not parse. `column` is 1-based, counted in the template text."""

    def __init__(self, message: str, *, template: str | None = None, column: int | None = None) -> None:
        super().__init__(message, template=template)
        self.column = column

    def caret(self) -> str:
        """Return the template with a caret line under the failing column."""
        if self.template is None or self.column is None:
            return ""
        return f"{self.template}\n{' ' * (self.column - 1)}^"

    def __str__(self) -> str:
        where = f" (column {self.column})" if self.column is not None else ""
        return f"{self.message}{where}"


class UnknownFunctionError(IMLSyntaxError):
    """A template calls a function that is not built in. Raised at compile time."""

    def __init__(
        self,
        name: str,
        *,
        template: str | None = None,
        column: int | None = None,
        suggestion: str | None = None,
        custom: bool = False,
    ) -> None:
        if custom:
            message = (
                f"Function '{name}' is not a built-in IML function. Custom IML functions "
                "(JavaScript in the app's functions folder) are not run by imlconnect yet."
            )
        else:
            message = f"Unknown function '{name}'."
        if suggestion:
            message += f" Did you mean '{suggestion}'?"
        super().__init__(message, template=template, column=column)
        self.name = name
        self.suggestion = suggestion


class IMLRuntimeError(IMLError):
    """Evaluation failed, for example a function got an argument of the wrong type.

    `function` names the function that failed, when the failure happened inside one.
    """

    def __init__(self, message: str, *, template: str | None = None, function: str | None = None) -> None:
        super().__init__(message, template=template)
        self.function = function


class IMLLimitError(IMLRuntimeError):
    """Evaluation exceeded one of the safety limits (depth, size, regular expression time)."""
