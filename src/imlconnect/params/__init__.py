"""Connection parameters: the parameters spec, validation of user values, the form and prompting.

```python
spec, problems = parse_parameters(raw_list, file="connection.params.iml.json")
values, problems = validate_values(spec, {"apiKey": "..."}, source="json")
spec.secret_names()          # names of password, cert and pkey fields
spec.secret_values(values)   # the secret strings in values, for redaction
```
"""

from imlconnect.params.coerce import CoercionError, coerce_text
from imlconnect.params.fields import (
    NO_DEFAULT,
    Field,
    NestedFields,
    Option,
    ParameterSpec,
    SelectOptions,
    ValidationRules,
)
from imlconnect.params.form import describe_form, render_form_table
from imlconnect.params.prompt import prompt_missing
from imlconnect.params.spec import parse_parameters
from imlconnect.params.validate import JsPattern, PatternError, compile_js_pattern, validate_values

__all__ = [
    "NO_DEFAULT",
    "CoercionError",
    "Field",
    "JsPattern",
    "NestedFields",
    "Option",
    "ParameterSpec",
    "PatternError",
    "SelectOptions",
    "ValidationRules",
    "coerce_text",
    "compile_js_pattern",
    "describe_form",
    "parse_parameters",
    "prompt_missing",
    "render_form_table",
    "validate_values",
]
