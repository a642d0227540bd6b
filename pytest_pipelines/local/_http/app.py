"""The app factory of the local backend.

``ROUTERS`` is the one list of router modules; each module under ``_http/routers/`` exposes
``router: fastapi.APIRouter``. To add an API area, write ``_http/routers/<area>.py``, append
its dotted name here, and run ``python -m pytest_pipelines.local._http.area_index`` (also after
adding or changing a route): each area is imported on the first request that may be its own,
which ``_http/area_paths.py`` tells (``_http/areas.py``).
"""

from __future__ import annotations

import asyncio
import threading

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from pytest_pipelines._version import __version__
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.area_paths import PATHS
from pytest_pipelines.local._http.areas import BuildRest, LazyArea, build_all
from pytest_pipelines.local._http.bodies import declare_bodies
from pytest_pipelines.local._http.errors import install_error_handlers, internal_error_response
from pytest_pipelines.local._http.responses import JSONResponse

CHAOS_429 = "rate limited by the local backend's chaos switch; retry after {seconds} s"
CHAOS_503 = "service unavailable: the local backend's chaos switch answered 503"

ROUTERS: list[str] = [
    "pytest_pipelines.local._http.routers.control",
    "pytest_pipelines.local._http.routers.identity",
    "pytest_pipelines.local._http.routers.prompts",
    "pytest_pipelines.local._http.routers.criteria",
    "pytest_pipelines.local._http.routers.evaluations",
    "pytest_pipelines.local._http.routers.models",
    "pytest_pipelines.local._http.routers.projects",
    "pytest_pipelines.local._http.routers.workflows",
    "pytest_pipelines.local._http.routers.tasks",
    "pytest_pipelines.local._http.routers.experiments",
    "pytest_pipelines.local._http.routers.runtime",
    "pytest_pipelines.local._http.routers.generation",
    "pytest_pipelines.local._http.routers.datasets",
    "pytest_pipelines.local._http.routers.task_export",
    "pytest_pipelines.local._http.routers.files",
    "pytest_pipelines.local._http.routers.notebooks",
    "pytest_pipelines.local._http.routers.workflow_chains",
    "pytest_pipelines.local._http.routers.tags",
    "pytest_pipelines.local._http.routers.instructions",
    "pytest_pipelines.local._http.routers.select_options",
    "pytest_pipelines.local._http.routers.templates",
    "pytest_pipelines.local._http.routers.notifications",
    "pytest_pipelines.local._http.routers.orgs",
    "pytest_pipelines.local._http.routers.tools",
]


def create_app(state: BackendState) -> FastAPI:
    """A FastAPI app serving ``state``: every router of ``ROUTERS``, error handlers, chaos.

    Each router is imported and included on the first request that may be its own (the
    OpenAPI document includes them all); routing is that of an app including them all.
    """
    app = FastAPI(
        title="Pipelines (local)",
        version=__version__,
        docs_url="/_local/docs",
        redoc_url=None,
        openapi_url="/_local/openapi.json",
        default_response_class=JSONResponse,
    )
    app.state.local = state
    install_error_handlers(app)

    @app.middleware("http")
    async def chaos(request: Request, call_next: RequestResponseEndpoint) -> Response:
        settings = state.chaos
        if request.url.path.startswith("/api/") and (
            settings.rate_429 or settings.rate_503 or settings.delay_rate
        ):
            roll = state.chaos_random.random()
            if roll < settings.rate_429:
                return JSONResponse(
                    {"detail": CHAOS_429.format(seconds=settings.retry_after)},
                    status_code=429,
                    headers={"Retry-After": str(settings.retry_after)},
                )
            if roll < settings.rate_429 + settings.rate_503:
                return JSONResponse({"detail": CHAOS_503}, status_code=503)
            if state.chaos_random.random() < settings.delay_rate:
                await asyncio.sleep(settings.delay_ms / 1000)
        try:
            return await call_next(request)
        except Exception as exc:
            # Answered here rather than by Starlette's outermost error middleware, which re-raises
            # to uvicorn after answering: uvicorn then drops the keep-alive connection, and the
            # client's next request on it fails with a connection reset.
            return internal_error_response(exc)

    lock = threading.Lock()
    areas = [LazyArea(name, app, PATHS.get(name), lock) for name in ROUTERS]
    app.router.routes.extend([*areas, BuildRest(areas)])
    declare_bodies(app, lambda: build_all(app.routes))
    return app
