"""Connection specs: reading IMLJSON with positions, app layouts, typed models and spec checks.

`load_connection` loads one basic connection for `imlconnect verify` and raises SpecError
listing every error; `check_path` returns every error and warning for `imlconnect validate`.
"""

from .layout import ConnectionFiles, find_connection, list_connections
from .loader import check_path, load_connection, load_request_spec
from .models import (
    ConditionSpec,
    ConnectionSpec,
    ErrorSpec,
    MetadataSpec,
    RequestSpec,
    ResponseSpec,
    ValidSpec,
)
from .reader import Document, Position, parse_imljson, read_imljson

__all__ = [
    "ConditionSpec",
    "ConnectionFiles",
    "ConnectionSpec",
    "Document",
    "ErrorSpec",
    "MetadataSpec",
    "Position",
    "RequestSpec",
    "ResponseSpec",
    "ValidSpec",
    "check_path",
    "find_connection",
    "list_connections",
    "load_connection",
    "load_request_spec",
    "parse_imljson",
    "read_imljson",
]
