"""Fixtures for the plugin's tests: one demo backend per session that inner pytester runs use.

Inner runs point at it with ``--pipelines-env=<base_url> --pipelines-api-key=<key>``, so they do
not each boot a server; the tests of local mode itself start their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_pipelines.client import PipelinesClient
    from pytest_pipelines.local import LocalPipelines

ENV_VARS = (
    "PIPELINES_ENV",
    "PIPELINES_API_KEY",
    "PIPELINES_BASE_URL",
    "PYTEST_ADDOPTS",
    "PYTEST_XDIST_AUTO_NUM_WORKERS",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs see no PIPELINES_* variables unless a test sets them."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def backend() -> Iterator[LocalPipelines]:
    """A demo local backend shared by the inner runs of this session."""
    from pytest_pipelines.local import LocalPipelines

    with LocalPipelines(demo=True) as local:
        yield local


@pytest.fixture
def fresh() -> Iterator[Any]:
    """A fresh demo backend for one test (for tests that count or crash what it holds)."""
    from pytest_pipelines.local import LocalPipelines

    with LocalPipelines(demo=True) as local:
        yield local


@pytest.fixture
def remote_args(backend: LocalPipelines) -> list[str]:
    """Command-line arguments that point an inner run at the shared backend."""
    return [
        f"--pipelines-env={backend.base_url}",
        f"--pipelines-api-key={backend.api_key}",
        "-p",
        "no:cacheprovider",
    ]


@pytest.fixture
def backend_client(backend: LocalPipelines) -> Iterator[PipelinesClient]:
    """A client of the shared backend, to inspect what inner runs did."""
    with backend.client() as client:
        yield client


@pytest.fixture
def names_with_prefix() -> Any:
    """The function that lists ephemeral-looking names on a backend."""
    return _names_with_prefix


def _names_with_prefix(client: Any, prefix: str = "pytest-") -> list[str]:
    """Names of prompts, criteria, evaluations and tool endpoints starting with ``prefix``."""
    found: list[str] = []
    for lister in (client.iter_prompts, client.iter_criteria, client.iter_evaluations):
        found += [str(o["name"]) for o in lister() if str(o.get("name", "")).startswith(prefix)]
    found += [
        str(o["name"])
        for o in client.iter_tool_endpoints(2)
        if str(o.get("name", "")).startswith(prefix)
    ]
    return found
