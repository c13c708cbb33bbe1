"""Compilation of IML syntax trees into Python closures.

Each node becomes one closure `evaluate(context) -> value`, built once per template, so
rendering never parses again and never runs generated source code. Common shapes get their own
closures: a root variable followed by one or two property names, an operator with a constant
on its right, a call with one to three arguments.

Function names are looked up in the registry while compiling: an unknown name raises
`UnknownFunctionError` and a wrong argument count raises `IMLSyntaxError`, both with the column
of the name. At run time a function that raises `IMLRuntimeError` keeps its message. Any other
exception from a function becomes an `IMLRuntimeError` that names the function and the types of
its arguments. The results of functions are checked against the limits of the context.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeAlias

from .context import Context
from .errors import IMLError, IMLLimitError, IMLRuntimeError, IMLSyntaxError, UnknownFunctionError
from .functions.registry import FunctionDef, FunctionRegistry
from .keywords import CONSTANT_KEYWORDS, keyword_evaluator
from .nodes import (
    Binary,
    Call,
    DynamicIndex,
    First,
    Index,
    Key,
    Keyword,
    Literal,
    Logical,
    Node,
    Path,
    Unary,
    Variable,
)
from .operators import (
    add,
    divide,
    get_first,
    get_index,
    get_member,
    greater_equal,
    greater_than,
    less_equal,
    less_than,
    loose_equals,
    loose_not_equals,
    multiply,
    negate,
    numeric_add,
    remainder,
    subtract,
)
from .values import UNDEFINED, Value, truthy, type_name

__all__ = ["Evaluator", "ExpressionCompiler"]

logger = logging.getLogger(__name__)

Evaluator: TypeAlias = Callable[[Context], Value]

_BINARY_OPERATORS: dict[str, Callable[[Value, Value], Value]] = {
    "+": add,
    "++": numeric_add,
    "-": subtract,
    "*": multiply,
    "/": divide,
    "%": remainder,
    "==": loose_equals,
    "!=": loose_not_equals,
    "<": less_than,
    "<=": less_equal,
    ">": greater_than,
    ">=": greater_equal,
}

_PRECEDENCE: dict[str, int] = {
    "or": 1,
    "and": 2,
    "==": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "++": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}

_UNSET = object()


class ExpressionCompiler:
    """Compiles the expressions of one template against a function registry.

    `root_names` and `function_names` collect the variables and functions the compiled
    expressions use.
    """

    def __init__(self, source: str, registry: FunctionRegistry) -> None:
        self.source = source
        self.registry = registry
        self.root_names: set[str] = set()
        self.function_names: set[str] = set()

    def compile(self, node: Node) -> Evaluator:
        """Return the closure that evaluates `node`."""
        if isinstance(node, Path):
            return self._path(node)
        if isinstance(node, Variable):
            return self._variable(node.name)
        if isinstance(node, Literal):
            return _constant(node.value)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Logical):
            return self._logical(node)
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, Keyword):
            return keyword_evaluator(node.name)
        raise TypeError(f"not an IML syntax node: {node!r}")  # pragma: no cover - parser output only

    # --- names and paths -----------------------------------------------------------------------

    def _variable(self, name: str) -> Evaluator:
        self.root_names.add(name)

        def variable(context: Context) -> Value:
            return context.variables.get(name, UNDEFINED)

        return variable

    def _path(self, node: Path) -> Evaluator:
        keys = [segment.name for segment in node.segments if isinstance(segment, Key)]
        if isinstance(node.base, Variable) and len(keys) == len(node.segments) and len(keys) <= 2:
            self.root_names.add(node.base.name)
            return _variable_keys(node.base.name, keys)

        base = self.compile(node.base)
        steps: list[tuple[int, Any]] = []
        for segment in node.segments:
            if isinstance(segment, Key):
                steps.append((0, segment.name))
            elif isinstance(segment, Index):
                steps.append((1, segment.position))
            elif isinstance(segment, DynamicIndex):
                steps.append((2, self.compile(segment.expression)))
            elif isinstance(segment, First):
                steps.append((3, None))
        frozen_steps = tuple(steps)

        def path(context: Context) -> Value:
            value = base(context)
            for kind, argument in frozen_steps:
                if kind == 0:
                    value = value.get(argument, UNDEFINED) if type(value) is dict else get_member(value, argument)
                elif kind == 1:
                    value = get_index(value, argument)
                elif kind == 2:
                    value = get_index(value, argument(context))
                else:
                    value = get_first(value)
            return value

        return path

    # --- operators -----------------------------------------------------------------------------

    def _unary(self, node: Unary) -> Evaluator:
        operand = self.compile(node.operand)
        if node.op == "!":

            def logical_not_(context: Context) -> Value:
                return not truthy(operand(context))

            return logical_not_

        def negate_(context: Context) -> Value:
            return negate(operand(context))

        return negate_

    def _chain(self, node: Binary | Logical) -> tuple[list[str], list[Node]] | None:
        """Flatten a left-leaning run of operators of one precedence, or return None if short.

        `a - b + c` is `(a - b) + c`, so folding the operands left to right keeps the meaning
        and evaluates long runs without deep recursion.
        """
        level = _PRECEDENCE[node.op]
        operators: list[str] = []
        operands: list[Node] = []
        current: Node = node
        while isinstance(current, (Binary, Logical)) and _PRECEDENCE[current.op] == level:
            operators.append(current.op)
            operands.append(current.right)
            current = current.left
        if len(operators) < 2:
            return None
        operands.append(current)
        operators.reverse()
        operands.reverse()
        return operators, operands

    def _binary_chain(self, operators: list[str], operands: list[Node]) -> Evaluator:
        first = self.compile(operands[0])
        steps = tuple(
            (_BINARY_OPERATORS[operator], self.compile(operand))
            for operator, operand in zip(operators, operands[1:])
        )

        def fold(context: Context) -> Value:
            value = first(context)
            for operation, operand in steps:
                value = operation(value, operand(context))
                if type(value) is str and len(value) > context.limits.max_string_length:
                    context.limits.check_string(len(value), "text built by '+'")
            return value

        return fold

    def _binary(self, node: Binary) -> Evaluator:
        chain = self._chain(node)
        if chain is not None:
            return self._binary_chain(*chain)
        operation = _BINARY_OPERATORS[node.op]
        left = self.compile(node.left)
        constant = _constant_value(node.right)
        if node.op == "+":
            right = self.compile(node.right)

            def concatenate_or_add(context: Context) -> Value:
                result = add(left(context), right(context))
                if type(result) is str and len(result) > context.limits.max_string_length:
                    context.limits.check_string(len(result), "text built by '+'")
                return result

            return concatenate_or_add
        if constant is not _UNSET:

            def operate_on_constant(context: Context) -> Value:
                return operation(left(context), constant)

            return operate_on_constant
        right = self.compile(node.right)

        def operate(context: Context) -> Value:
            return operation(left(context), right(context))

        return operate

    def _logical(self, node: Logical) -> Evaluator:
        chain = self._chain(node)
        if chain is not None:
            operands = tuple(self.compile(operand) for operand in chain[1])
            leading, last = operands[:-1], operands[-1]
            if node.op == "and":

                def and_chain(context: Context) -> Value:
                    for operand in leading:
                        value = operand(context)
                        if not truthy(value):
                            return value
                    return last(context)

                return and_chain

            def or_chain(context: Context) -> Value:
                for operand in leading:
                    value = operand(context)
                    if truthy(value):
                        return value
                return last(context)

            return or_chain
        left = self.compile(node.left)
        right = self.compile(node.right)
        if node.op == "and":

            def logical_and(context: Context) -> Value:
                value = left(context)
                return right(context) if truthy(value) else value

            return logical_and

        def logical_or(context: Context) -> Value:
            value = left(context)
            return value if truthy(value) else right(context)

        return logical_or

    # --- calls ---------------------------------------------------------------------------------

    def _call(self, node: Call) -> Evaluator:
        definition = self._resolve(node)
        self.function_names.add(node.name)
        arguments = [self.compile(argument) for argument in node.args]
        if definition.lazy:
            return _lazy_call(definition, arguments)
        return _eager_call(definition, arguments)

    def _resolve(self, node: Call) -> FunctionDef:
        definition = self.registry.get(node.name)
        if definition is None:
            suggestion = suggest_function(node.name, self.registry.names())
            raise UnknownFunctionError(
                node.name,
                template=self.source,
                column=node.column,
                suggestion=suggestion,
                custom=suggestion is None,
            )
        count = len(node.args)
        if count < definition.min_args or (definition.max_args is not None and count > definition.max_args):
            raise IMLSyntaxError(
                f"Function '{node.name}' takes {_describe_arity(definition)}, but the call passes {count}.",
                template=self.source,
                column=node.column,
            )
        return definition


def suggest_function(name: str, known: Sequence[str]) -> str | None:
    """Return the known function name closest to `name`, or None when nothing is close."""
    folded = name.casefold()
    for candidate in known:
        if candidate.casefold() == folded:
            return candidate
    matches = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return matches[0] if matches else None


def _describe_arity(definition: FunctionDef) -> str:
    low, high = definition.min_args, definition.max_args

    def plural(count: int) -> str:
        return f"{count} argument" + ("" if count == 1 else "s")

    if high is None:
        return f"at least {plural(low)}"
    if low == high:
        return plural(low)
    return f"{low} to {high} arguments"


def _constant(value: Value) -> Evaluator:
    def constant(context: Context) -> Value:
        return value

    return constant


def _constant_value(node: Node) -> Value:
    """Return the value of a literal or constant keyword node, or `_UNSET` for anything else."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Keyword) and node.name in CONSTANT_KEYWORDS:
        return CONSTANT_KEYWORDS[node.name]
    return _UNSET


def _variable_keys(name: str, keys: list[str]) -> Evaluator:
    if not keys:

        def variable(context: Context) -> Value:
            return context.variables.get(name, UNDEFINED)

        return variable
    if len(keys) == 1:
        (key,) = keys

        def variable_key(context: Context) -> Value:
            value = context.variables.get(name, UNDEFINED)
            if type(value) is dict:
                return value.get(key, UNDEFINED)
            return get_member(value, key)

        return variable_key
    first, second = keys

    def variable_two_keys(context: Context) -> Value:
        value = context.variables.get(name, UNDEFINED)
        value = value.get(first, UNDEFINED) if type(value) is dict else get_member(value, first)
        if type(value) is dict:
            return value.get(second, UNDEFINED)
        return get_member(value, second)

    return variable_two_keys


# --- function calls ----------------------------------------------------------------------------


def _eager_call(definition: FunctionDef, arguments: list[Evaluator]) -> Evaluator:
    name = definition.name
    function = definition.func
    count = len(arguments)

    if count == 0:

        def call0(context: Context) -> Value:
            try:
                result = function(context.call_context(name))
            except IMLError as exc:
                _claim(exc, name)
                raise
            except Exception as exc:
                raise _call_failed(name, (), exc) from exc
            return _checked(name, result, context)

        return call0
    if count == 1:
        (first,) = arguments

        def call1(context: Context) -> Value:
            value = first(context)
            try:
                result = function(context.call_context(name), value)
            except IMLError as exc:
                _claim(exc, name)
                raise
            except Exception as exc:
                raise _call_failed(name, (value,), exc) from exc
            return _checked(name, result, context)

        return call1
    if count == 2:
        first, second = arguments

        def call2(context: Context) -> Value:
            value1 = first(context)
            value2 = second(context)
            try:
                result = function(context.call_context(name), value1, value2)
            except IMLError as exc:
                _claim(exc, name)
                raise
            except Exception as exc:
                raise _call_failed(name, (value1, value2), exc) from exc
            return _checked(name, result, context)

        return call2
    frozen = tuple(arguments)

    def call_many(context: Context) -> Value:
        values = [argument(context) for argument in frozen]
        try:
            result = function(context.call_context(name), *values)
        except IMLError as exc:
            _claim(exc, name)
            raise
        except Exception as exc:
            raise _call_failed(name, tuple(values), exc) from exc
        return _checked(name, result, context)

    return call_many


def _lazy_call(definition: FunctionDef, arguments: list[Evaluator]) -> Evaluator:
    name = definition.name
    function = definition.func
    frozen = tuple(arguments)

    if len(frozen) == 2:
        first, second = frozen

        def lazy_call2(context: Context) -> Value:
            try:
                result = function(context.call_context(name), partial(first, context), partial(second, context))
            except IMLError as exc:
                _claim(exc, name)
                raise
            except Exception as exc:
                raise _call_failed(name, None, exc) from exc
            return _checked(name, result, context)

        return lazy_call2

    def lazy_call(context: Context) -> Value:
        thunks = [partial(argument, context) for argument in frozen]
        try:
            result = function(context.call_context(name), *thunks)
        except IMLError as exc:
            _claim(exc, name)
            raise
        except Exception as exc:
            raise _call_failed(name, None, exc) from exc
        return _checked(name, result, context)

    return lazy_call


def _claim(exc: IMLError, name: str) -> None:
    """Name the function `name` on a runtime error raised inside it that names none yet."""
    if isinstance(exc, IMLRuntimeError) and exc.function is None:
        exc.function = name


def _call_failed(name: str, values: tuple[Value, ...] | None, exc: Exception) -> IMLError:
    """Turn a non-IML exception raised inside the function `name` into an IML error."""
    if isinstance(exc, RecursionError):
        return IMLLimitError(
            f"Function '{name}' failed: its input is nested too deeply to process.", function=name
        )
    if isinstance(exc, MemoryError):
        return IMLLimitError(f"Function '{name}' failed: its result does not fit in memory.", function=name)
    if values is None:
        described = "its arguments"
    else:
        described = "arguments of types (" + ", ".join(type_name(value) for value in values) + ")"
    # Only the exception type is kept: its text could quote argument values, which may be secret.
    logger.debug("IML function %s raised %s", name, type(exc).__name__)
    return IMLRuntimeError(
        f"Function '{name}' failed on {described} with an internal {type(exc).__name__}; check that "
        "the arguments have the types the function expects.",
        function=name,
    )


def _checked(name: str, result: Value, context: Context) -> Value:
    kind = type(result)
    if (kind is str or kind is bytes) and len(result) > context.limits.max_string_length:
        raise IMLLimitError(
            f"Function '{name}' produced a value of {len(result)} characters, more than the limit of "
            f"{context.limits.max_string_length} (Limits.max_string_length).",
            function=name,
        )
    if kind is list and len(result) > context.limits.max_array_length:
        raise IMLLimitError(
            f"Function '{name}' produced an array of {len(result)} items, more than the limit of "
            f"{context.limits.max_array_length} (Limits.max_array_length).",
            function=name,
        )
    return result
