"""The transport of the httpx client a client builds for itself when its base URL is plain HTTP.

Building an httpx client loads a CA bundle for TLS whether or not a request ever uses TLS
(~25-35 ms for certifi's bundle). A client of a plain-HTTP base URL (the embedded local backend
at ``http://127.0.0.1:<port>``) sends its API requests without TLS, so its transport builds the
verifying transport only for the first ``https://`` request (a presigned upload URL), with the
same shared context as any other client (:func:`~._base.default_ssl_context`). Plain-HTTP
requests go through a transport whose context trusts no certificate: it is never asked for TLS,
and were it asked, it would fail closed.

Only without proxies in the environment: httpx builds its proxy transports with the client's
``verify``, so with a proxy set the client builds its httpx client as before.
"""

from __future__ import annotations

import ssl
import threading
import urllib.request
from typing import Any, Generic, TypeVar

import httpx

from pytest_pipelines.client._base import default_ssl_context

T = TypeVar("T", httpx.HTTPTransport, httpx.AsyncHTTPTransport)


def no_trust_context() -> ssl.SSLContext:
    """A TLS client context that verifies certificates and host names and trusts no CA."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def plain_http(base_url: str) -> bool:
    """Whether a client of ``base_url`` may defer loading the CA bundle: a plain-HTTP base URL
    and no proxy in the environment (httpx's own reading of it, ``urllib.request``)."""
    return httpx.URL(base_url).scheme == "http" and not urllib.request.getproxies()


class _Routes(Generic[T]):
    """Picks the transport of a request: plain HTTP now, TLS built on the first https URL."""

    def __init__(self, kind: type[T]) -> None:
        self._kind: type[T] = kind
        self.plain: T = kind(verify=no_trust_context())
        self.tls: T | None = None
        self._lock = threading.Lock()

    def pick(self, request: httpx.Request) -> T:
        if request.url.scheme != "https":
            return self.plain
        with self._lock:
            if self.tls is None:
                self.tls = self._kind(verify=default_ssl_context())
            return self.tls

    def built(self) -> list[T]:
        return [self.plain] if self.tls is None else [self.plain, self.tls]


class DeferredTLSTransport(httpx.BaseTransport):
    """Plain HTTP through a transport without CA certificates; https through httpx's verifying
    transport, built on the first https request."""

    def __init__(self) -> None:
        self.routes = _Routes(httpx.HTTPTransport)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.routes.pick(request).handle_request(request)

    def close(self) -> None:
        for transport in self.routes.built():
            transport.close()


class AsyncDeferredTLSTransport(httpx.AsyncBaseTransport):
    """The async :class:`DeferredTLSTransport`."""

    def __init__(self) -> None:
        self.routes = _Routes(httpx.AsyncHTTPTransport)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.routes.pick(request).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self.routes.built():
            await transport.aclose()


def own_client_options(
    base_url: str, deferred: type[DeferredTLSTransport | AsyncDeferredTLSTransport]
) -> dict[str, Any]:
    """The TLS options of the httpx client a client builds for itself: a ``deferred``
    transport for a plain-HTTP base URL without proxies, else the shared default context."""
    if plain_http(base_url):
        return {"transport": deferred()}
    return {"verify": default_ssl_context()}
