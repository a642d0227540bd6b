"""The embedded local Pipelines backend: a FastAPI app over SQLite, served by uvicorn.

Laid out by role (the map: ``docs/local-backend.md``, "Where things live"); imports point one
way, ``_http`` -> ``_engine`` -> ``_store``, and ``_demo`` seeds through the engine and the store:

- ``_store/``: ``Database`` (a thread-safe JSON record store over SQLite) and the identities of a
  new database (default organization and user, well-known keys, scopes).
- ``_engine/``: ``BackendState`` and the job engine, the task runner, criteria, tool sets and
  tool scoring, the model registry, versioned objects, human work, tables, background jobs.
- ``_http/``: the app factory, error responses, request dependencies (auth, bodies,
  pagination, idempotency), and ``routers/``, one module per API area.
- ``_demo/``: the ``--demo`` seed and the deterministic demo models.
- ``_server.py`` assembles them: ``LocalState`` (with the demo) and ``LocalPipelines``.

To add an API area: write ``_http/routers/<area>.py`` exposing ``router = APIRouter(...)``,
protect each route with the area's auth type from ``_http/deps.py`` (add the area to
``_store/identity.AREAS`` if new), store objects with ``state.db.insert/get/query/patch/delete``
(kind = a short singular noun, ``org_id`` set for namespacing), append its dotted name to
``ROUTERS`` in ``_http/app.py``, and rewrite the path index of the lazily built areas with
``python -m pytest_pipelines.local._http.area_index`` (after any route change too). Raise
``APIError``/``not_found``/``unprocessable`` for errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_pipelines.local._http.app import create_app
    from pytest_pipelines.local._server import LocalPipelines, LocalState

__all__ = ["LocalPipelines", "LocalState", "create_app"]

_LAZY = {
    "LocalPipelines": "pytest_pipelines.local._server",
    "LocalState": "pytest_pipelines.local._server",
    "create_app": "pytest_pipelines.local._http.app",
}


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_pipelines.local' has no attribute {name!r}")
    # Not cached in globals(): this package outlives the modules it would pin. pytester's
    # in-process runs drop the modules a run imported; a cached class from a dropped module
    # (LocalPipelines -> its create_app -> a dropped fastapi) met freshly imported routers in
    # the next run, whose routes the stale app did not recognise (every request a 307).
    # import_module is a dict lookup once the module is loaded.
    return getattr(importlib.import_module(module), name)
