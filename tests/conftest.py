"""Shared fixtures: one demo local backend per test session, and clients for it.

Tests isolate themselves by creating their own objects (unique names), not by resetting the
backend, so they can share one server and run under xdist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from pytest_pipelines.client import AsyncPipelinesClient, PipelinesClient
    from pytest_pipelines.local import LocalPipelines


# Variables that change how an inner pytest run prints (pytest does not truncate the short
# summary when CI or BUILD_NUMBER is set) or where it points (the plugin's settings). Inner
# runs of pytester tests must not depend on the machine that runs the suite.
_OUTER_ENVIRONMENT = (
    "CI",
    "BUILD_NUMBER",
    "PIPELINES_API_KEY",
    "PIPELINES_BASE_URL",
    "PIPELINES_ENV",
    # GitHub Actions' job summary file: inner runs must not append their tables to it
    "GITHUB_STEP_SUMMARY",
)


@pytest.fixture(autouse=True)
def _inner_runs_ignore_the_outer_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner pytest runs behave the same on a laptop and in CI."""
    for name in _OUTER_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def local_backend() -> Iterator[LocalPipelines]:
    """A demo local backend (org 2, project 22, workflow 10) for the whole session."""
    from pytest_pipelines.local import LocalPipelines

    with LocalPipelines(demo=True) as local:
        yield local


@pytest.fixture
def http(local_backend: LocalPipelines) -> Iterator[httpx.Client]:
    """A raw httpx client for the local backend, authenticated with the full demo key."""
    import httpx

    with httpx.Client(
        base_url=local_backend.base_url,
        headers={"Authorization": f"Bearer {local_backend.api_key}"},
        timeout=30,
    ) as client:
        yield client


@pytest.fixture
def client(local_backend: LocalPipelines) -> Iterator[PipelinesClient]:
    """Our sync PipelinesClient for the local backend (full demo key)."""
    with local_backend.client() as pipelines:
        yield pipelines


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio."""
    return "asyncio"


@pytest.fixture
async def async_client(local_backend: LocalPipelines) -> AsyncIterator[AsyncPipelinesClient]:
    """Our AsyncPipelinesClient for the local backend (full demo key)."""
    async with local_backend.async_client() as pipelines:
        yield pipelines


@pytest.fixture
def unique(request: pytest.FixtureRequest) -> Any:
    """A function making names unique to this test (and xdist worker)."""
    import itertools
    import os

    counter = itertools.count()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    def make(prefix: str) -> str:
        return f"{prefix} [{request.node.name}-{worker}-{next(counter)}]"

    return make
