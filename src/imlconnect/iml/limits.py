"""Safety limits of IML parsing and evaluation.

A template comes from a spec file and its data from a remote server, so neither can be trusted
to stay small. Every limit is checked where the value is produced, and exceeding one raises
`IMLLimitError` (or `ExpressionTooComplexError` while parsing) with the limit in the message,
instead of a `RecursionError` or `MemoryError` surfacing from deep inside Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import IMLLimitError, IMLSyntaxError

__all__ = ["DEFAULT_LIMITS", "ExpressionTooComplexError", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on the size of templates and of the values that evaluation produces.

    The defaults are generous for connection specs, whose templates are short and whose values
    are API responses. Lengths count characters for text, bytes for binary data and items for
    arrays.
    """

    max_depth: int = 64
    """Maximum nesting depth of an expression: operators, calls, parentheses and brackets."""

    max_string_length: int = 10 * 1024 * 1024
    """Maximum length of a text or binary value that an operator, a function or mixed text produces."""

    max_array_length: int = 100_000
    """Maximum number of items in an array that a function produces."""

    max_template_length: int = 1024 * 1024
    """Maximum length of a template string that is compiled."""

    max_pattern_length: int = 10_000
    """Maximum length of a regular expression that the function library accepts."""

    regex_timeout_seconds: float = 1.0
    """Time bound of one regular expression operation in the function library."""

    def __post_init__(self) -> None:
        for name in ("max_depth", "max_string_length", "max_array_length", "max_template_length",
                     "max_pattern_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}")
        if not self.regex_timeout_seconds > 0:
            raise ValueError(
                f"Limits.regex_timeout_seconds must be positive, got {self.regex_timeout_seconds!r}"
            )

    def check_string(self, length: int, description: str = "text") -> None:
        """Raise `IMLLimitError` when a text or binary value of `length` is over the limit."""
        if length > self.max_string_length:
            raise IMLLimitError(
                f"The {description} would be {length} characters long, more than the limit of "
                f"{self.max_string_length} (Limits.max_string_length)."
            )

    def check_array(self, length: int, description: str = "array") -> None:
        """Raise `IMLLimitError` when an array of `length` items is over the limit."""
        if length > self.max_array_length:
            raise IMLLimitError(
                f"The {description} would have {length} items, more than the limit of "
                f"{self.max_array_length} (Limits.max_array_length)."
            )


#: The limits used when a compile call or a `Context` is given none.
DEFAULT_LIMITS = Limits()


class ExpressionTooComplexError(IMLSyntaxError, IMLLimitError):
    """A template is nested too deeply or is too long to compile.

    It is both a syntax error (it has a column and is raised at compile time, so spec checks
    report it like any other syntax error) and a limit error.
    """

    def __init__(self, message: str, *, template: str | None = None, column: int | None = None) -> None:
        super().__init__(message, template=template, column=column)
