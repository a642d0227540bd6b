"""The JSON answer of every route and error handler: whatever the backend stored, it can return.

FastAPI's own paths write UTF-8 (its ``dump_json`` fast path, Starlette's ``JSONResponse``), so
one lone surrogate in stored text (a model's answer, a tool's result, an exception message,
an in-process seed: text that never passed the request-body check) made every answer that
includes it a 500. :class:`JSONResponse` writes with pydantic-core as the fast path did, and
falls back to ``\\u`` escapes for such text (``_engine/details.py``, as the bulk export does).

Being a response class of its own, not FastAPI's default placeholder, it also turns that fast
path off: FastAPI serializes the route's value in Python mode and this class encodes it.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse as StarletteJSONResponse

from pytest_pipelines.local._engine.details import json_bytes


class JSONResponse(StarletteJSONResponse):
    """``application/json`` written by :func:`~pytest_pipelines.local._engine.details.json_bytes`."""

    def render(self, content: Any) -> bytes:
        return json_bytes(content)
