"""Helpers for client tests: a recording mock transport and both clients around it.

Every behaviour test is written once and runs against the sync and the async client: the
``api`` fixture is parametrized and exposes ``await api.call(name, ...)`` /
``await api.collect(name, ...)`` which call the sync client directly or await the async one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pytest_pipelines.client import AsyncPipelinesClient, PipelinesClient

API_KEY = "pk_live_s3cr3tKEYvalue"
BASE_URL = "https://api.test"
# The contract's facts the tests need (route table, seed method names) are the repository's own
# data, so a fresh clone tests itself; see tests/data/README.md.
TEST_DATA = Path(__file__).resolve().parents[1] / "data"
# The SDK guide is not ours to copy: the test that runs its calls reads it from this variable.
GUIDE_ENV = "PIPELINES_SDK_GUIDE"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    headers: httpx.Headers
    content: bytes
    raw_path: str = ""

    def json(self) -> Any:
        return json.loads(self.content) if self.content else None


@dataclass
class FakeTime:
    """A clock that only moves when the client sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


class Server:
    """A scripted server: queue responses (or set a handler) and read what was sent."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.queue: list[httpx.Response | Exception] = []
        self.handler: Handler | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(
            Recorded(
                request.method,
                request.url.path,
                dict(request.url.params),
                request.headers,
                request.read(),
                request.url.raw_path.decode().split("?")[0],
            )
        )
        if self.queue:
            item = self.queue.pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        if self.handler is not None:
            return self.handler(request)
        return httpx.Response(200, json={"id": 1})

    def reply(self, *items: httpx.Response | Exception) -> None:
        self.queue.extend(items)

    @property
    def last(self) -> Recorded:
        return self.requests[-1]


class Api:
    """One test body, two clients."""

    def __init__(self, kind: str, server: Server, fake: FakeTime, **kw: Any) -> None:
        self.kind = kind
        self.server = server
        self.fake = fake
        self.kw = kw
        self.client: PipelinesClient | AsyncPipelinesClient = self.make(**kw)

    def make(self, **kw: Any) -> PipelinesClient | AsyncPipelinesClient:
        transport = httpx.MockTransport(self.server)
        options: dict[str, Any] = {
            "api_key": API_KEY,
            "base_url": BASE_URL,
            "clock": self.fake.clock,
        }
        options.update(kw)
        if self.kind == "sync":
            return PipelinesClient(
                http_client=httpx.Client(transport=transport), sleep=self.fake.sleep, **options
            )
        return AsyncPipelinesClient(
            http_client=httpx.AsyncClient(transport=transport), sleep=self.fake.asleep, **options
        )

    async def call(self, method_name: str, /, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, method_name)(*args, **kwargs)
        if self.kind == "async":
            result = await result
        return result

    async def collect(self, method_name: str, /, *args: Any, **kwargs: Any) -> list[Any]:
        iterator = getattr(self.client, method_name)(*args, **kwargs)
        if self.kind == "sync":
            return list(iterator)
        return [item async for item in iterator]


def ok(payload: Any = None, status: int = 200, **kw: Any) -> httpx.Response:
    return httpx.Response(status, json=payload if payload is not None else {"id": 1}, **kw)


def error(status: int, detail: Any = "nope", **kw: Any) -> httpx.Response:
    return httpx.Response(status, json={"detail": detail}, **kw)
