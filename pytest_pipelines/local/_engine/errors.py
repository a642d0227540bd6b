"""Errors of the local backend's engine, carrying the HTTP status they are answered with.

Engine code raises :class:`APIError` (or :func:`not_found`, :func:`unprocessable`); the HTTP
surface (``_http/errors.py``) answers it in the hosted shape (``SHAPES.md``): ``{"detail":
"message"}`` or, for validation, ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``.
The messages are module constants so tests can reuse them.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Frames in this package are the backend's own; a user's traceback leaves them out.
_BACKEND = str(Path(__file__).resolve().parents[1])

OTHER_ORG = (
    "this API key belongs to organization {own} and cannot act on organization {other}; "
    "use org_id={own} or a key of organization {other}"
)
NOT_FOUND = "{kind} {id} not found (or not visible to this API key's organization)"
VERSION_NOT_FOUND = "{kind} {id} has no version {version}; existing versions: {versions}"


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


def user_traceback(exc: BaseException) -> str:
    """The traceback of an exception raised by user code (a model, a code tool), without the
    backend's own frames: ``Traceback (most recent call last):``, the frames, the exception."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not str(Path(frame.filename).resolve()).startswith(_BACKEND)
    ]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip("\n")
