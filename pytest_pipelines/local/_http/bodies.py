"""Request bodies in the OpenAPI document: every route that reads a JSON body declares it.

The routes read their bodies through :func:`~.deps.json_body` (their own checks and 422
messages), which FastAPI cannot see; :func:`declare_bodies` adds a ``requestBody`` to each such
operation of the document: the model of :data:`~.body_models.BODIES` where one is written (so a
reader, or a fuzzer, learns the fields), else a JSON object. The models document; they validate
nothing, and are imported with the document's first build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from pytest_pipelines.local._http.deps import json_body, optional_json_body

REF = "#/components/schemas/{model}"


def _reads_body(dependant: Dependant) -> bool | None:
    """True when the route requires a JSON body, False when it takes an optional one."""
    found: bool | None = None
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call is json_body:
            return True
        if current.call is optional_json_body:
            found = False
        stack.extend(current.dependencies)
    return found


def _json_routes(routers: Sequence[APIRouter]) -> Iterator[tuple[str, str, bool]]:
    # The routers' own routes (with their prefixes): an app's included routers are not
    # APIRoutes in every FastAPI version.
    for route in (r for router in routers for r in router.routes):
        if not isinstance(route, APIRoute):
            continue
        required = _reads_body(route.dependant)
        if required is None:
            continue
        for method in sorted(route.methods or ()):
            yield method, route.path, required


def declare_bodies(
    app: FastAPI, load: Callable[[], tuple[Sequence[BaseRoute], Sequence[APIRouter]]]
) -> None:
    """Make ``app.openapi()`` document the routes ``load()`` returns (with the routers they
    come from) and declare the JSON request body of every route of those routers that reads
    one."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        from pydantic.json_schema import models_json_schema

        from pytest_pipelines.local._http.body_models import BODIES

        routes, routers = load()
        document = get_openapi(
            title=app.title, version=app.version, routes=routes, description=app.description
        )
        models = sorted(set(BODIES.values()), key=lambda m: m.__name__)
        refs, definitions = models_json_schema(
            [(m, "validation") for m in models], ref_template=REF
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(definitions.get("$defs", {}))
        for method, path, required in _json_routes(routers):
            operation = document["paths"].get(path, {}).get(method.lower())
            if operation is None:
                continue
            model = BODIES.get((method, path))
            schema = refs[(model, "validation")] if model else {"type": "object"}
            operation["requestBody"] = {
                "required": required,
                "content": {"application/json": {"schema": schema}},
            }
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
