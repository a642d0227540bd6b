"""The SSL context a client builds its own httpx client with: httpx's default, built once.

Loading the CA bundle costs ~25 ms per context, and a plugin session opens several clients, so
:func:`default_ssl_context` builds it once per process for each value of the SSL environment
variables. These tests check that sharing changes nothing a user relies on: verification stays
on, the environment variables httpx reads still count, injected clients are left alone.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
import pytest

from pytest_pipelines.client import AsyncPipelinesClient, PipelinesClient, _base
from pytest_pipelines.client._base import SSL_ENV_VARS, default_ssl_context


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_base, "_ssl_contexts", {})
    for name in SSL_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = httpx.create_ssl_context

    def create(**kwargs: object) -> ssl.SSLContext:
        calls.append(1)
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx, "create_ssl_context", create)
    return calls


def test_clients_share_one_context(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    clients = [PipelinesClient(api_key="k", base_url="https://example.invalid") for _ in range(3)]
    async_client = AsyncPipelinesClient(api_key="k", base_url="https://example.invalid")
    assert len(calls) == 1
    for client in clients:
        client.close()
    asyncio.run(async_client.aclose())


def test_the_shared_context_verifies_certificates_and_host_names() -> None:
    context = default_ssl_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.get_ca_certs() or context.cert_store_stats()["x509_ca"] > 0


def test_a_changed_ssl_variable_builds_a_new_context(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _counting(monkeypatch)
    first = default_ssl_context()
    assert default_ssl_context() is first
    import certifi

    bundle = tmp_path / "ca.pem"
    bundle.write_text(Path(certifi.where()).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    second = default_ssl_context()
    assert second is not first
    assert len(calls) == 2
    monkeypatch.delenv("SSL_CERT_FILE")
    assert default_ssl_context() is first


def test_an_injected_http_client_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    injected = httpx.Client(verify=False)
    calls.clear()
    client = PipelinesClient(api_key="k", base_url="https://example.invalid", http_client=injected)
    assert client._http is injected
    assert calls == []
    client.close()
    injected.close()
