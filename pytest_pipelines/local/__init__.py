"""The embedded local Pipelines backend: a FastAPI app over SQLite, served by uvicorn.

README-internal — how the package is laid out and how to add a router:

- ``_db.py``: ``Database``, a thread-safe JSON record store (one ``records`` table: kind, id,
  org_id, parent_id, data JSON), with versions, API keys and idempotency tables.
- ``_state.py``: ``LocalState`` (database, model registry, keys, chaos, job engine); bootstrap
  and reset. ``_seed.py`` applies seed documents; ``_demo.py`` seeds the ``--demo`` data.
- ``_deps.py``: what every router uses: ``State``, per-area auth types (``PromptsAuth``,
  ``ToolsAuth`` ... or ``Depends(require("area"))``), ``Body``/``OptionalBody`` (JSON object
  bodies, 422 when absent), ``Page`` + ``page_of``/``paginate_list``, ``get_or_404`` (org
  namespacing), ``idempotent`` (Idempotency-Key: same payload -> first result, else 409).
- ``_errors.py``: ``APIError`` and the handlers giving SHAPES.md bodies; messages as constants.
- ``_library.py``: versioned CRUD router factory (prompts, criteria, evaluations).
- ``_engine.py`` / ``_runner.py``: jobs, tasks and their execution; ``_definitions.py``:
  workflow definitions, configurable fields, config overrides.

To add an API area: write ``routers/<area>.py`` exposing ``router = APIRouter(...)``, protect
each route with the area's auth type from ``_deps`` (add the area to ``_deps.AREAS`` if new),
store objects with ``state.db.insert/get/query/patch/delete`` (kind = a short singular noun,
``org_id`` set for namespacing), and append ``"pytest_pipelines.local.routers.<area>"`` to
``ROUTERS`` in ``_app.py``. Raise ``APIError``/``not_found``/``unprocessable`` for errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_pipelines.local._app import create_app
    from pytest_pipelines.local._server import LocalPipelines
    from pytest_pipelines.local._state import LocalState

__all__ = ["LocalPipelines", "LocalState", "create_app"]

_LAZY = {
    "LocalPipelines": "pytest_pipelines.local._server",
    "LocalState": "pytest_pipelines.local._state",
    "create_app": "pytest_pipelines.local._app",
}


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_pipelines.local' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
