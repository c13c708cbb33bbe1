"""The IML expression language: templates, their compilation and their evaluation.

```python
from imlconnect.iml import Context, compile_template

template = compile_template("Bearer {{parameters.apiKey}}")
template.render(Context({"parameters": {"apiKey": "k-1"}}))   # 'Bearer k-1'
```

Modules: `lexer` (template splitting and tokens), `parser` and `nodes` (syntax tree),
`compiler` (closures), `template` (compiled strings and JSON values), `operators` (operator
semantics and property access), `keywords`, `context`, `limits`, `values` and `functions`
(the built-in library, registered on import of this package).
"""

from .context import CallContext, Context
from .errors import IMLError, IMLLimitError, IMLRuntimeError, IMLSyntaxError, UnknownFunctionError
from .limits import DEFAULT_LIMITS, ExpressionTooComplexError, Limits
from .template import CompiledValue, Template, compile_template, compile_value, is_spread_key
from .values import UNDEFINED, Value, to_string, truthy

# Importing the package registers every built-in function on `functions.registry.BUILTINS`.
from . import functions  # noqa: F401  isort: skip

__all__ = [
    "DEFAULT_LIMITS",
    "UNDEFINED",
    "CallContext",
    "CompiledValue",
    "Context",
    "ExpressionTooComplexError",
    "IMLError",
    "IMLLimitError",
    "IMLRuntimeError",
    "IMLSyntaxError",
    "Limits",
    "Template",
    "UnknownFunctionError",
    "Value",
    "compile_template",
    "compile_value",
    "is_spread_key",
    "to_string",
    "truthy",
]
