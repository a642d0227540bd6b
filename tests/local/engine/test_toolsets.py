"""Tool sets: mock and code tool sets, MCP and OpenAPI servers over real HTTP, unreachable ones."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pytest_pipelines.local._demo.models import DEMO_TOOL_ENDPOINT
from pytest_pipelines.local._engine import toolsets as _toolsets
from pytest_pipelines.local._engine.toolsets import (
    MSG_DOTTED_ATTR,
    MSG_NOT_LISTED,
    MSG_NOT_OPTED_IN,
    MSG_NOT_OWN,
    ToolCallError,
    ToolEndpointError,
    ToolEndpointUnreachableError,
    allow_code_module,
    call_tool,
    check_endpoint,
    discover_tools,
    endpoint_type,
)

from .._helpers import serve, write_module

# --- endpoint types ---------------------------------------------------------------------------


def test_endpoint_type_aliases_and_unknown() -> None:
    assert endpoint_type({"endpoint_type": "openapi"}) == "http"
    assert endpoint_type({"endpoint_type": "mcp"}) == "mcp_server"
    with pytest.raises(ToolEndpointError) as info:
        endpoint_type({"endpoint_type": "grpc"})
    assert str(info.value) == (
        "unknown endpoint_type 'grpc'; valid types: mock, code, mcp_server, http, openapi, mcp"
    )


# --- mock -------------------------------------------------------------------------------------

MOCK = {
    "endpoint_type": "mock",
    "config": {
        "tools": [
            {
                "name": "weather",
                "description": "Weather for a city",
                "input_schema": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                    "required": ["city"],
                },
                "responses": [
                    {"when": {"city": "Atlantis"}, "error": "no such city: {{city}}"},
                    {"when": {"city": "Rome"}, "response": {"forecast": "sunny in {{city}}"}},
                ],
                "response": {"forecast": "cloudy in {{city}}", "days": "{{days}}"},
            },
            {"name": "ping"},
            {"name": "broken", "error": "the service is down"},
        ]
    },
}


def test_mock_discovery() -> None:
    tools = discover_tools(MOCK)
    assert [t["name"] for t in tools] == ["weather", "ping", "broken"]
    assert tools[0]["description"] == "Weather for a city"
    assert tools[0]["input_schema"]["required"] == ["city"]
    assert tools[1] == {
        "name": "ping",
        "description": "",
        "input_schema": {"type": "object", "properties": {}},
    }


def test_mock_responses_when_and_placeholders() -> None:
    assert call_tool(MOCK, "weather", {"city": "Rome"}) == {"forecast": "sunny in Rome"}
    # a string that is exactly one placeholder keeps the argument's type
    assert call_tool(MOCK, "weather", {"city": "Oslo", "days": 3}) == {
        "forecast": "cloudy in Oslo",
        "days": 3,
    }
    # an argument that is not given leaves its placeholder
    assert call_tool(MOCK, "weather", {"city": "Oslo"})["days"] == "{{days}}"
    assert call_tool(MOCK, "ping", {"x": 1}) == {"tool": "ping", "input": {"x": 1}}


def test_mock_errors() -> None:
    with pytest.raises(ToolCallError, match=r"tool 'weather' failed: no such city: Atlantis"):
        call_tool(MOCK, "weather", {"city": "Atlantis"})
    with pytest.raises(ToolCallError, match=r"tool 'broken' failed: the service is down"):
        call_tool(MOCK, "broken", {})
    with pytest.raises(ToolCallError) as info:
        call_tool(MOCK, "weather", {"days": 2})
    assert str(info.value) == (
        "invalid arguments for tool 'weather': at $: 'city' is a required property"
    )
    with pytest.raises(ToolEndpointError) as unknown:
        call_tool(MOCK, "delete_everything", {})
    assert not isinstance(unknown.value, ToolCallError)
    assert str(unknown.value) == (
        "tool 'delete_everything' is not offered by this mock endpoint; available tools: "
        "broken, ping, weather"
    )


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({}, "config.tools is missing"),
        ({"tools": [{"description": "x"}]}, "tools[0] has no name"),
        ({"tools": [{"name": "a"}, {"name": "a"}]}, "the tool name 'a' is used twice"),
    ],
)
def test_mock_bad_configs(config: dict[str, Any], problem: str) -> None:
    with pytest.raises(ToolEndpointError, match=r"a mock endpoint needs config.tools") as info:
        discover_tools({"endpoint_type": "mock", "config": config})
    assert str(info.value).endswith(problem)


def test_demo_tool_endpoint_is_a_working_mock() -> None:
    assert [t["name"] for t in discover_tools(DEMO_TOOL_ENDPOINT)] == [
        "search_docs",
        "fetch_url",
        "delete_record",
    ]
    found = call_tool(DEMO_TOOL_ENDPOINT, "search_docs", {"query": "Rome"})
    assert found["results"][0]["title"] == "Guide: Rome"
    assert call_tool(DEMO_TOOL_ENDPOINT, "fetch_url", {"url": "https://x.test/a"})["text"] == (
        "Contents of https://x.test/a"
    )


# --- code -------------------------------------------------------------------------------------

CODE_MODULE = """
from __future__ import annotations

from typing import Literal

__pipelines_tools__ = True


def add(a: int, b: int = 2) -> int:
    \"\"\"Add two numbers.

    Longer text that discovery leaves out.\"\"\"
    return a + b


def greet(name: str, style: Literal["plain", "loud"] = "plain", tags: list[str] | None = None) -> dict:
    \"\"\"Greet someone.\"\"\"
    text = f"hello {name}"
    return {"text": text.upper() if style == "loud" else text, "tags": tags or []}


def fail(reason: str) -> None:
    \"\"\"Always fails.\"\"\"
    raise RuntimeError(reason)


def _private() -> None:
    pass


TOOLS = {"plus": add, "hi": greet}


class Toolbox:
    def __init__(self) -> None:
        self.prefix = ">"

    def echo(self, text: str) -> str:
        \"\"\"Echo the text.\"\"\"
        return self.prefix + text


BOX = Toolbox()
"""


@pytest.fixture
def code_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return write_module(tmp_path, monkeypatch, CODE_MODULE)


def code(spec: str) -> dict[str, Any]:
    return {"endpoint_type": "code", "config": {"module": spec}}


def test_code_module_discovery_from_signatures_and_docstrings(code_module: str) -> None:
    tools = {t["name"]: t for t in discover_tools(code(code_module))}
    assert sorted(tools) == ["add", "fail", "greet"]
    assert tools["add"] == {
        "name": "add",
        "description": "Add two numbers.",
        "input_schema": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "default": 2}},
            "required": ["a"],
        },
    }
    greet = tools["greet"]["input_schema"]["properties"]
    assert greet["style"] == {"enum": ["plain", "loud"], "default": "plain"}
    assert greet["tags"] == {"type": ["array", "null"], "default": None}


def test_code_dict_and_object(code_module: str) -> None:
    assert [t["name"] for t in discover_tools(code(f"{code_module}:TOOLS"))] == ["plus", "hi"]
    assert call_tool(code(f"{code_module}:TOOLS"), "plus", {"a": 1}) == 3
    assert call_tool(code(f"{code_module}:TOOLS"), "hi", {"name": "Ada", "style": "loud"}) == {
        "text": "HELLO ADA",
        "tags": [],
    }
    assert [t["name"] for t in discover_tools(code(f"{code_module}:BOX"))] == ["echo"]
    assert call_tool(code(f"{code_module}:BOX"), "echo", {"text": "x"}) == ">x"


def test_code_call_errors(code_module: str) -> None:
    endpoint = code(code_module)
    with pytest.raises(ToolCallError, match=r"tool 'fail' failed: RuntimeError: nope"):
        call_tool(endpoint, "fail", {"reason": "nope"})
    with pytest.raises(
        ToolCallError, match=r"invalid arguments for tool 'add': missing a required argument: 'a'"
    ):
        call_tool(endpoint, "add", {"b": 1})
    with pytest.raises(ToolEndpointError, match=r"available tools: add, fail, greet"):
        call_tool(endpoint, "_private", {})


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (None, "config.module is missing"),
        ("no_such_module_abc", "module 'no_such_module_abc' cannot be imported"),
    ],
)
def test_code_bad_specs(spec: str | None, problem: str) -> None:
    with pytest.raises(ToolEndpointError, match=r"a code endpoint needs config.module") as info:
        discover_tools({"endpoint_type": "code", "config": {"module": spec}})
    assert problem in str(info.value)


def test_code_missing_attribute(code_module: str) -> None:
    with pytest.raises(ToolEndpointError) as info:
        discover_tools(code(f"{code_module}:NOPE"))
    assert f"{code_module!r} has no attribute 'NOPE'" in str(info.value)


def test_code_modules_must_opt_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_toolsets, "_ALLOWED_CODE_MODULES", set())
    with pytest.raises(ToolEndpointError) as info:
        call_tool(code("shutil"), "rmtree", {"path": str(tmp_path)})
    assert str(info.value) == MSG_NOT_OPTED_IN.format(module="shutil")
    assert tmp_path.exists()
    # mentioning the marker is not enough: it must be set to True
    sneaky = write_module(
        tmp_path, monkeypatch, "__pipelines_tools__ = False\n\ndef f() -> int:\n    return 1\n"
    )
    with pytest.raises(ToolEndpointError, match="has not opted in"):
        discover_tools(code(sneaky))


def test_allow_code_module_lets_the_server_allow_a_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_toolsets, "_ALLOWED_CODE_MODULES", set())
    allow_code_module("textwrap")
    names = {t["name"] for t in discover_tools(code("textwrap"))}
    assert {"dedent", "shorten", "wrap"} <= names
    assert call_tool(code("textwrap"), "shorten", {"text": "a b c d e f", "width": 7}) == "a [...]"


IMPORTING_MODULE = """
__pipelines_tools__ = True

import os
import subprocess
from os import getcwd
from subprocess import getoutput as run

TOOLS = {"safe": lambda: 1, "run": run}


def safe() -> str:
    \"\"\"The only tool this module defines.\"\"\"
    return "ok"


class Wrapped(subprocess.Popen):
    def own(self) -> str:
        return "mine"
"""


def test_code_tools_never_reach_the_modules_a_tool_module_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 finding 1: ``travel_tools:subprocess`` must not expose ``getoutput``."""
    name = write_module(tmp_path, monkeypatch, IMPORTING_MODULE)
    marker = tmp_path / "pwned"
    for spec, problem in [
        (f"{name}:subprocess", MSG_NOT_OWN.format(attr="subprocess", module=name)),
        (f"{name}:os", MSG_NOT_OWN.format(attr="os", module=name)),
        (f"{name}:run", MSG_NOT_OWN.format(attr="run", module=name)),
        (f"{name}:getcwd", MSG_NOT_OWN.format(attr="getcwd", module=name)),
        (f"{name}:TOOLS", MSG_NOT_OWN.format(attr="TOOLS['run']", module=name)),
        (f"{name}:subprocess.getoutput", MSG_DOTTED_ATTR.format(attr="subprocess.getoutput")),
        (f"{name}:os.path", MSG_DOTTED_ATTR.format(attr="os.path")),
    ]:
        with pytest.raises(ToolEndpointError) as info:
            call_tool(code(spec), "getoutput", {"cmd": f"touch {marker}"})
        assert problem in str(info.value), spec
        with pytest.raises(ToolEndpointError):
            discover_tools(code(spec))
    assert not marker.exists()
    # what the module defines is still served; a class's inherited methods are not
    assert [t["name"] for t in discover_tools(code(name))] == ["safe"]
    assert [t["name"] for t in discover_tools(code(f"{name}:Wrapped"))] == ["own"]


def test_a_tools_list_names_exactly_the_served_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = write_module(
        tmp_path,
        monkeypatch,
        "from textwrap import dedent\n"
        "__pipelines_tools__ = ['add', 'dedent']\n\n"
        "def add(a: int, b: int) -> int:\n    return a + b\n\n"
        "def hidden() -> str:\n    return 'not listed'\n",
    )
    assert sorted(t["name"] for t in discover_tools(code(name))) == ["add", "dedent"]
    assert call_tool(code(name), "add", {"a": 1, "b": 2}) == 3
    with pytest.raises(ToolEndpointError) as info:
        discover_tools(code(f"{name}:hidden"))
    assert MSG_NOT_LISTED.format(attr="hidden", module=name, listed="add, dedent") in str(
        info.value
    )


def test_the_opt_in_check_imports_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11 finding 6: asking for ``pkg.mod`` must not run ``pkg`` (``this.x`` printed the
    Zen of Python) before the opt-in is checked."""
    monkeypatch.setattr(_toolsets, "_ALLOWED_CODE_MODULES", set())
    flag = tmp_path / "imported"
    loud = write_module(
        tmp_path, monkeypatch, f"open({str(flag)!r}, 'w').close()\nprint('side effect')\n"
    )
    package = tmp_path / f"{loud}_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(f"open({str(flag)!r}, 'w').close()\n")
    (package / "tools.py").write_text("def f() -> int:\n    return 1\n")
    for spec in (f"{loud}.x", loud, f"{loud}_pkg.tools", f"{loud}_pkg"):
        with pytest.raises(ToolEndpointError):
            discover_tools(code(spec))
        assert not flag.exists(), spec
    assert "side effect" not in capsys.readouterr().out


# --- MCP --------------------------------------------------------------------------------------


class McpHandler(http.server.BaseHTTPRequestHandler):
    """A tiny MCP server: JSON-RPC over POST, a session id, paginated tools/list, SSE calls."""

    seen: ClassVar[list[dict[str, Any]]] = []
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str, session: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if session:
            self.send_header("Mcp-Session-Id", "session-123")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        message = json.loads(self.rfile.read(length))
        with self.lock:
            self.seen.append(
                {
                    "method": message.get("method"),
                    "session": self.headers.get("Mcp-Session-Id"),
                    "auth": self.headers.get("Authorization"),
                }
            )
        method, request_id = message.get("method"), message.get("id")
        if request_id is None:  # a notification
            self._send(202, b"", "application/json")
            return
        if method == "initialize":
            result: Any = {"protocolVersion": "2025-03-26", "capabilities": {"tools": {}}}
            self._reply(request_id, result, session=True)
        elif method == "tools/list":
            cursor = (message.get("params") or {}).get("cursor")
            if cursor is None:
                tools = [
                    {
                        "name": "search_docs",
                        "description": "Search the docs",
                        "inputSchema": {
                            "type": "object",
                            "properties": {"query": {"type": "string"}},
                        },
                    }
                ]
                self._reply(request_id, {"tools": tools, "nextCursor": "page-2"})
            else:
                self._reply(request_id, {"tools": [{"name": "explode"}]})
        elif method == "tools/call":
            params = message["params"]
            if params["name"] == "search_docs":
                result = {
                    "content": [
                        {
                            "type": "text",
                            "text": json.dumps({"hits": [params["arguments"]["query"]]}),
                        }
                    ]
                }
                self._reply(request_id, result, sse=True)
            elif params["name"] == "explode":
                self._reply(
                    request_id, {"content": [{"type": "text", "text": "kaboom"}], "isError": True}
                )
            else:
                error = {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "error": {"code": -32602, "message": "Unknown tool"},
                }
                self._send(200, json.dumps(error).encode(), "application/json")
        else:
            error = {"jsonrpc": "2.0", "id": request_id, "error": {"code": -32601, "message": "no"}}
            self._send(200, json.dumps(error).encode(), "application/json")

    def _reply(
        self, request_id: Any, result: Any, *, session: bool = False, sse: bool = False
    ) -> None:
        payload = json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})
        if sse:
            body = f"event: message\ndata: {payload}\n\n".encode()
            self._send(200, body, "text/event-stream", session)
        else:
            self._send(200, payload.encode(), "application/json", session)


@pytest.fixture
def mcp_url() -> Iterator[str]:
    McpHandler.seen.clear()
    with serve(McpHandler) as base:
        yield base + "/mcp"


def mcp(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "endpoint_type": "mcp_server",
        "url": url,
        "auth_type": "none",
        "auth_config": {},
        **extra,
    }


def test_mcp_discovery_follows_the_handshake_and_pages(mcp_url: str) -> None:
    endpoint = mcp(mcp_url, auth_type="bearer", auth_config={"token": "sekrit-token"})
    tools = discover_tools(endpoint)
    assert tools == [
        {
            "name": "search_docs",
            "description": "Search the docs",
            "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
        {
            "name": "explode",
            "description": "",
            "input_schema": {"type": "object", "properties": {}},
        },
    ]
    assert [s["method"] for s in McpHandler.seen] == [
        "initialize",
        "notifications/initialized",
        "tools/list",
        "tools/list",
    ]
    assert [s["session"] for s in McpHandler.seen] == [
        None,
        "session-123",
        "session-123",
        "session-123",
    ]
    assert {s["auth"] for s in McpHandler.seen} == {"Bearer sekrit-token"}


def test_mcp_calls(mcp_url: str) -> None:
    assert call_tool(mcp(mcp_url), "search_docs", {"query": "Rome"}) == {"hits": ["Rome"]}
    with pytest.raises(ToolCallError, match="tool 'explode' failed: kaboom"):
        call_tool(mcp(mcp_url), "explode", {})
    with pytest.raises(ToolCallError, match="error -32602: Unknown tool"):
        call_tool(mcp(mcp_url), "nope", {})


def free_port_url(path: str = "") -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def test_mcp_unreachable_names_the_url_but_not_credentials() -> None:
    url = free_port_url("/mcp")
    endpoint = mcp(
        url.replace("http://", "http://user:pass@") + "?key=query-secret",
        auth_type="bearer",
        auth_config={"token": "sekrit-token"},
        config={"timeout": 2},
    )
    with pytest.raises(ToolEndpointUnreachableError) as info:
        discover_tools(endpoint)
    message = str(info.value)
    assert message == (
        f"the mcp_server endpoint at {url} could not be reached (ConnectError); the local "
        "backend cannot reach it; use a mock or code tool set offline"
    )
    for secret in ("pass", "query-secret", "sekrit-token"):
        assert secret not in message
    with pytest.raises(ToolEndpointUnreachableError):
        call_tool(endpoint, "search_docs", {})


def test_check_endpoint_reports_instead_of_raising(mcp_url: str) -> None:
    ok = check_endpoint(mcp(mcp_url))
    assert (ok["ok"], ok["tool_count"], ok["tools"], ok["error"]) == (
        True,
        2,
        ["search_docs", "explode"],
        None,
    )
    down = check_endpoint(mcp(free_port_url(), config={"timeout": 2}))
    assert down["ok"] is False
    assert down["tool_count"] == 0
    assert "could not be reached" in down["error"]


def test_missing_url_and_bad_auth() -> None:
    with pytest.raises(ToolEndpointError, match="a mcp_server endpoint needs a url"):
        discover_tools({"endpoint_type": "mcp_server"})
    with pytest.raises(
        ToolEndpointError, match="unknown auth_type 'oauth'; valid types: none, bearer"
    ):
        discover_tools(mcp("http://127.0.0.1:9/mcp", auth_type="oauth"))
    with pytest.raises(ToolEndpointError, match=r"auth_type 'bearer' needs auth_config.token"):
        discover_tools(mcp("http://127.0.0.1:9/mcp", auth_type="bearer"))


# --- HTTP / OpenAPI ---------------------------------------------------------------------------

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Items", "version": "1"},
    "servers": [{"url": "/v1"}],
    "paths": {
        "/items/{item_id}": {
            "parameters": [
                {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "get": {
                "operationId": "getItem",
                "summary": "Fetch one item",
                "parameters": [{"$ref": "#/components/parameters/Verbose"}],
            },
        },
        "/items": {
            "post": {
                "operationId": "createItem",
                "description": "Create an item",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewItem"}}
                    },
                },
            }
        },
        "/broken": {"get": {"summary": "Always fails"}},
    },
    "components": {
        "parameters": {
            "Verbose": {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
        },
        "schemas": {
            "NewItem": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
            }
        },
    },
}


class ApiHandler(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.requests.append(
            {"method": "GET", "path": self.path, "key": self.headers.get("X-API-Key")}
        )
        if self.path == "/openapi.json":
            self._json(200, OPENAPI)
        elif self.path.startswith("/v1/items/"):
            self._json(200, {"path": self.path})
        elif self.path == "/v1/broken":
            self._json(500, {"detail": "database on fire"})
        else:
            self._json(404, {"detail": "not found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.requests.append({"method": "POST", "path": self.path, "body": body})
        self._json(201, {"created": body})


@pytest.fixture
def api_url() -> Iterator[str]:
    ApiHandler.requests.clear()
    with serve(ApiHandler) as base:
        yield base


def test_openapi_discovery_lists_operations(api_url: str) -> None:
    endpoint = {"endpoint_type": "openapi", "url": api_url + "/openapi.json"}
    tools = {t["name"]: t for t in discover_tools(endpoint)}
    assert sorted(tools) == ["createItem", "getItem", "get_broken"]
    assert tools["getItem"] == {
        "name": "getItem",
        "description": "Fetch one item",
        "input_schema": {
            "type": "object",
            "properties": {"item_id": {"type": "integer"}, "verbose": {"type": "boolean"}},
            "required": ["item_id"],
        },
    }
    assert tools["createItem"]["input_schema"]["required"] == ["name"]
    assert tools["createItem"]["description"] == "Create an item"


def test_openapi_calls_issue_real_requests(api_url: str) -> None:
    endpoint = {
        "endpoint_type": "http",
        "url": api_url,
        "auth_type": "api_key",
        "auth_config": {"api_key": "k-123"},
        "config": {"spec_url": api_url + "/openapi.json"},
    }
    assert call_tool(endpoint, "getItem", {"item_id": 7, "verbose": True}) == {
        "path": "/v1/items/7?verbose=true"
    }
    assert call_tool(endpoint, "createItem", {"name": "pen", "price": 2.5}) == {
        "created": {"name": "pen", "price": 2.5}
    }
    assert ApiHandler.requests[-1] == {
        "method": "POST",
        "path": "/v1/items",
        "body": {"name": "pen", "price": 2.5},
    }
    assert {r["key"] for r in ApiHandler.requests if r["method"] == "GET"} == {"k-123"}
    with pytest.raises(ToolCallError, match=r"GET /broken answered HTTP 500: .*database on fire"):
        call_tool(endpoint, "get_broken", {})
    with pytest.raises(ToolCallError, match="invalid arguments for tool 'createItem'"):
        call_tool(endpoint, "createItem", {"price": 1})
    with pytest.raises(ToolEndpointError, match="available tools: createItem, getItem, get_broken"):
        call_tool(endpoint, "deleteItem", {})


def test_openapi_spec_problems(api_url: str) -> None:
    with pytest.raises(ToolEndpointError, match=r"answered HTTP 404; check the url"):
        discover_tools({"endpoint_type": "http", "url": api_url + "/missing.json"})
    with pytest.raises(
        ToolEndpointUnreachableError, match=r"the http endpoint at .* could not be reached"
    ):
        discover_tools(
            {
                "endpoint_type": "http",
                "url": free_port_url("/openapi.json"),
                "config": {"timeout": 2},
            }
        )
