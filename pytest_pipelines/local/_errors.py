"""Errors of the local backend, answered in the hosted shape (``SHAPES.md``).

Every non-2xx body is ``{"detail": "message"}`` or, for validation, ``{"detail": [{"loc": [...],
"msg": "...", "type": "..."}]}``. Handlers raise :class:`APIError` (or call :func:`unprocessable`);
the messages are module constants so tests can reuse them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("pytest_pipelines.local")

MISSING_KEY = (
    "missing API key: send 'Authorization: Bearer <key>'; the local backend prints its keys on "
    "start (pipelines-local serve) and LocalPipelines exposes them as .api_key"
)
UNKNOWN_KEY = (
    "unknown API key: this local backend does not know the key you sent; use a key it printed on "
    "start, or pass --api-key KEY / LocalPipelines(api_key=KEY)"
)
MISSING_SCOPE = (
    "this API key has no access to {area}; its scopes are: {scopes}. Use a key with the "
    "'{area}' scope (with --demo, pk_local_demo has full access)"
)
OTHER_ORG = (
    "this API key belongs to organization {own} and cannot act on organization {other}; "
    "use org_id={own} or a key of organization {other}"
)
NOT_FOUND = "{kind} {id} not found (or not visible to this API key's organization)"
IDEMPOTENCY_CONFLICT = (
    "Idempotency-Key {key!r} was already used with a different payload; reuse a key only to "
    "repeat the same request, or send a new key"
)
VERSION_NOT_FOUND = "{kind} {id} has no version {version}; existing versions: {versions}"
INTERNAL = "internal error in the local backend: {error}"


class APIError(Exception):
    """An error answered as ``{"detail": detail}`` with ``status_code``."""

    def __init__(
        self, status_code: int, detail: Any, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail if isinstance(detail, str) else repr(detail))
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers or {})


def not_found(kind: str, id: Any) -> APIError:
    """A 404 naming the object."""
    return APIError(404, NOT_FOUND.format(kind=kind, id=id))


def error_item(loc: Sequence[str | int], msg: str, type_: str = "value_error") -> dict[str, Any]:
    """One FastAPI-style validation error; ``loc`` starts with ``"body"`` (added if absent)."""
    path = list(loc)
    if not path or path[0] not in ("body", "query", "path", "header"):
        path = ["body", *path]
    return {"loc": path, "msg": msg, "type": type_}


def unprocessable(errors: Sequence[Mapping[str, Any]]) -> APIError:
    """A 422 from error dicts whose ``loc`` is relative to the body (``"body"`` is prefixed)."""
    items = [
        error_item(
            e.get("loc", ()), str(e.get("msg", "invalid")), str(e.get("type", "value_error"))
        )
        for e in errors
    ]
    return APIError(422, items)


def _clean_validation(errors: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        out.append(
            {
                "loc": list(e.get("loc", ())),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
        )
    return out


def internal_error_response(exc: BaseException) -> JSONResponse:
    """Log an unhandled error with its traceback; the 500 body names only its type."""
    log.error("unhandled error in the local backend", exc_info=exc)
    return JSONResponse({"detail": INTERNAL.format(error=type(exc).__name__)}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error body follow the hosted shape."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, APIError)
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(
            {"detail": exc.detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": _clean_validation(exc.errors())}, status_code=422)

    async def internal_error(_: Request, exc: Exception) -> JSONResponse:
        return internal_error_response(exc)

    app.add_exception_handler(APIError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, internal_error)
