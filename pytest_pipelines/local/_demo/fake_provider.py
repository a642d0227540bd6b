"""A fake model provider over real HTTP: the OpenAI chat-completions and Anthropic messages wire
formats, for tests and benchmarks that must not reach a real provider.

``FakeProvider`` serves ``POST /v1/chat/completions`` and ``POST /v1/messages`` on
``127.0.0.1`` (port 0) from a thread. Its answers are deterministic programs, numbered so a test
can tell a live answer from a replayed one: with tools offered and no tool result yet it calls
the first tool (a ``query`` argument taken from the prompt when the schema has one), otherwise it
answers ``answer #<n>: <last user text>``. It reports usage (one token per word), can demand a
key, knows only its ``models``, can wait ``latency`` seconds and can be scripted to fail
(``fail_next``) with any status, headers and body: the 401, 404, 429 + Retry-After, 5xx and
malformed replies the adapters must handle.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class Scripted:
    """One scripted reply: status, headers and a raw body (JSON-encoded when not ``str``)."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


def _words(text: str) -> int:
    return len(text.split())


class FakeProvider:
    """A fake OpenAI- and Anthropic-protocol server on ``127.0.0.1:<port>``.

    :param models: default ``("fake-model",)``; other model names get a 404 in the provider's
        own error format.
    :param key: default ``None``; when set, requests without it get a 401.
    :param latency: default ``0.0``; seconds to wait before each answer.
    """

    def __init__(
        self, models: Iterable[str] = ("fake-model",), key: str | None = None, latency: float = 0.0
    ) -> None:
        self.models = set(models)
        self.key = key
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self.script: list[Scripted] = []
        self._count = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._port = 0
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (add ``/v1`` for the OpenAI protocol's base URL).

        Kept after :meth:`stop`, so a test can show that nothing answers there any more.
        """
        assert self._port, "FakeProvider was never started"
        return f"http://127.0.0.1:{self._port}"

    def fail_next(
        self, status: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer the next request with this reply instead of a normal answer."""
        with self._lock:
            self.script.append(Scripted(status, body, dict(headers or {})))

    def start(self) -> FakeProvider:
        """Serve in a daemon thread until :meth:`stop`."""
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                status, headers, body = provider.handle(self.path, dict(self.headers), raw)
                data = body if isinstance(body, bytes) else body.encode("utf-8")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                """A client that timed out and hung up is expected here: stay quiet."""

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- answering -----------------------------------------------------------------------------

    def handle(
        self, path: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], str | bytes]:
        """Status, headers and body for one request."""
        lower = {k.lower(): v for k, v in headers.items()}
        anthropic = path.split("?")[0].endswith("/v1/messages")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        with self._lock:
            self.requests.append({"path": path, "headers": lower, "body": body})
            scripted = self.script.pop(0) if self.script else None
            self._count += 1
            number = self._count
        if self.latency:
            time.sleep(self.latency)
        json_type = {"content-type": "application/json"}
        if scripted is not None:
            payload = scripted.body
            text = payload if isinstance(payload, str) else json.dumps(payload)
            return scripted.status, {**json_type, **scripted.headers}, text
        if not path.split("?")[0].endswith(("/v1/chat/completions", "/v1/messages")):
            return 404, json_type, json.dumps({"error": {"message": f"no route {path}"}})
        given = lower.get("x-api-key") if anthropic else lower.get("authorization", "")
        if self.key is not None and given not in (self.key, f"Bearer {self.key}"):
            return (
                401,
                json_type,
                self._error(
                    anthropic,
                    "authentication_error",
                    "invalid x-api-key" if anthropic else "Incorrect API key provided",
                ),
            )
        if not isinstance(body, dict) or body.get("model") not in self.models:
            model = body.get("model") if isinstance(body, dict) else None
            return 404, json_type, self._error(anthropic, "not_found_error", f"model: {model}")
        answer = self._anthropic(body, number) if anthropic else self._openai(body, number)
        return 200, json_type, json.dumps(answer)

    @staticmethod
    def _error(anthropic: bool, kind: str, message: str) -> str:
        if anthropic:
            return json.dumps({"type": "error", "error": {"type": kind, "message": message}})
        return json.dumps({"error": {"message": message, "type": kind, "code": kind}})

    @staticmethod
    def _plan(
        messages: list[dict[str, Any]], tools: list[dict[str, Any]], anthropic: bool
    ) -> tuple[str, dict[str, Any] | None]:
        """The answer text, or the tool call to make (name and arguments)."""
        texts: list[str] = []
        has_results = False
        for message in messages:
            content = message.get("content")
            if message.get("role") == "tool":
                has_results = True
            elif isinstance(content, list):
                for block in content:
                    if block.get("type") == "tool_result":
                        has_results = True
                    elif block.get("type") == "text" and message.get("role") == "user":
                        texts.append(str(block.get("text")))
            elif message.get("role") == "user" and isinstance(content, str):
                texts.append(content)
        prompt = texts[-1] if texts else ""
        if tools and not has_results:
            tool = tools[0] if anthropic else tools[0]["function"]
            schema = tool.get("input_schema" if anthropic else "parameters") or {}
            arguments = (
                {"query": prompt[:40]} if "query" in (schema.get("properties") or {}) else {}
            )
            return "", {"name": tool["name"], "arguments": arguments}
        return prompt, None

    def _openai(self, body: dict[str, Any], number: int) -> dict[str, Any]:
        messages = body.get("messages") or []
        prompt, call = self._plan(messages, body.get("tools") or [], anthropic=False)
        words_in = sum(_words(str(m.get("content") or "")) for m in messages)
        if call is not None:
            message: dict[str, Any] = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{number}",
                        "type": "function",
                        "function": {
                            "name": call["name"],
                            "arguments": json.dumps(call["arguments"]),
                        },
                    }
                ],
            }
            finish, words_out = "tool_calls", 3
        else:
            text = f"answer #{number}: {prompt}"
            message = {"role": "assistant", "content": text}
            finish, words_out = "stop", _words(text)
        return {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": words_in,
                "completion_tokens": words_out,
                "total_tokens": words_in + words_out,
            },
        }

    def _anthropic(self, body: dict[str, Any], number: int) -> dict[str, Any]:
        messages = body.get("messages") or []
        prompt, call = self._plan(messages, body.get("tools") or [], anthropic=True)
        words_in = _words(json.dumps(messages))
        if call is not None:
            content: list[dict[str, Any]] = [
                {
                    "type": "tool_use",
                    "id": f"toolu_{number}",
                    "name": call["name"],
                    "input": call["arguments"],
                }
            ]
            stop, words_out = "tool_use", 3
        else:
            text = f"answer #{number}: {prompt}"
            content = [{"type": "text", "text": text}]
            stop, words_out = "end_turn", _words(text)
        return {
            "id": f"msg_{number}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": content,
            "stop_reason": stop,
            "usage": {"input_tokens": words_in, "output_tokens": words_out},
        }
