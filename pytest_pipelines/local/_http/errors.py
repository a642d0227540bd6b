"""Errors answered in the hosted shape (``SHAPES.md``): the app's exception handlers.

Every non-2xx body is ``{"detail": "message"}`` or, for validation, ``{"detail": [{"loc": [...],
"msg": "...", "type": "..."}]}``. The engine raises :class:`~._engine.errors.APIError`; an
unexpected exception is logged with its traceback and answered 500 naming only its type.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pytest_pipelines.local._engine.errors import APIError
from pytest_pipelines.local._http.responses import JSONResponse
from pytest_pipelines.local._store.db import OwnerGone

log = logging.getLogger("pytest_pipelines.local")

INTERNAL = "internal error in the local backend: {error}"


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

    async def owner_gone(_: Request, exc: Exception) -> JSONResponse:
        # a write raced the delete of what owns it: the owner is not found any more
        return JSONResponse({"detail": str(exc)}, status_code=404)

    async def internal_error(_: Request, exc: Exception) -> JSONResponse:
        return internal_error_response(exc)

    app.add_exception_handler(APIError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(OwnerGone, owner_gone)
    app.add_exception_handler(Exception, internal_error)
