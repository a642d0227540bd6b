"""The SSL context a client builds its own httpx client with: httpx's default, built once, and
for a plain-HTTP base URL only when an https request needs it.

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
from pytest_pipelines.client._transport import (
    AsyncDeferredTLSTransport,
    DeferredTLSTransport,
    no_trust_context,
)
from pytest_pipelines.local import LocalPipelines


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


# -- a plain-HTTP base URL (the local backend): the CA bundle is loaded for https only --------


@pytest.fixture
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


HTTPS_URL = "https://example.invalid/upload"


@pytest.mark.usefixtures("_no_proxies")
def test_a_plain_http_client_loads_no_ca_bundle_until_an_https_request(
    monkeypatch: pytest.MonkeyPatch, local_backend: LocalPipelines
) -> None:
    calls = _counting(monkeypatch)
    with local_backend.client() as client:
        assert client.whoami()  # over real HTTP
        assert calls == []
        transport = client._http._transport
        assert isinstance(transport, DeferredTLSTransport)
        # the first https URL (a presigned upload URL) gets the shared verifying context
        tls = transport.routes.pick(httpx.Request("PUT", HTTPS_URL))
        assert calls == [1]
        assert tls._pool._ssl_context is default_ssl_context()
        assert transport.routes.pick(httpx.Request("PUT", HTTPS_URL)) is tls


@pytest.mark.usefixtures("_no_proxies")
def test_the_async_client_defers_the_bundle_too(
    monkeypatch: pytest.MonkeyPatch, local_backend: LocalPipelines
) -> None:
    calls = _counting(monkeypatch)

    async def main() -> None:
        async with local_backend.async_client() as client:
            assert await client.whoami()
            transport = client._http._transport
            assert isinstance(transport, AsyncDeferredTLSTransport)
            assert calls == []
            tls = transport.routes.pick(httpx.Request("PUT", HTTPS_URL))
            assert tls._pool._ssl_context is default_ssl_context()

    asyncio.run(main())


def test_plain_http_requests_never_get_a_trusting_context() -> None:
    # the context of the plain-HTTP transport: were it ever asked for TLS, it fails closed
    context = no_trust_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.cert_store_stats()["x509_ca"] == 0


@pytest.mark.parametrize(
    ("base_url", "proxy", "deferred"),
    [
        ("http://127.0.0.1:8700", None, True),
        ("HTTP://127.0.0.1:8700", None, True),
        ("https://api.pipelines.tech", None, False),
        ("http://127.0.0.1:8700", ("HTTPS_PROXY", "http://proxy.invalid:3128"), False),
        ("http://127.0.0.1:8700", ("http_proxy", "http://proxy.invalid:3128"), False),
    ],
)
@pytest.mark.usefixtures("_no_proxies")
def test_the_bundle_is_deferred_only_for_plain_http_without_proxies(
    monkeypatch: pytest.MonkeyPatch, base_url: str, proxy: tuple[str, str] | None, deferred: bool
) -> None:
    if proxy is not None:
        monkeypatch.setenv(*proxy)
    calls = _counting(monkeypatch)
    client = PipelinesClient(api_key="k", base_url=base_url)
    try:
        assert isinstance(client._http._transport, DeferredTLSTransport) is deferred
        assert calls == ([] if deferred else [1])
    finally:
        client.close()
