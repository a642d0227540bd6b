"""The client over real sockets on 127.0.0.1 (port 0): refused connections, timeouts, a live server.

Everything else about the wire is covered with MockTransport; these check that real httpx
failures map to the documented errors and that the default sleeps work.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from clienttest_helpers import API_KEY

from pytest_pipelines.client import (
    AsyncPipelinesClient,
    PipelinesClient,
    PipelinesConnectionError,
    PipelinesTimeoutError,
    RequestTimeoutError,
)

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Handler(BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        if self.path.startswith("/api/flaky") and type(self).calls == 1:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps(
            {"path": self.path, "auth": self.headers["Authorization"] == f"Bearer {API_KEY}"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def live_url() -> Iterator[str]:
    Handler.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_sync_live_server_with_real_retry(live_url: str) -> None:
    with PipelinesClient(API_KEY, base_url=live_url) as client:
        assert client.request("GET", "/api/flaky") == {"path": "/api/flaky", "auth": True}
    assert Handler.calls == 2


async def test_async_live_server_with_real_retry(live_url: str) -> None:
    async with AsyncPipelinesClient(API_KEY, base_url=live_url) as client:
        assert await client.request("GET", "/api/flaky") == {"path": "/api/flaky", "auth": True}
    assert Handler.calls == 2


def test_sync_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with (
        PipelinesClient(API_KEY, base_url=url, max_retries=0) as client,
        pytest.raises(PipelinesConnectionError, match="could not reach GET") as info,
    ):
        client.health()
    assert API_KEY not in str(info.value)


async def test_async_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with AsyncPipelinesClient(API_KEY, base_url=url, max_retries=0) as client:
        with pytest.raises(PipelinesConnectionError, match="could not reach GET"):
            await client.health()


def test_sync_read_timeout(silent_url: str) -> None:
    with (
        PipelinesClient(API_KEY, base_url=silent_url, timeout=0.2, max_retries=0) as client,
        pytest.raises(RequestTimeoutError, match="timed out"),
    ):
        client.health()


async def test_async_read_timeout(silent_url: str) -> None:
    async with AsyncPipelinesClient(
        API_KEY, base_url=silent_url, timeout=0.2, max_retries=0
    ) as client:
        with pytest.raises(PipelinesTimeoutError, match="timed out"):
            await client.health()


# -- an injected http_client's own timeout ------------------------------------------------------


def test_sync_injected_client_keeps_its_own_timeout(silent_url: str) -> None:
    # no timeout= given: the injected client's 0.2 s applies, not the client's default 30 s
    with httpx.Client(base_url=silent_url, timeout=0.2) as http:
        client = PipelinesClient(API_KEY, http_client=http, max_retries=0)
        assert client.timeout == 0.2
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError, match=r"timed out \(ReadTimeout\) after 0.2s"):
            client.health()
        assert time.monotonic() - start < 5


async def test_async_injected_client_keeps_its_own_timeout(silent_url: str) -> None:
    async with httpx.AsyncClient(base_url=silent_url, timeout=0.2) as http:
        client = AsyncPipelinesClient(API_KEY, http_client=http, max_retries=0)
        assert client.timeout == 0.2
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError, match=r"timed out \(ReadTimeout\) after 0.2s"):
            await client.health()
        assert time.monotonic() - start < 5


def timeouts_sent(make: Any, **kwargs: Any) -> dict[str, Any]:
    """The per-request timeout httpx sends with a client built by ``make(http, **kwargs)``."""
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.extensions["timeout"])
        return httpx.Response(200, json={"status": "ok"})

    with httpx.Client(
        base_url="http://x.test", timeout=7.0, transport=httpx.MockTransport(handler)
    ) as http:
        make(http, **kwargs).health()
    return seen


def test_sync_explicit_timeout_wins_over_the_injected_clients() -> None:
    def make(http: httpx.Client, **kwargs: Any) -> PipelinesClient:
        return PipelinesClient(API_KEY, http_client=http, **kwargs)

    assert timeouts_sent(make)["read"] == 7.0
    assert timeouts_sent(make, timeout=3.0)["read"] == 3.0
    assert timeouts_sent(make, timeout=30.0)["read"] == 30.0  # an explicit 30 is not the default
    assert timeouts_sent(make, timeout=None)["read"] is None
    # without an injected client the default is 30 s
    assert PipelinesClient(API_KEY, base_url="http://x.test").timeout == 30.0


async def test_async_explicit_timeout_wins_over_the_injected_clients() -> None:
    seen: list[Any] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json={"status": "ok"})

    transport = httpx.MockTransport(handler)
    async with httpx.AsyncClient(
        base_url="http://x.test", timeout=7.0, transport=transport
    ) as http:
        for kwargs in ({}, {"timeout": 3.0}, {"timeout": 30.0}, {"timeout": None}):
            await AsyncPipelinesClient(API_KEY, http_client=http, **kwargs).health()
    assert seen == [7.0, 3.0, 30.0, None]
    async with AsyncPipelinesClient(API_KEY, base_url="http://x.test") as own:
        assert own.timeout == 30.0
