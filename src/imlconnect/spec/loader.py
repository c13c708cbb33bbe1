"""Loading a basic connection: find its files, read them, check them and build a ConnectionSpec.

`load_connection` is what `imlconnect verify` uses: it raises SpecError listing every error.
`check_path` is what `imlconnect validate` uses: it returns every error and warning instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ..errors import Problem, SpecError, UsageError
from .checks import CommunicationChecker, has_oauth_directives, json_kind
from .layout import ConnectionFiles, _find_app_files, find_connection, list_connections
from .models import ConnectionSpec, ModuleOutputSpec, RequestSpec
from .reader import Document, read_imljson

logger = logging.getLogger(__name__)

#: Keys a bundle file may have besides `communication`.
BUNDLE_KEYS: tuple[str, ...] = (
    "communication",
    "parameters",
    "common",
    "base",
    "baseUrl",
    "name",
    "label",
    "app",
    "type",
)


def load_connection(
    path: str | Path,
    *,
    connection: str | None = None,
    common_file: str | None = None,
) -> ConnectionSpec:
    """Load the basic connection at PATH, compiling every IML string once.

    `connection` picks a connection of an app folder that has several. `common_file` is a JSON
    file of common data merged over the app's and the connection's own common data.
    Raises SpecError whose `problems` list every error (with file, line and column), including
    for OAuth connections, which are not supported yet. Raises UsageError when PATH does not
    exist or the connection cannot be chosen. Warnings are kept on `ConnectionSpec.warnings`.
    """
    spec, problems = _Loader(path, connection, common_file).load()
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors or spec is None:
        lines = "\n".join(f"  {problem.describe()}" for problem in errors)
        noun = "error" if len(errors) == 1 else "errors"
        raise SpecError(f"The connection spec in {path} has {len(errors)} {noun}:\n{lines}", errors)
    return spec


def check_path(path: str | Path, connection: str | None = None) -> list[Problem]:
    """Return every error and warning of the connection(s) at PATH, without raising for them.

    Without `connection`, every connection of an app folder is checked. Raises UsageError only
    when PATH does not exist or names no connection `connection`.
    """
    ids = [connection] if connection is not None else list_connections(path)
    problems: list[Problem] = []
    for connection_id in ids:
        chosen = connection_id if len(ids) > 1 or connection is not None else None
        _, found = _Loader(path, chosen, None).load()
        problems.extend(found)
    return problems


class _Loader:
    """One load of one connection, which collects problems instead of stopping at the first."""

    def __init__(self, path: str | Path, connection: str | None, common_file: str | None) -> None:
        self.path = path
        self.connection = connection
        self.common_file = common_file
        self.problems: list[Problem] = []

    def load(self) -> tuple[ConnectionSpec | None, list[Problem]]:
        try:
            files = find_connection(self.path, self.connection)
        except SpecError as exc:
            return None, list(exc.problems) or [Problem(path="", message=str(exc), file=str(self.path))]
        self.problems.extend(files.notes)
        spec = self.build(files)
        return spec, self.problems

    def read(self, file: Path, root_path: str, *, sensitive: bool = False) -> Document | None:
        try:
            document = read_imljson(file, root_path=root_path, sensitive=sensitive)
        except SpecError as exc:
            self.problems.extend(exc.problems)
            return None
        self.problems.extend(document.warnings)
        return document

    def build(self, files: ConnectionFiles) -> ConnectionSpec | None:
        sources = self.sources(files)
        if sources is None:
            return None
        document, communication, communication_path = sources

        if self.is_oauth(files, communication):
            oauth_file = str(files.communication or files.bundle)
            self.problems.append(
                document.problem(
                    communication_path,
                    f"OAuth connections are not supported yet: {oauth_file} is an OAuth connection. "
                    "imlconnect verifies basic connections (API keys, tokens, passwords) only.",
                )
            )
            return None

        checker = CommunicationChecker(document, custom_functions=files.custom_functions)
        requests = checker.check(communication, communication_path)
        self.problems.extend(checker.problems)

        parameters = self.parameters(files, document, checker.embedded_parameters)
        common = self.common(files, document)
        base_url = self.base_url(files, document, checker.relative_urls, requests)

        return ConnectionSpec(
            name=files.name,
            requests=requests,
            parameters=parameters,
            app=files.app,
            label=files.label,
            common=common,
            base_url=base_url,
            files=files.files(),
            warnings=[problem for problem in self.problems if problem.severity == "warning"],
        )

    def sources(self, files: ConnectionFiles) -> tuple[Document, Any, str] | None:
        """Return the document holding the communication, the communication and its JSON path."""
        if files.bundle is not None:
            document = self.read(files.bundle, "", sensitive=True)
            if document is None:
                return None
            if not isinstance(document.value, dict):
                self.problems.append(
                    document.problem(
                        "", f"Invalid bundle: expected an object, found {json_kind(document.value)}."
                    )
                )
                return None
            for key in document.value:
                if key not in BUNDLE_KEYS:
                    self.problems.append(
                        document.problem(
                            key,
                            f'"{key}" is not a bundle key ({", ".join(BUNDLE_KEYS)}); it is ignored.',
                            severity="warning",
                            key=True,
                        )
                    )
            return document, document.value["communication"], "communication"

        assert files.communication is not None
        document = self.read(files.communication, "communication")
        if document is None:
            return None
        return document, document.value, "communication"

    @staticmethod
    def is_oauth(files: ConnectionFiles, communication: Any) -> bool:
        declared = (files.connection_type or "").lower()
        return declared.startswith("oauth") or files.oauth_file_name or has_oauth_directives(communication)

    # --- parameters -------------------------------------------------------------------------------

    def parameters(
        self,
        files: ConnectionFiles,
        document: Document,
        embedded: tuple[str, list[Any]] | None,
    ) -> Any:
        raw: Any = []
        source: Document | None = None
        json_path = "parameters"
        if files.parameters is not None:
            source = self.read(files.parameters, "parameters")
            if source is None:
                return []
            raw = source.value
        elif files.bundle is not None and isinstance(document.value, dict) and "parameters" in document.value:
            source = document
            raw = document.value["parameters"]
        elif embedded is not None:
            source = document
            json_path, raw = embedded

        if not isinstance(raw, list):
            assert source is not None
            self.problems.append(
                source.problem(
                    json_path,
                    f"Invalid parameters: expected an array of parameter objects, found {json_kind(raw)}.",
                )
            )
            return []
        return self.parse_parameters(raw, source, json_path)

    def parse_parameters(self, raw: list[Any], source: Document | None, json_path: str) -> Any:
        try:
            from ..params import parse_parameters
        except ImportError:
            # NOTE: until imlconnect.params provides parse_parameters, the raw list is kept as is.
            logger.debug(
                "imlconnect.params.parse_parameters is not available; keeping the raw parameters list"
            )
            return raw
        file = source.file if source is not None else None
        spec, problems = parse_parameters(
            raw, file=file, json_path=json_path, positions=_positions_of(source)
        )
        for problem in problems:
            self.problems.append(_locate(problem, source))
        return spec

    # --- common data ------------------------------------------------------------------------------

    def common(self, files: ConnectionFiles, document: Document) -> dict[str, Any]:
        """Merge app-level common, the connection's common and the explicit common file, in that order."""
        merged: dict[str, Any] = {}
        layers: list[tuple[Document | None, str]] = []
        if files.app_common is not None:
            layers.append((self.read(files.app_common, "common", sensitive=True), "common"))
        if files.common is not None:
            layers.append((self.read(files.common, "common", sensitive=True), "common"))
        elif files.bundle is not None and isinstance(document.value, dict) and "common" in document.value:
            layers.append((document, "common"))
        if self.common_file is not None:
            layers.append((self.read(Path(self.common_file), "common", sensitive=True), "common"))

        for layer, path in layers:
            if layer is None:
                continue
            value = layer.value if layer is not document else document.value[path]
            if not isinstance(value, dict):
                self.problems.append(
                    layer.problem(path, f"Invalid common data: expected an object, found {json_kind(value)}.")
                )
                continue
            merged.update(value)
        return merged

    # --- base URL ---------------------------------------------------------------------------------

    def base_url(
        self,
        files: ConnectionFiles,
        document: Document,
        relative_urls: list[str],
        requests: list[RequestSpec],
    ) -> Any:
        """Compile the app's `baseUrl`. Its problems are errors only when a request URL is relative."""
        needed = bool(relative_urls)
        severity: Literal["error", "warning"] = "error" if needed else "warning"
        base_document: Document | None = None
        raw: Any = None
        path = "base.baseUrl"

        if files.bundle is not None and isinstance(document.value, dict):
            base_document = document
            if isinstance(document.value.get("base"), dict) and "baseUrl" in document.value["base"]:
                raw = document.value["base"]["baseUrl"]
            elif "baseUrl" in document.value:
                raw, path = document.value["baseUrl"], "baseUrl"
        elif files.base is not None:
            problems_before = len(self.problems)
            base_document = self.read(files.base, "base")
            self.problems[problems_before:] = [
                _with_severity(p, severity) for p in self.problems[problems_before:]
            ]
            if base_document is not None:
                if isinstance(base_document.value, dict):
                    raw = base_document.value.get("baseUrl")
                else:
                    self.problems.append(
                        _with_severity(
                            base_document.problem(
                                "base",
                                f"Invalid base: expected an object, found {json_kind(base_document.value)}.",
                            ),
                            severity,
                        )
                    )

        template = None
        if raw is not None and base_document is not None:
            checker = CommunicationChecker(base_document, custom_functions=files.custom_functions)
            template = checker.template(path, raw, what="baseUrl")
            if (
                isinstance(raw, str)
                and "{{" not in raw
                and not raw.lower().startswith(("http://", "https://"))
            ):
                checker.report(
                    path,
                    f'baseUrl "{raw}" has no http:// or https:// scheme, so URLs built from it are invalid.',
                    severity=severity,
                )
            for problem in checker.problems:
                # A base that cannot be used matters only to requests with a relative URL.
                self.problems.append(problem if needed else _with_severity(problem, "warning"))

        if needed and raw is None:
            for url_path in relative_urls:
                self.problems.append(
                    document.problem(
                        url_path,
                        "The URL is relative, but no baseUrl is available; write an absolute URL "
                        '(https://...), or add "baseUrl" to the app\'s base file.',
                    )
                )
        logger.debug(
            "connection %s: %d request(s), baseUrl %s",
            files.name,
            len(requests),
            "set" if template else "absent",
        )
        return template


def _with_severity(problem: Problem, severity: Literal["error", "warning"]) -> Problem:
    return problem if problem.severity == severity else replace(problem, severity=severity)


def _positions_of(document: Document | None) -> Callable[[str], tuple[int, int] | None] | None:
    """Return a lookup of (line, column) by JSON path in `document`, as parse_parameters takes it."""
    if document is None:
        return None

    def position(path: str) -> tuple[int, int] | None:
        found = document.position(path)
        return (found.line, found.column) if found is not None else None

    return position


def _locate(problem: Problem, document: Document | None) -> Problem:
    """Fill in the file, line and column of a problem that only names a JSON path."""
    if document is None or problem.line is not None:
        return problem
    position = document.position(problem.path)
    if position is None:
        return problem
    return replace(problem, file=problem.file or document.file, line=position.line, column=position.column)


__all__ = ["check_path", "load_connection"]


#: Response directives that a module-style request may use; the others belong to connections.
MODULE_RESPONSE_KEYS = frozenset({"type", "valid", "error", "temp", "output", "iterate", "limit"})

#: Request keys of modules that `imlconnect request` reads but does not act on.
MODULE_IGNORED_KEYS: dict[str, str] = {
    "pagination": "only the first page is requested",
}


@dataclass
class ModuleSpec:
    """A loaded module-style request spec: its requests and the app base they inherit."""

    requests: list[RequestSpec]
    base_url: Any = None
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


def load_request_spec(path: str | Path) -> ModuleSpec:
    """Load a module-style request spec: one request object or an array of them.

    The request directives are those of a connection. `response` may also hold `output`,
    `iterate` and `limit`, as modules do, but not `data`, `metadata` or `uid`, which describe a
    connection. When an app base (`general/base.*`) sits beside the spec or above it, the
    requests inherit from it as Make modules do: its `baseUrl` resolves relative URLs, its
    `headers` and `qs` apply under the request's own, and its `response.error`, `valid` and
    `type` apply where the request sets none. Raises SpecError listing every error, UsageError
    when the file does not exist.
    """
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"The request spec {path} does not exist or is not a file.")
    document = read_imljson(file, root_path="request")
    problems: list[Problem] = list(document.warnings)

    # Make's layouts put modules one or two folders below the app (`modules/<id>/`), so the base
    # is looked for beside the spec and in up to two folders above it.
    base_file = None
    folder = file.resolve().parent
    for level in (folder, folder.parent, folder.parent.parent):
        base_file, _ = _find_app_files(level)
        if base_file is not None:
            break
    base: dict[str, Any] = {}
    base_document = None
    if base_file is not None:
        base_document = read_imljson(base_file, root_path="base")
        problems.extend(base_document.warnings)
        if isinstance(base_document.value, dict):
            base = base_document.value

    single = isinstance(document.value, dict)
    items = [document.value] if single else document.value
    if not isinstance(items, list):
        raise SpecError(
            f"The request spec {path} must hold a request object or an array of them.",
            [document.problem("request", "Invalid request spec: expected an object or an array.")],
        )

    prepared: list[Any] = []
    outputs: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        item_path = "request" if single else f"request[{index}]"
        if not isinstance(item, dict):
            prepared.append(item)
            outputs.append({})
            continue
        item, module_keys = _split_module_keys(item, item_path, document, problems)
        prepared.append(_inherit_base(item, base))
        outputs.append(module_keys)

    checker = CommunicationChecker(document)
    requests = checker.check(prepared[0] if single else prepared, "request")
    problems.extend(checker.problems)

    base_url = None
    if base_document is not None and "baseUrl" in base:
        base_checker = CommunicationChecker(base_document)
        base_url = base_checker.template("base.baseUrl", base["baseUrl"], what="baseUrl")
        problems.extend(base_checker.problems)
    if base_url is None:
        for relative in checker.relative_urls:
            problems.append(document.problem(
                relative, "The URL is relative and no app base with a baseUrl was found beside the spec; "
                "write an absolute URL or put the app's general/base file next to it.",
            ))

    if len(requests) == len(outputs):
        requests = [
            replace(request, module_output=_module_output(checker, keys, request.json_path))
            if keys else request
            for request, keys in zip(requests, outputs)
        ]

    # The checker also collects the problems of `output` and `iterate`; keep each problem once.
    problems = list(dict.fromkeys(problems + checker.problems))
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        lines = "\n".join(f"  {problem.describe()}" for problem in errors)
        raise SpecError(f"The request spec {path} has {len(errors)} error(s):\n{lines}", errors)
    files = {"request": str(file)}
    if base_file is not None:
        files["base"] = str(base_file)
    warnings = [problem for problem in problems if problem.severity == "warning"]
    return ModuleSpec(requests=requests, base_url=base_url, files=files, warnings=warnings)


def _split_module_keys(
    item: dict[str, Any], item_path: str, document: Document, problems: list[Problem]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Take the module-only keys out of a request, so the connection checker sees the rest."""
    item = dict(item)
    for key, reason in MODULE_IGNORED_KEYS.items():
        if key in item:
            item.pop(key)
            problems.append(document.problem(
                f"{item_path}.{key}", f'"{key}" is not followed by imlconnect request: {reason}.',
                severity="warning", key=True,
            ))
    module_keys: dict[str, Any] = {}
    response = item.get("response")
    if isinstance(response, dict):
        response = dict(response)
        for key in list(response):
            if key in ("output", "iterate", "limit"):
                module_keys[key] = response.pop(key)
            elif key not in MODULE_RESPONSE_KEYS:
                problems.append(document.problem(
                    f"{item_path}.response.{key}",
                    f'"{key}" belongs to connections; a module-style request may use only '
                    f"{', '.join(sorted(MODULE_RESPONSE_KEYS))} in its response.",
                    key=True,
                ))
                response.pop(key)
        item["response"] = response
    return item, module_keys


def _inherit_base(item: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Apply the app base under a module request: the request's own values win."""
    if not base:
        return item
    merged = dict(item)
    for key in ("headers", "qs"):
        if isinstance(base.get(key), dict):
            own = merged.get(key)
            if isinstance(own, dict):
                merged[key] = {**base[key], **own}
            elif key not in merged:
                merged[key] = base[key]
    if "timeout" in base and "timeout" not in merged:
        merged["timeout"] = base["timeout"]
    base_response = base.get("response")
    if isinstance(base_response, dict):
        response = dict(merged.get("response") or {})
        for key in ("error", "valid", "type"):
            if key in base_response and key not in response:
                response[key] = base_response[key]
        if response:
            merged["response"] = response
    return merged


def _module_output(checker: CommunicationChecker, keys: dict[str, Any], json_path: str) -> ModuleOutputSpec:
    """Compile `output`, `iterate` and `limit` of one module request."""
    path = f"{json_path}.response"
    output = checker.value(f"{path}.output", keys["output"]) if "output" in keys else None
    container = condition = None
    iterate = keys.get("iterate")
    if isinstance(iterate, str):
        container = checker.template(f"{path}.iterate", iterate, what="iterate")
    elif isinstance(iterate, dict):
        if "container" in iterate:
            container = checker.template(f"{path}.iterate.container", iterate["container"], what="iterate.container")
        if "condition" in iterate:
            condition = checker.template(f"{path}.iterate.condition", iterate["condition"], what="iterate.condition")
    elif iterate is not None:
        checker.report(f"{path}.iterate", f'Invalid "iterate": expected an IML string or an object, found {json_kind(iterate)}.')
    limit = keys.get("limit")
    if isinstance(limit, str):
        limit = checker.template(f"{path}.limit", limit, what="limit")
    elif limit is not None and not (isinstance(limit, int) and not isinstance(limit, bool)):
        checker.report(f"{path}.limit", f'Invalid "limit": expected a number or an IML string, found {json_kind(limit)}.')
        limit = None
    return ModuleOutputSpec(output=output, container=container, condition=condition, limit=limit)
