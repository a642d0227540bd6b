"""Tool sets of the local backend: discover the tools of an endpoint and call them.

An endpoint is the stored tool endpoint dict: ``endpoint_type`` (``mock``, ``code``,
``mcp_server``, ``http``; ``openapi`` is an alias of ``http`` and ``mcp`` of ``mcp_server``),
``url``, ``auth_type``, ``auth_config`` and ``config``.

- ``mock``: ``config.tools`` is a list of ``{"name", "description"?, "input_schema"?,
  "response"?, "responses"?: [{"when": {arg: value}, "response"?, "error"?}], "error"?}``.
  The first ``responses`` entry whose ``when`` equals the arguments wins, else ``response``,
  else ``error`` (a tool failure), else the call is echoed as ``{"tool", "input"}``.
  ``{{arg}}`` placeholders in string responses are filled from the arguments (a string that is
  exactly one placeholder takes the argument's value with its type). Arguments are validated
  against ``input_schema``.
- ``code``: ``config.module`` is ``"package.module:attr"`` (a dict name -> callable, or an
  object whose public callables are the tools) or ``"package.module"`` (its public functions).
  The module must opt in with ``__pipelines_tools__ = True`` or a list of tool names (checked
  in its source before anything is imported) unless the server called
  :func:`allow_code_module` for it. Only what the module defines (or lists) is served: ``attr``
  is one name, never a path into the modules it imports.
  Discovery reads signatures and docstrings; a call is ``fn(**arguments)``.
- ``mcp_server``: JSON-RPC 2.0 over HTTP POST to ``url`` (``initialize``, then ``tools/list``
  and ``tools/call``; JSON or server-sent-event answers).
- ``http``: the OpenAPI (JSON) document at ``config.spec_url`` or ``url``; each operation is a
  tool named by its ``operationId``; a call issues the HTTP request.

Problems with the endpoint raise :class:`ToolEndpointError`; a tool that ran and failed raises
:class:`ToolCallError` (a subclass). Credentials from ``auth_config`` never appear in messages.
"""

from __future__ import annotations

import base64
import importlib
import importlib.machinery
import inspect
import json
import re
import sys
import threading
import time
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpx

from pytest_pipelines._version import __version__
from pytest_pipelines.local._store.db import find_non_finite, spell

__all__ = [
    "ENDPOINT_TYPES",
    "ToolCallError",
    "ToolEndpointError",
    "ToolEndpointUnreachableError",
    "allow_code_module",
    "call_tool",
    "check_endpoint",
    "destination",
    "discover_tools",
    "endpoint_type",
]

ENDPOINT_TYPES: tuple[str, ...] = ("mock", "code", "mcp_server", "http")
ENDPOINT_ALIASES: dict[str, str] = {"openapi": "http", "mcp": "mcp_server"}
AUTH_TYPES: tuple[str, ...] = ("none", "bearer", "api_key", "basic", "header")
DEFAULT_TIMEOUT = 5.0
MCP_PROTOCOL_VERSION = "2025-03-26"
_HTTP_METHODS = ("get", "post", "put", "patch", "delete")

MSG_BAD_TYPE = "unknown endpoint_type {kind!r}; valid types: " + ", ".join(
    [*ENDPOINT_TYPES, *ENDPOINT_ALIASES]
)
MSG_UNKNOWN_TOOL = "tool {name!r} is not offered by this {kind} endpoint; available tools: {tools}"
MSG_UNREACHABLE = (
    "the {kind} endpoint at {url} could not be reached ({error}); the local backend cannot reach "
    "it; use a mock or code tool set offline"
)
MSG_NO_URL = "a {kind} endpoint needs a url (config.spec_url also works for http endpoints)"
MSG_BAD_MOCK = (
    "a mock endpoint needs config.tools, a list of {{'name', 'description'?, 'input_schema'?, "
    "'response'? | 'responses'?}} objects; {problem}"
)
MSG_BAD_CODE_SPEC = (
    "a code endpoint needs config.module, 'package.module:attr' (a dict name -> callable or an "
    "object with callables) or 'package.module' (its public functions); {problem}"
)
CODE_TOOLS_MARKER = "__pipelines_tools__"
MSG_NOT_OPTED_IN = (
    "module {module!r} has not opted in to serve as a code tool set: add "
    "`__pipelines_tools__ = True` to it, or let the server allow it with "
    "allow_code_module({module!r}). The local backend only runs code from modules that opt in, "
    "so an API key cannot make it call arbitrary library functions"
)
MSG_DOTTED_ATTR = (
    "{attr!r} is a dotted path; name one attribute of the module itself (module:attr), which "
    "the module defines or lists in __pipelines_tools__"
)
MSG_NOT_OWN = (
    "{attr} is not defined in module {module!r} (it comes from elsewhere, e.g. an import); "
    "a code tool set serves only what the module defines, or what it lists in "
    "__pipelines_tools__ = [...]"
)
MSG_NOT_LISTED = "{attr!r} is not listed in {module}.__pipelines_tools__ ({listed})"
MSG_LISTED_NOT_CALLABLE = "{name!r} is listed in __pipelines_tools__ but is not a function"
MSG_BAD_AUTH = "unknown auth_type {auth!r}; valid types: " + ", ".join(AUTH_TYPES)
MSG_BAD_ARGUMENTS = "invalid arguments for tool {name!r}: {problem}"
MSG_TOOL_FAILED = "tool {name!r} failed: {error}"
MSG_NOT_JSON_RESULT = (
    "tool {name!r} returned {value} at {where} of its result; NaN and Infinity are not JSON, so "
    "the result can be neither stored nor shown to the model: return a finite number, None or "
    "a string there (for example `None if math.isnan(x) else x`)"
)


class ToolEndpointError(Exception):
    """A tool endpoint is misconfigured or unreachable, or does not offer the tool."""


class ToolCallError(ToolEndpointError):
    """A tool ran and failed (its error is recorded on the tool call)."""


class ToolEndpointUnreachableError(ToolEndpointError):
    """The endpoint's server could not be reached (connection refused, timeout, DNS)."""


def endpoint_type(endpoint: Mapping[str, Any]) -> str:
    """The canonical endpoint type (aliases resolved); :class:`ToolEndpointError` if unknown."""
    kind = str(endpoint.get("endpoint_type") or "")
    kind = ENDPOINT_ALIASES.get(kind, kind)
    if kind not in ENDPOINT_TYPES:
        raise ToolEndpointError(MSG_BAD_TYPE.format(kind=endpoint.get("endpoint_type")))
    return kind


def _config(endpoint: Mapping[str, Any]) -> Mapping[str, Any]:
    config = endpoint.get("config") or {}
    if not isinstance(config, Mapping):
        raise ToolEndpointError("the endpoint config must be a JSON object")
    return config


def discover_tools(endpoint: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tools of ``endpoint``: ``[{"name", "description", "input_schema"}]``."""
    kind = endpoint_type(endpoint)
    if kind == "mock":
        return [_public(tool) for tool in _mock_tools(endpoint)]
    if kind == "code":
        return [_describe_callable(name, fn) for name, fn in _code_tools(endpoint).items()]
    if kind == "mcp_server":
        return _mcp_list(endpoint)
    return [tool for tool, _ in _openapi_tools(endpoint)[0]]


def call_tool(endpoint: Mapping[str, Any], tool_name: str, arguments: Mapping[str, Any]) -> Any:
    """Call ``tool_name`` of ``endpoint`` with ``arguments`` and return its (JSON-able) result.

    :raises ToolCallError: the tool ran and failed, or the arguments do not fit its schema.
    :raises ToolEndpointError: the endpoint is misconfigured, unreachable, or lacks the tool.
    """
    kind = endpoint_type(endpoint)
    if not isinstance(arguments, Mapping):
        raise ToolCallError(MSG_BAD_ARGUMENTS.format(name=tool_name, problem="not a JSON object"))
    if kind == "mock":
        result = _mock_call(endpoint, tool_name, arguments)
    elif kind == "code":
        result = _code_call(endpoint, tool_name, arguments)
    elif kind == "mcp_server":
        result = _mcp_call(endpoint, tool_name, arguments)
    else:
        result = _openapi_call(endpoint, tool_name, arguments)
    # A code tool's float('nan'), or NaN in a server's JSON (json.loads accepts it): a tool
    # failure like any other, rather than a row SQLite refuses halfway through the task.
    found = find_non_finite(result)
    if found is not None:
        where, number = found
        raise ToolCallError(
            MSG_NOT_JSON_RESULT.format(name=tool_name, value=spell(number), where=where)
        )
    return result


def check_endpoint(endpoint: Mapping[str, Any]) -> dict[str, Any]:
    """Try discovery: ``{"ok", "tool_count", "tools", "latency_ms", "error"}`` (never raises)."""
    started = time.perf_counter()
    try:
        tools = discover_tools(endpoint)
    except ToolEndpointError as exc:
        error: str | None = str(exc)
        tools = []
    else:
        error = None
    return {
        "ok": error is None,
        "tool_count": len(tools),
        "tools": [tool["name"] for tool in tools],
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "error": error,
    }


def _public(tool: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": str(tool["name"]),
        "description": str(tool.get("description") or ""),
        "input_schema": dict(tool.get("input_schema") or {"type": "object", "properties": {}}),
    }


def _unknown(name: str, kind: str, available: list[str]) -> ToolEndpointError:
    return ToolEndpointError(
        MSG_UNKNOWN_TOOL.format(
            name=name, kind=kind, tools=", ".join(sorted(available)) or "(none)"
        )
    )


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _validate_arguments(name: str, schema: Any, arguments: Mapping[str, Any]) -> None:
    if not isinstance(schema, Mapping) or not schema:
        return
    import jsonschema
    from jsonschema.exceptions import SchemaError, best_match

    schema = dict(schema)
    validator_class = jsonschema.validators.validator_for(schema, jsonschema.Draft202012Validator)
    try:
        validator_class.check_schema(schema)
    except SchemaError as exc:
        raise ToolEndpointError(
            f"the input_schema of tool {name!r} is not a valid JSON Schema: {exc.message}"
        ) from exc
    error = best_match(validator_class(schema).iter_errors(dict(arguments)))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise ToolCallError(
            MSG_BAD_ARGUMENTS.format(name=name, problem=f"at ${where}: {error.message}")
        )


# --- mock -----------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w-]*)\s*\}\}")


def _mock_tools(endpoint: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tools = _config(endpoint).get("tools")
    if not isinstance(tools, list):
        raise ToolEndpointError(MSG_BAD_MOCK.format(problem="config.tools is missing"))
    seen: set[str] = set()
    for index, tool in enumerate(tools):
        if (
            not isinstance(tool, Mapping)
            or not isinstance(tool.get("name"), str)
            or not tool["name"]
        ):
            raise ToolEndpointError(MSG_BAD_MOCK.format(problem=f"tools[{index}] has no name"))
        if tool["name"] in seen:
            raise ToolEndpointError(
                MSG_BAD_MOCK.format(problem=f"the tool name {tool['name']!r} is used twice")
            )
        seen.add(tool["name"])
    return tools


def fill_placeholders(value: Any, arguments: Mapping[str, Any]) -> Any:
    """Fill ``{{arg}}`` placeholders in the strings of ``value`` (recursively)."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole and whole.group(1) in arguments:
            return arguments[whole.group(1)]

        def text(match: re.Match[str]) -> str:
            if match.group(1) not in arguments:
                return match.group(0)
            found = arguments[match.group(1)]
            return found if isinstance(found, str) else json.dumps(found)

        return _PLACEHOLDER.sub(text, value)
    if isinstance(value, Mapping):
        return {key: fill_placeholders(item, arguments) for key, item in value.items()}
    if isinstance(value, list):
        return [fill_placeholders(item, arguments) for item in value]
    return value


def _mock_call(endpoint: Mapping[str, Any], name: str, arguments: Mapping[str, Any]) -> Any:
    tools = _mock_tools(endpoint)
    tool = next((t for t in tools if t["name"] == name), None)
    if tool is None:
        raise _unknown(name, "mock", [str(t["name"]) for t in tools])
    _validate_arguments(name, tool.get("input_schema"), arguments)
    for case in tool.get("responses") or []:
        if not isinstance(case, Mapping):
            continue
        when = case.get("when") or {}
        if isinstance(when, Mapping) and all(
            key in arguments and arguments[key] == value for key, value in when.items()
        ):
            if case.get("error"):
                raise ToolCallError(
                    MSG_TOOL_FAILED.format(
                        name=name, error=fill_placeholders(case["error"], arguments)
                    )
                )
            return fill_placeholders(case.get("response"), arguments)
    if "response" in tool:
        return fill_placeholders(tool["response"], arguments)
    if tool.get("error"):
        raise ToolCallError(
            MSG_TOOL_FAILED.format(name=name, error=fill_placeholders(tool["error"], arguments))
        )
    return {"tool": name, "input": dict(arguments)}


# --- code -----------------------------------------------------------------------------------

_JSON_TYPES: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    tuple: "array",
    dict: "object",
}


_ALLOWED_CODE_MODULES: set[str] = set()
_ALLOWED_LOCK = threading.Lock()


def allow_code_module(module_name: str) -> None:
    """Let code tool sets use ``module_name`` although it does not declare ``__pipelines_tools__``.

    For modules you cannot edit; the server operator decides, not the API caller.
    """
    with _ALLOWED_LOCK:
        _ALLOWED_CODE_MODULES.add(module_name)


def _spec_without_importing(module_name: str) -> importlib.machinery.ModuleSpec | None:
    """The module's spec, found the way ``import`` would find it but importing nothing.

    :func:`importlib.util.find_spec` imports the parent packages of a dotted name, so asking
    about ``"pkg.mod"`` would run ``pkg/__init__.py`` of any installed package before the
    opt-in is checked. Here each level is looked up with the meta path finders, the parent's
    search locations taken from its spec.
    """
    spec: importlib.machinery.ModuleSpec | None = None
    search: Any = None
    parts = module_name.split(".")
    for depth in range(1, len(parts) + 1):
        fullname = ".".join(parts[:depth])
        loaded = sys.modules.get(fullname)
        if loaded is not None:
            spec = getattr(loaded, "__spec__", None)
        else:
            spec = None
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(fullname, search, None)
                if spec is not None:
                    break
        if spec is None:
            return None
        search = spec.submodule_search_locations
        if depth < len(parts) and search is None:
            return None  # a module, not a package: it has no submodules
    return spec


def _opted_in_source(module_name: str) -> bool:
    """Whether the module's source declares the marker, read without running any module."""
    if not all(part.isidentifier() for part in module_name.split(".")):
        raise ToolEndpointError(
            MSG_BAD_CODE_SPEC.format(problem=f"{module_name!r} is not a module name")
        )
    found = _spec_without_importing(module_name)
    if found is None:
        raise ToolEndpointError(
            MSG_BAD_CODE_SPEC.format(problem=f"module {module_name!r} cannot be imported")
        )
    origin = found.origin
    if not origin or not origin.endswith(".py"):
        return False
    try:
        with open(origin, encoding="utf-8") as handle:
            return CODE_TOOLS_MARKER in handle.read()
    except (OSError, UnicodeDecodeError):
        return False


def _listed_tools(marker: Any) -> tuple[str, ...] | None:
    """The names a ``__pipelines_tools__`` list names; None for ``True`` (or not a list)."""
    if isinstance(marker, (list, tuple)) and all(isinstance(n, str) for n in marker):
        return tuple(marker)
    return None


def _import_code_module(module_name: str) -> tuple[types.ModuleType, tuple[str, ...] | None]:
    """The opted-in (or allowed) module and the tool names it lists (None: none listed)."""
    with _ALLOWED_LOCK:
        allowed = module_name in _ALLOWED_CODE_MODULES
    if not allowed and not _opted_in_source(module_name):
        raise ToolEndpointError(MSG_NOT_OPTED_IN.format(module=module_name))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ToolEndpointError(
            MSG_BAD_CODE_SPEC.format(problem=f"module {module_name!r} cannot be imported ({exc})")
        ) from exc
    marker = getattr(module, CODE_TOOLS_MARKER, None)
    listed = _listed_tools(marker)
    if not allowed and marker is not True and listed is None:
        raise ToolEndpointError(MSG_NOT_OPTED_IN.format(module=module_name))
    return module, listed


def _defined_in(obj: Any, module: types.ModuleType) -> bool:
    """Whether ``obj`` (a function, a class, or an instance of a class) is the module's own."""
    owner = getattr(obj, "__module__", None)
    if owner is None and not isinstance(obj, type):
        owner = getattr(type(obj), "__module__", None)
    return owner == module.__name__


def _code_tools(endpoint: Mapping[str, Any]) -> dict[str, Callable[..., Any]]:
    """The tools of a code endpoint: only what the opted-in module defines or lists.

    ``module:attr`` names one attribute of the module, never a path: a dotted walk would reach
    the modules it imports (``travel_tools:subprocess``). Without a ``__pipelines_tools__``
    list, the attribute and the tools it holds must be defined in the module itself.
    """
    spec = _config(endpoint).get("module")
    if not isinstance(spec, str) or not spec.strip():
        raise ToolEndpointError(MSG_BAD_CODE_SPEC.format(problem="config.module is missing"))
    module_name, _, attr = spec.strip().partition(":")
    attr = attr.strip()
    if "." in attr:
        raise ToolEndpointError(MSG_BAD_CODE_SPEC.format(problem=MSG_DOTTED_ATTR.format(attr=attr)))
    module, listed = _import_code_module(module_name.strip())
    own = module.__name__
    tools: dict[str, Callable[..., Any]] = {}
    if not attr:
        if listed is not None:
            for name in listed:
                fn = getattr(module, name, None)
                if not callable(fn) or isinstance(fn, types.ModuleType):
                    raise ToolEndpointError(
                        MSG_BAD_CODE_SPEC.format(problem=MSG_LISTED_NOT_CALLABLE.format(name=name))
                    )
                tools[name] = fn
        else:
            for name, fn in vars(module).items():
                if not name.startswith("_") and inspect.isfunction(fn) and fn.__module__ == own:
                    tools[name] = fn
        if not tools:
            raise ToolEndpointError(MSG_BAD_CODE_SPEC.format(problem=f"{spec!r} holds no tool"))
        return tools
    if listed is not None and attr not in listed:
        raise ToolEndpointError(
            MSG_BAD_CODE_SPEC.format(
                problem=MSG_NOT_LISTED.format(attr=attr, module=own, listed=", ".join(listed))
            )
        )
    try:
        target = getattr(module, attr)
    except AttributeError as exc:
        raise ToolEndpointError(
            MSG_BAD_CODE_SPEC.format(problem=f"{own!r} has no attribute {attr!r}")
        ) from exc
    explicit = listed is not None
    if isinstance(target, types.ModuleType) or not (
        explicit or isinstance(target, Mapping) or _defined_in(target, module)
    ):
        raise ToolEndpointError(
            MSG_BAD_CODE_SPEC.format(problem=MSG_NOT_OWN.format(attr=attr, module=own))
        )
    if isinstance(target, Mapping):
        for name, fn in target.items():
            if not isinstance(name, str) or not callable(fn):
                raise ToolEndpointError(
                    MSG_BAD_CODE_SPEC.format(problem=f"the entry {name!r} is not a callable")
                )
            if not explicit and not _defined_in(fn, module):
                raise ToolEndpointError(
                    MSG_BAD_CODE_SPEC.format(
                        problem=MSG_NOT_OWN.format(attr=f"{attr}[{name!r}]", module=own)
                    )
                )
            tools[name] = fn
    else:
        for name in dir(target):
            if name.startswith("_"):
                continue
            fn = getattr(target, name)
            if inspect.isroutine(fn) and (explicit or getattr(fn, "__module__", None) == own):
                tools[name] = fn
    if not tools:
        raise ToolEndpointError(MSG_BAD_CODE_SPEC.format(problem=f"{spec!r} holds no tool"))
    return tools


def _json_type(annotation: Any) -> dict[str, Any]:
    origin = typing.get_origin(annotation) or annotation
    if origin in _JSON_TYPES:
        return {"type": _JSON_TYPES[origin]}
    if origin in (typing.Union, types.UnionType):
        kinds = [_json_type(arg).get("type") for arg in typing.get_args(annotation)]
        names = [k for k in kinds if k] + (
            ["null"] if type(None) in typing.get_args(annotation) else []
        )
        unique = list(dict.fromkeys(n for n in names if n))
        if unique:
            return {"type": unique[0] if len(unique) == 1 else unique}
    if annotation is type(None):
        return {"type": "null"}
    if origin is typing.Literal:
        return {"enum": list(typing.get_args(annotation))}
    return {}


def _describe_callable(name: str, fn: Callable[..., Any]) -> dict[str, Any]:
    doc = inspect.getdoc(fn) or ""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return _public({"name": name, "description": doc.split("\n\n")[0]})
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            continue
        schema = _json_type(hints.get(param.name, Any))
        if param.default is not param.empty:
            schema["default"] = _jsonable(param.default)
        else:
            required.append(param.name)
        properties[param.name] = schema
    input_schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        input_schema["required"] = required
    return {
        "name": name,
        "description": doc.split("\n\n")[0].replace("\n", " "),
        "input_schema": input_schema,
    }


def _code_call(endpoint: Mapping[str, Any], name: str, arguments: Mapping[str, Any]) -> Any:
    tools = _code_tools(endpoint)
    fn = tools.get(name)
    if fn is None:
        raise _unknown(name, "code", list(tools))
    try:
        bound = inspect.signature(fn).bind(**arguments)
    except TypeError as exc:
        raise ToolCallError(MSG_BAD_ARGUMENTS.format(name=name, problem=exc)) from exc
    except ValueError:
        bound = None
    try:
        result = fn(*bound.args, **bound.kwargs) if bound is not None else fn(**arguments)
    except Exception as exc:
        raise ToolCallError(
            MSG_TOOL_FAILED.format(name=name, error=f"{type(exc).__name__}: {exc}")
        ) from exc
    return _jsonable(result)


# --- HTTP helpers ---------------------------------------------------------------------------


def _safe_url(url: str) -> str:
    """``url`` without credentials, query or fragment (for messages)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def destination(endpoint: Mapping[str, Any]) -> tuple[str, Any, Any, Any]:
    """Where the endpoint's requests (and so its credentials) go: type, url, spec and base url."""
    config = _config(endpoint)
    return (
        ENDPOINT_ALIASES.get(
            str(endpoint.get("endpoint_type")), str(endpoint.get("endpoint_type"))
        ),
        endpoint.get("url"),
        config.get("spec_url"),
        config.get("base_url"),
    )


def _auth_headers(endpoint: Mapping[str, Any]) -> dict[str, str]:
    auth = str(endpoint.get("auth_type") or "none")
    config = endpoint.get("auth_config") or {}
    if not isinstance(config, Mapping):
        raise ToolEndpointError("auth_config must be a JSON object")
    if auth == "none":
        return {}
    if auth == "bearer":
        token = config.get("token") or config.get("api_key")
        if not token:
            raise ToolEndpointError("auth_type 'bearer' needs auth_config.token")
        return {"Authorization": f"Bearer {token}"}
    if auth == "api_key":
        key = config.get("api_key") or config.get("key") or config.get("value")
        if not key:
            raise ToolEndpointError("auth_type 'api_key' needs auth_config.api_key")
        return {str(config.get("header") or "X-API-Key"): str(key)}
    if auth == "basic":
        user, password = config.get("username"), config.get("password")
        if user is None or password is None:
            raise ToolEndpointError("auth_type 'basic' needs auth_config.username and password")
        raw = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}
    if auth == "header":
        header, value = config.get("name") or config.get("header"), config.get("value")
        if not header or value is None:
            raise ToolEndpointError("auth_type 'header' needs auth_config.name and value")
        return {str(header): str(value)}
    raise ToolEndpointError(MSG_BAD_AUTH.format(auth=auth))


def _timeout(endpoint: Mapping[str, Any]) -> float:
    value = _config(endpoint).get("timeout", DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ToolEndpointError(f"config.timeout must be a number of seconds > 0, got {value!r}")
    return float(value)


def _client(endpoint: Mapping[str, Any]) -> httpx.Client:
    headers = {"User-Agent": f"pytest-pipelines-local/{__version__}"}
    headers.update(_auth_headers(endpoint))
    return httpx.Client(headers=headers, timeout=_timeout(endpoint), follow_redirects=True)


def _unreachable(kind: str, url: str, exc: Exception) -> ToolEndpointError:
    return ToolEndpointUnreachableError(
        MSG_UNREACHABLE.format(kind=kind, url=_safe_url(url), error=type(exc).__name__)
    )


def _short(text: str, limit: int = 200) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# --- MCP ------------------------------------------------------------------------------------


def _mcp_url(endpoint: Mapping[str, Any]) -> str:
    url = endpoint.get("url")
    if not isinstance(url, str) or not url:
        raise ToolEndpointError(MSG_NO_URL.format(kind="mcp_server"))
    return url


def _rpc_payload(response: httpx.Response, request_id: int) -> Any:
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" in content_type:
        for block in response.text.split("\n\n"):
            data = "\n".join(
                line[5:].lstrip() for line in block.splitlines() if line.startswith("data:")
            )
            if not data:
                continue
            message = json.loads(data)
            if isinstance(message, Mapping) and message.get("id") == request_id:
                return message
        raise ValueError("no JSON-RPC answer in the event stream")
    return response.json()


class _McpSession:
    def __init__(self, endpoint: Mapping[str, Any]) -> None:
        self.url = _mcp_url(endpoint)
        self.client = _client(endpoint)
        self.session_id: str | None = None
        self.next_id = 0

    def __enter__(self) -> _McpSession:
        try:
            self.request(
                "initialize",
                {
                    "protocolVersion": MCP_PROTOCOL_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "pytest-pipelines-local", "version": __version__},
                },
                tolerate_error=True,
            )
            self.notify("notifications/initialized")
        except BaseException:
            self.client.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json, text/event-stream"}
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
        return headers

    def _post(self, body: Mapping[str, Any]) -> httpx.Response:
        try:
            response = self.client.post(self.url, json=body, headers=self._headers())
        except httpx.HTTPError as exc:
            raise _unreachable("mcp_server", self.url, exc) from exc
        session = response.headers.get("mcp-session-id")
        if session:
            self.session_id = session
        return response

    def notify(self, method: str) -> None:
        self._post({"jsonrpc": "2.0", "method": method})

    def request(
        self, method: str, params: Mapping[str, Any], *, tolerate_error: bool = False
    ) -> Any:
        self.next_id += 1
        request_id = self.next_id
        response = self._post(
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": dict(params)}
        )
        where = _safe_url(self.url)
        if response.status_code >= 400:
            if tolerate_error:
                return None
            raise ToolEndpointError(
                f"the mcp_server endpoint at {where} answered HTTP {response.status_code} to "
                f"{method}: {_short(response.text)}"
            )
        try:
            message = _rpc_payload(response, request_id)
        except ValueError as exc:
            raise ToolEndpointError(
                f"the mcp_server endpoint at {where} answered {method} with something that is "
                f"not JSON-RPC ({exc})"
            ) from exc
        if not isinstance(message, Mapping):
            raise ToolEndpointError(
                f"the mcp_server endpoint at {where} answered {method} with a non-object"
            )
        if "error" in message:
            if tolerate_error:
                return None
            error = message["error"] if isinstance(message["error"], Mapping) else {}
            raise ToolEndpointError(
                f"the mcp_server endpoint at {where} answered {method} with error "
                f"{error.get('code')}: {error.get('message')}"
            )
        return message.get("result")


def _mcp_list(endpoint: Mapping[str, Any]) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    with _McpSession(endpoint) as session:
        cursor: str | None = None
        for _ in range(100):
            params: dict[str, Any] = {"cursor": cursor} if cursor else {}
            result = session.request("tools/list", params)
            if not isinstance(result, Mapping) or not isinstance(result.get("tools"), list):
                raise ToolEndpointError(
                    f"the mcp_server endpoint at {_safe_url(session.url)} answered tools/list "
                    "without a tools list"
                )
            for tool in result["tools"]:
                if isinstance(tool, Mapping) and tool.get("name"):
                    tools.append(
                        _public(
                            {
                                "name": tool["name"],
                                "description": tool.get("description"),
                                "input_schema": tool.get("inputSchema") or tool.get("input_schema"),
                            }
                        )
                    )
            cursor = result.get("nextCursor")
            if not cursor:
                break
    return tools


def _mcp_call(endpoint: Mapping[str, Any], name: str, arguments: Mapping[str, Any]) -> Any:
    with _McpSession(endpoint) as session:
        try:
            result = session.request("tools/call", {"name": name, "arguments": dict(arguments)})
        except ToolEndpointUnreachableError:
            raise
        except ToolEndpointError as exc:
            raise ToolCallError(MSG_TOOL_FAILED.format(name=name, error=exc)) from exc
    if not isinstance(result, Mapping):
        return result
    texts = [
        str(item.get("text", ""))
        for item in result.get("content") or []
        if isinstance(item, Mapping) and item.get("type") == "text"
    ]
    if result.get("isError"):
        raise ToolCallError(MSG_TOOL_FAILED.format(name=name, error=" ".join(texts) or "isError"))
    if "structuredContent" in result:
        return result["structuredContent"]
    if len(texts) == 1:
        try:
            return json.loads(texts[0])
        except json.JSONDecodeError:
            return texts[0]
    if texts:
        return texts
    return _jsonable(result.get("content"))


# --- HTTP / OpenAPI -------------------------------------------------------------------------


def _spec_url(endpoint: Mapping[str, Any]) -> str:
    url = _config(endpoint).get("spec_url") or endpoint.get("url")
    if not isinstance(url, str) or not url:
        raise ToolEndpointError(MSG_NO_URL.format(kind="http"))
    return url


def _resolve(spec: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < 10:
        ref = node["$ref"]
        if ref.startswith("#/"):
            target: Any = spec
            for part in ref[2:].split("/"):
                target = target.get(part) if isinstance(target, Mapping) else None
            if target is not None:
                return _resolve(spec, target, depth + 1)
    return node


def _operation_name(method: str, path: str, operation: Mapping[str, Any]) -> str:
    if isinstance(operation.get("operationId"), str) and operation["operationId"]:
        return str(operation["operationId"])
    slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "root"
    return f"{method}_{slug}"


_Operation = dict[str, Any]


def _openapi_tools(
    endpoint: Mapping[str, Any],
) -> tuple[list[tuple[dict[str, Any], _Operation]], str]:
    url = _spec_url(endpoint)
    with _client(endpoint) as client:
        try:
            response = client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise _unreachable("http", url, exc) from exc
    if response.status_code >= 400:
        raise ToolEndpointError(
            f"the OpenAPI document at {_safe_url(url)} answered HTTP {response.status_code}; "
            "check the url (or config.spec_url)"
        )
    try:
        spec = response.json()
    except ValueError as exc:
        raise ToolEndpointError(
            f"the document at {_safe_url(url)} is not JSON; serve the OpenAPI document as JSON "
            "(YAML is not supported)"
        ) from exc
    if not isinstance(spec, Mapping) or not isinstance(spec.get("paths"), Mapping):
        raise ToolEndpointError(
            f"the document at {_safe_url(url)} is not an OpenAPI document (no 'paths')"
        )
    base = _config(endpoint).get("base_url")
    if not isinstance(base, str) or not base:
        servers = spec.get("servers")
        server = servers[0].get("url") if isinstance(servers, list) and servers else None
        base = urljoin(str(response.url), server) if isinstance(server, str) else str(response.url)
        if not isinstance(server, str):
            parts = urlsplit(base)
            base = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    tools: list[tuple[dict[str, Any], _Operation]] = []
    for path, item in spec["paths"].items():
        if not isinstance(item, Mapping):
            continue
        shared = item.get("parameters") or []
        for method in _HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            tools.append(_operation_tool(spec, str(path), method, operation, shared))
    return tools, base


def _operation_tool(
    spec: Mapping[str, Any],
    path: str,
    method: str,
    operation: Mapping[str, Any],
    shared: Any,
) -> tuple[dict[str, Any], _Operation]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    locations: dict[str, str] = {}
    for raw in [
        *(shared if isinstance(shared, list) else []),
        *(operation.get("parameters") or []),
    ]:
        param = _resolve(spec, raw)
        if not isinstance(param, Mapping) or not param.get("name"):
            continue
        name = str(param["name"])
        locations[name] = str(param.get("in") or "query")
        param_schema = dict(_resolve(spec, param.get("schema")) or {})
        if param.get("description"):
            param_schema.setdefault("description", param["description"])
        properties[name] = param_schema
        if param.get("required") or locations[name] == "path":
            required.append(name)
    body_mode: str | None = None
    body = _resolve(spec, operation.get("requestBody"))
    if isinstance(body, Mapping):
        content: Any = body.get("content") or {}
        media = content.get("application/json") if isinstance(content, Mapping) else None
        schema = _resolve(spec, media.get("schema")) if isinstance(media, Mapping) else None
        if isinstance(schema, Mapping) and isinstance(schema.get("properties"), Mapping):
            body_mode = "fields"
            for name, prop in schema["properties"].items():
                properties[str(name)] = dict(_resolve(spec, prop) or {})
                locations[str(name)] = "body"
            required.extend(str(n) for n in schema.get("required") or [])
        elif isinstance(schema, Mapping):
            body_mode = "whole"
            properties["body"] = dict(schema)
            locations["body"] = "body"
            if body.get("required"):
                required.append("body")
    input_schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        input_schema["required"] = list(dict.fromkeys(required))
    tool = {
        "name": _operation_name(method, path, operation),
        "description": str(operation.get("summary") or operation.get("description") or ""),
        "input_schema": input_schema,
    }
    return tool, {"method": method, "path": path, "locations": locations, "body_mode": body_mode}


def _openapi_call(endpoint: Mapping[str, Any], name: str, arguments: Mapping[str, Any]) -> Any:
    tools, base = _openapi_tools(endpoint)
    found = next(((tool, op) for tool, op in tools if tool["name"] == name), None)
    if found is None:
        raise _unknown(name, "http", [tool["name"] for tool, _ in tools])
    tool, operation = found
    _validate_arguments(name, tool["input_schema"], arguments)
    path = str(operation["path"])
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    whole_body: Any = None
    for key, value in arguments.items():
        where = operation["locations"].get(key, "body" if operation["body_mode"] else "query")
        if where == "path":
            path = path.replace("{" + key + "}", quote(str(value), safe=""))
        elif where == "header":
            headers[key] = str(value)
        elif where == "body" and operation["body_mode"] == "whole" and key == "body":
            whole_body = value
        elif where == "body":
            body[key] = value
        else:
            query[key] = value
    url = base.rstrip("/") + "/" + path.lstrip("/")
    json_body: Any = whole_body if operation["body_mode"] == "whole" else (body or None)
    method = str(operation["method"]).upper()
    with _client(endpoint) as client:
        try:
            response = client.request(
                method, url, params=query or None, headers=headers or None, json=json_body
            )
        except httpx.HTTPError as exc:
            raise _unreachable("http", url, exc) from exc
    if response.status_code >= 400:
        raise ToolCallError(
            MSG_TOOL_FAILED.format(
                name=name,
                error=f"{method} {operation['path']} answered HTTP {response.status_code}: "
                f"{_short(response.text)}",
            )
        )
    try:
        return response.json()
    except ValueError:
        return response.text
