"""Fixtures for client tests (helpers live in clienttest_helpers.py)."""

from __future__ import annotations

import pytest
from clienttest_helpers import Api, FakeTime, Server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, server: Server, fake_time: FakeTime) -> Api:
    return Api(request.param, server, fake_time)
