"""The errors the Pipelines client raises.

::

    PipelinesError                      anything this client raises on purpose
    ├── PipelinesConfigError            bad input caught before any request (also a ValueError)
    ├── PipelinesAPIError               a non-2xx response: .status_code .message .body
    │   ├── AuthenticationError         401  missing or bad API key
    │   ├── ForbiddenError              403  valid key, no access to that resource
    │   ├── NotFoundError               404
    │   ├── ConflictError               409  idempotency key reused with another payload
    │   ├── ValidationError             422  payload rejected (.body has the FastAPI detail list)
    │   ├── RateLimitError              429  .retry_after (seconds or None)
    │   └── ServerError                 5xx
    ├── ClientClosedError               the client was used after close() (also a RuntimeError)
    ├── PipelinesConnectionError        DNS, refused, reset, transport timeout
    │   └── RequestTimeoutError         an HTTP request timed out (also a PipelinesTimeoutError)
    └── PipelinesTimeoutError           a waiter ran out of time, or a request timed out

Other 4xx statuses (400, 405, 413 ...) raise ``PipelinesAPIError`` itself.
:func:`error_for_status` maps a status to its class. The API key never appears in a message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MAX_MESSAGE_CHARS = 1000
MSG_TRUNCATED = " ... ({more} more characters; the full body is in .body)"
MSG_CLIENT_CLOSED = (
    "this {cls} is closed (close() or the end of its with-block); "
    "create a new client to send more requests."
)


class PipelinesError(Exception):
    """Base class of every error this package raises on purpose."""


class PipelinesConfigError(PipelinesError, ValueError):
    """Invalid input detected client-side, before any request was sent.

    ``errors`` holds FastAPI-style dicts (``loc``, ``msg``, ``type``) when the problem is a payload.
    """

    def __init__(self, message: str, errors: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[dict[str, Any]] = [dict(e) for e in errors]


class PipelinesAPIError(PipelinesError):
    """A non-2xx response from the API.

    :param status_code: the HTTP status.
    :param message: a readable message (FastAPI ``detail`` lists joined as ``loc.dotted: msg``).
    :param body: the decoded JSON body, or the text when the body is not JSON, or ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.body = body
        self.method = method
        self.path = path
        where = f" ({method} {path})" if method and path else ""
        super().__init__(f"{status_code}{where}: {message}")


class AuthenticationError(PipelinesAPIError):
    """401: the API key is missing, malformed or revoked."""


class ForbiddenError(PipelinesAPIError):
    """403: the key is valid but lacks access to this resource."""


class NotFoundError(PipelinesAPIError):
    """404: no such resource (or not visible to this key)."""


class ConflictError(PipelinesAPIError):
    """409: typically an Idempotency-Key reused with a different payload."""


class ValidationError(PipelinesAPIError):
    """422: the backend rejected the payload; ``body["detail"]`` lists the fields."""


class RateLimitError(PipelinesAPIError):
    """429: rate limited. ``retry_after`` is the server's ``Retry-After`` in seconds, or None."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        body: Any = None,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, body=body, method=method, path=path)
        self.retry_after = retry_after


class ServerError(PipelinesAPIError):
    """5xx: the server failed. Safe requests were already retried for 502, 503 and 504."""


class ClientClosedError(PipelinesError, RuntimeError):
    """The client was used after ``close()`` / ``aclose()`` (or its ``with`` block ended)."""


class PipelinesConnectionError(PipelinesError):
    """The request never got a response: DNS failure, connection refused or reset, timeout."""


class PipelinesTimeoutError(PipelinesError):
    """A waiter exhausted its time budget, or an HTTP request timed out."""


class RequestTimeoutError(PipelinesConnectionError, PipelinesTimeoutError):
    """An HTTP request timed out (catchable as either a connection or a timeout error)."""


_BY_STATUS: dict[int, type[PipelinesAPIError]] = {
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_for_status(status_code: int) -> type[PipelinesAPIError]:
    """The error class for an HTTP status (``PipelinesAPIError`` for unlisted 4xx)."""
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, PipelinesAPIError)


def truncate(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out (and where it is)."""
    if len(text) <= limit:
        return text
    return text[:limit] + MSG_TRUNCATED.format(more=len(text) - limit)


def _compact(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    except (TypeError, ValueError):  # pragma: no cover - default=str makes this unreachable
        return str(value)


def readable_detail(body: Any, fallback: str) -> str:
    """Turn an error body into one readable line (at most ``MAX_MESSAGE_CHARS`` + a note).

    ``{"detail": "msg"}`` gives ``msg``; ``{"detail": [{"loc": [...], "msg": ...}]}`` gives
    ``body.config.keywords: Field required; ...``; another non-empty ``detail`` or JSON body is
    shown as compact JSON; a text body as its text; an empty body gives ``fallback``. Long
    messages are cut (the exception's ``.body`` keeps everything).
    """
    detail = body.get("detail") if isinstance(body, Mapping) else None
    if isinstance(detail, str) and detail.strip():
        return truncate(detail.strip())
    if isinstance(detail, list) and detail:
        parts = []
        for item in detail:
            if isinstance(item, Mapping):
                loc = item.get("loc") or ()
                dotted = (
                    ".".join(str(p) for p in loc) if isinstance(loc, (list, tuple)) else str(loc)
                )
                msg = item.get("msg", "invalid")
                parts.append(f"{dotted}: {msg}" if dotted else str(msg))
            else:
                parts.append(str(item))
        return truncate("; ".join(parts))
    if detail not in (None, "", [], {}):
        return truncate(_compact(detail))
    if isinstance(body, str) and body.strip():
        return truncate(body.strip())
    if isinstance(body, (Mapping, list)) and body:
        return truncate(_compact(body))
    return fallback


__all__ = [
    "AuthenticationError",
    "ClientClosedError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "PipelinesAPIError",
    "PipelinesConfigError",
    "PipelinesConnectionError",
    "PipelinesError",
    "PipelinesTimeoutError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "ValidationError",
    "error_for_status",
    "readable_detail",
    "truncate",
]
